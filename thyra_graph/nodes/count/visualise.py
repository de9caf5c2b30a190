"""count.heatmap_overlay: the density as a heat map over the image, the objects marked and the
count written in a corner (the emptiest one, unless told): one picture that says what was
counted and where."""

from __future__ import annotations

import numpy as np

from thyra_graph.engine.declaration import Input, NodeError, Output, Param, node
from thyra_graph.nodes.image.drawing import INK, PAPER, Pen
from thyra_graph.types import DensityMap, Image, Number, Points

from .intensity import rgb8

COLORMAPS = ("inferno", "jet", "turbo", "viridis", "hot")
# Up to this many objects are marked boldly; more get hairline rings.
_FEW = 300
CORNERS = ("auto", "top-left", "top-right", "bottom-left", "bottom-right", "none")
# The count's text height relative to the drawing pen's font: small, so it hides few objects.
_LABEL_SCALE = 0.7


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
        Param("label_corner", "auto", choices=CORNERS,
              help="where the count is written: auto = the corner with the fewest objects under it, or none"),
    ],
    outputs=[Output("image", Image, help="an H×W×3 uint8 RGB picture")],
)
def heatmap_overlay(image: Image, density: DensityMap | None = None, points: Points | None = None,
                    count: Number | None = None, *, alpha: float, colormap: str, marker_color: list[int],
                    label: str, label_corner: str = "auto") -> Image:
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
    if number is not None and label_corner != "none":
        write_count(canvas, f"{label}: {number}" if label else number, pen, corner=label_corner,
                    points=points, density=density)
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


def write_count(canvas: np.ndarray, text: str, pen: Pen, *, corner: str = "auto", points: Points | None = None,
                density: DensityMap | None = None) -> None:
    """The text on a small dark band in a corner; ``auto`` picks the corner whose band would
    cover the fewest objects (then the least density; top-left on a tie)."""
    import cv2

    font = cv2.FONT_HERSHEY_SIMPLEX
    scale = pen.font_scale * _LABEL_SCALE
    weight = max(1, round(scale * 2))
    (w, h), base = cv2.getTextSize(text, font, scale, weight)
    pad = max(3, h // 3)
    height, width = canvas.shape[:2]
    box_w, box_h = min(width, w + 2 * pad), min(height, h + base + 2 * pad)
    if corner == "auto":
        corner = min(CORNERS[1:5], key=lambda c: _occupancy(_box(c, box_w, box_h, width, height), points, density))
    x0, y0, x1, y1 = _box(corner, box_w, box_h, width, height)
    cv2.rectangle(canvas, (x0, y0), (x1 - 1, y1 - 1), INK, -1)
    cv2.putText(canvas, text, (x0 + pad, y0 + pad + h), font, scale, PAPER, weight, cv2.LINE_AA)


def _box(corner: str, box_w: int, box_h: int, width: int, height: int) -> tuple[int, int, int, int]:
    x0 = 0 if corner.endswith("left") else width - box_w
    y0 = 0 if corner.startswith("top") else height - box_h
    return x0, y0, x0 + box_w, y0 + box_h


def _occupancy(box: tuple[int, int, int, int], points: Points | None, density: DensityMap | None) -> tuple[int, float]:
    x0, y0, x1, y1 = box
    covered = 0
    if points is not None and len(points):
        x, y = points.xy[:, 0], points.xy[:, 1]
        covered = int(((x >= x0) & (x < x1) & (y >= y0) & (y < y1)).sum())
    mass = float(density.data[y0:y1, x0:x1].sum()) if density is not None else 0.0
    return covered, mass


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
