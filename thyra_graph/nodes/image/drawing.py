"""Drawing results over an image: masks, numbered instances and points."""

from __future__ import annotations

import colorsys

import numpy as np

from thyra_graph.engine.declaration import Input, Output, Param, node
from thyra_graph.types import Image, Instances, Mask, Points

from .pixels import require_same_size

POSITIVE = (60, 220, 90)
NEGATIVE = (235, 60, 60)
INK = (0, 0, 0)
PAPER = (255, 255, 255)


@node(
    "image.overlay", category="image",
    inputs=[
        Input("image", Image),
        Input("mask", Mask, required=False, help="a mask to tint"),
        Input("instances", Instances, required=False, help="objects to tint, outline and number 1..N"),
        Input("points", Points, required=False, help="points to mark (green positive, red negative)"),
    ],
    params=[
        Param("alpha", 0.35, min=0, max=1, step=0.05, help="opacity of the tint (0 = outlines only)"),
        Param("outline", True, help="draw the border of the mask and of each instance"),
        Param("numbers", True, help="write each instance's number (1..N) on it"),
        Param("color", "#ff4040", kind="color", help="colour of the mask (instances get distinct colours)"),
    ],
    outputs=[Output("image", Image, help="an H×W×3 uint8 RGB picture of the results")],
)
def overlay(image: Image, mask: Mask | None = None, instances: Instances | None = None,
            points: Points | None = None, *, alpha: float, outline: bool, numbers: bool, color: list[int]) -> Image:
    """Draw masks, numbered instances and points over an image, to see what a graph found.

    Lines, numbers and markers scale with the image, so they stay readable on a thumbnail and
    on a 4K frame alike.

    Example: ``{type: image.overlay, inputs: {image: load.image, instances: objects.instances}}``
    """
    canvas = image.as_uint8_rgb().copy()
    pen = Pen.for_size(canvas.shape[1], canvas.shape[0])
    if mask is not None:
        require_same_size(image, mask, name="mask")
        draw_region(canvas, mask.data, tuple(color), alpha=alpha, outline=outline, pen=pen)
    if instances is not None and len(instances):
        require_same_size(image, instances.masks, name="instances")
        colours = palette(len(instances))
        boxes = instances.boxes().xyxy.astype(int)
        for region, colour, box in zip(instances.masks, colours, boxes):
            draw_region(canvas, region, colour, alpha=alpha, outline=outline, pen=pen, box=box)
        if numbers:
            for number, (region, box) in enumerate(zip(instances.masks, boxes), start=1):
                pen.text(canvas, str(number), label_point(region, box))
    if points is not None:
        for (x, y), label in zip(points.xy, points.labels):
            pen.marker(canvas, (int(round(x)), int(round(y))), POSITIVE if label == 1 else NEGATIVE)
    return Image(canvas, dict(image.meta))


class Pen:
    """Line widths and text sizes proportional to the image, never below legible minimums."""

    def __init__(self, line: int, font_scale: float, marker: int) -> None:
        self.line = line
        self.font_scale = font_scale
        self.marker_radius = marker

    @classmethod
    def for_size(cls, width: int, height: int) -> "Pen":
        side = max(width, height)
        return cls(line=max(1, round(side / 500)), font_scale=max(0.4, side / 900), marker=max(3, round(side / 120)))

    def text(self, canvas: np.ndarray, text: str, centre: tuple[int, int]) -> None:
        import cv2

        font = cv2.FONT_HERSHEY_SIMPLEX
        weight = max(1, round(self.font_scale * 2))
        (w, h), _ = cv2.getTextSize(text, font, self.font_scale, weight)
        origin = (int(centre[0] - w / 2), int(centre[1] + h / 2))
        # A dark halo under light text keeps numbers legible on any background.
        cv2.putText(canvas, text, origin, font, self.font_scale, INK, 2 * weight + 1, cv2.LINE_AA)
        cv2.putText(canvas, text, origin, font, self.font_scale, PAPER, weight, cv2.LINE_AA)

    def marker(self, canvas: np.ndarray, centre: tuple[int, int], colour: tuple[int, int, int]) -> None:
        import cv2

        cv2.circle(canvas, centre, self.marker_radius + self.line, INK, -1, cv2.LINE_AA)
        cv2.circle(canvas, centre, self.marker_radius, colour, -1, cv2.LINE_AA)


def draw_region(canvas: np.ndarray, region: np.ndarray, colour: tuple[int, int, int], *,
                 alpha: float, outline: bool, pen: Pen, box: np.ndarray | None = None) -> None:
    """Tint and outline one boolean region, working only inside its bounding box."""
    import cv2

    x0, y0, x1, y1 = box if box is not None else (0, 0, canvas.shape[1], canvas.shape[0])
    if x1 <= x0 or y1 <= y0:
        return
    crop, inside = canvas[y0:y1, x0:x1], region[y0:y1, x0:x1]
    if alpha > 0:
        tinted = crop[inside].astype(np.float32) * (1 - alpha) + np.float32(alpha) * np.asarray(colour, np.float32)
        crop[inside] = np.clip(tinted + 0.5, 0, 255).astype(np.uint8)
    if outline:
        # RETR_LIST: the borders of holes are drawn too, so a ring shows as a ring.
        borders, _ = cv2.findContours(inside.astype(np.uint8), cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE, offset=(int(x0), int(y0)))
        cv2.drawContours(canvas, borders, -1, colour, pen.line, cv2.LINE_AA)


def label_point(region: np.ndarray, box: np.ndarray) -> tuple[int, int]:
    """The point of ``region`` farthest from its border: inside even for rings and C shapes."""
    import cv2

    x0, y0, x1, y1 = (int(v) for v in box)
    inside = np.pad(region[y0:y1, x0:x1], 1).astype(np.uint8)
    distance = cv2.distanceTransform(inside, cv2.DIST_L2, 3)
    y, x = np.unravel_index(int(np.argmax(distance)), distance.shape)
    return int(x0 + x - 1), int(y0 + y - 1)


def palette(count: int) -> list[tuple[int, int, int]]:
    """``count`` distinct, saturated colours (golden-ratio steps around the hue circle)."""
    colours = []
    for index in range(count):
        red, green, blue = colorsys.hsv_to_rgb((0.08 + index * 0.618034) % 1.0, 0.85, 1.0)
        colours.append((round(red * 255), round(green * 255), round(blue * 255)))
    return colours
