"""count.heatmap_overlay: the density as a heat map over the image, the objects marked and the
count written in a corner: one picture that says what was counted and where."""

from __future__ import annotations

import numpy as np

from thyra_graph.engine.declaration import Input, NodeError, Output, Param, node
from thyra_graph.nodes.image.drawing import INK, PAPER, Pen
from thyra_graph.types import DensityMap, Image, Number, Points

from .intensity import rgb8

COLORMAPS = ("inferno", "jet", "turbo", "viridis", "hot")
# Up to this many objects are marked boldly; more get hairline rings.
_FEW = 300


@node(
    "count.heatmap_overlay", category="count",
    inputs=[
        Input("image", Image),
        Input("density", DensityMap, required=False, help="a density map of the image, shown as a heat map"),
        Input("points", Points, required=False, help="objects to mark with small rings"),
        Input("count", Number, required=False, help="the number to write (default: the points, else the density's sum)"),
    ],
    params=[
        Param("alpha", 0.6, min=0, max=1, step=0.05, help="opacity of the heat map where the density is highest"),
        Param("colormap", "inferno", choices=COLORMAPS, help="colours of the heat map, from low to high density"),
        Param("marker_color", "#00ff66", kind="color", help="colour of the rings around objects"),
        Param("label", "count", help="the word written before the number ('' for the number alone)"),
    ],
    outputs=[Output("image", Image, help="an H×W×3 uint8 RGB picture")],
)
def heatmap_overlay(image: Image, density: DensityMap | None = None, points: Points | None = None,
                    count: Number | None = None, *, alpha: float, colormap: str, marker_color: list[int],
                    label: str) -> Image:
    """Draw a density heat map, the counted objects and the count over an image.

    Zero density leaves the image as it is, so the heat shows only where objects are. Rings
    follow each object's size when the points carry scales.

    Example: ``{type: count.heatmap_overlay, inputs: {image: load.image, density: density.density, points: blobs.points}}``
    """
    canvas = rgb8(image.data).copy()
    height, width = canvas.shape[:2]
    pen = Pen.for_size(width, height)
    if density is not None:
        if density.shape != (height, width):
            raise NodeError(f"the density map is {density.shape[1]}×{density.shape[0]} pixels but the image is "
                            f"{width}×{height}: connect the density computed for this image")
        blend_heat(canvas, density.data, alpha=alpha, colormap=colormap)
    if points is not None and len(points):
        mark_points(canvas, points, tuple(marker_color), pen)
    number = _number_to_write(count, points, density)
    if number is not None:
        write_count(canvas, f"{label}: {number}" if label else number, pen)
    return Image(canvas, dict(image.meta))


def blend_heat(canvas: np.ndarray, density: np.ndarray, *, alpha: float, colormap: str) -> None:
    """Colour-map the density (scaled to its 99.5th percentile) and blend it in, in place."""
    import cv2

    positive = density[density > 0]
    if positive.size == 0:
        return
    top = float(np.percentile(positive, 99.5)) or float(positive.max())
    level = np.clip(density / top, 0.0, 1.0).astype(np.float32)
    code = getattr(cv2, f"COLORMAP_{colormap.upper()}")
    heat = cv2.cvtColor(cv2.applyColorMap((level * 255).astype(np.uint8), code), cv2.COLOR_BGR2RGB)
    weight = (alpha * np.sqrt(level))[:, :, None]  # sqrt: faint density still shows a tint
    blended = canvas.astype(np.float32) * (1.0 - weight) + heat.astype(np.float32) * weight
    canvas[:] = np.clip(blended + 0.5, 0, 255).astype(np.uint8)


def mark_points(canvas: np.ndarray, points: Points, colour: tuple[int, int, int], pen: Pen) -> None:
    """A ring per object, sized by its scale when known. A few objects get bold rings with a
    dark halo (visible on any background); thousands get hairlines, so the heat map and the
    objects themselves still show through."""
    import cv2

    crowded = len(points) > _FEW
    line = 1 if crowded else pen.line
    default = max(2, pen.marker_radius // 2)
    scales = points.scales if points.scales is not None else np.full(len(points), np.nan)
    for (x, y), scale in zip(points.xy, scales):
        if not (np.isfinite(x) and np.isfinite(y)):
            continue
        radius = int(round(scale)) + 1 if np.isfinite(scale) and scale > 0 else default
        centre = (int(round(x)), int(round(y)))
        if not crowded:
            cv2.circle(canvas, centre, radius, INK, line + 1, cv2.LINE_AA)
        cv2.circle(canvas, centre, radius, colour, line, cv2.LINE_AA)


def write_count(canvas: np.ndarray, text: str, pen: Pen) -> None:
    """The text in the top-left corner on a dark band."""
    import cv2

    font = cv2.FONT_HERSHEY_SIMPLEX
    scale = pen.font_scale * 1.2
    weight = max(1, round(scale * 2))
    (w, h), base = cv2.getTextSize(text, font, scale, weight)
    pad = max(4, h // 3)
    cv2.rectangle(canvas, (0, 0), (min(canvas.shape[1] - 1, w + 2 * pad), min(canvas.shape[0] - 1, h + base + 2 * pad)), INK, -1)
    cv2.putText(canvas, text, (pad, pad + h), font, scale, PAPER, weight, cv2.LINE_AA)


def _number_to_write(count: Number | None, points: Points | None, density: DensityMap | None) -> str | None:
    if count is not None:
        value = count.value
    elif points is not None:
        value = len(points)
    elif density is not None:
        value = density.count
    else:
        return None
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.1f}"
    return str(int(value))
