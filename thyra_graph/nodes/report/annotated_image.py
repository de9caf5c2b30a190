"""report.annotated_image: the picture of a region analysis: outlined masks, numbered boxes
(D1, D2, …), the points each region was prompted from, and a legend naming every region."""

from __future__ import annotations

import unicodedata
from typing import Sequence

import numpy as np

from thyra_graph.engine.declaration import Input, Output, Param, node
from thyra_graph.nodes.image.drawing import INK, NEGATIVE, PAPER, POSITIVE, Pen, draw_region, palette
from thyra_graph.nodes.image.pixels import require_same_size
from thyra_graph.types import Image, Instances, Points

from .regions import Region, first_words, regions_of

LEGEND_PLACES = ("auto", "right", "below", "none")
_FONT = 0  # cv2.FONT_HERSHEY_SIMPLEX, without importing OpenCV at module import
_MAX_TAG_CHARS = 28
_MAX_LEGEND_CHARS = 72


@node(
    "report.annotated_image", category="report",
    inputs=[
        Input("image", Image),
        Input("instances", Instances, help="the regions to draw, numbered in their order"),
        Input("points", Points, required=False, help="more points to mark (green positive, red negative)"),
    ],
    params=[
        Param("prefix", "D", help="text before each region's number: D gives D1, D2, …"),
        Param("alpha", 0.25, min=0, max=1, step=0.05, help="opacity of the tint inside each mask (0 = outlines only)"),
        Param("boxes", True, help="draw each region's bounding box, tagged with its id"),
        Param("labels", True, help="write each region's label in its tag after the id (D1 cat)"),
        Param("prompt_points", True, help="mark the points the regions were prompted from (recorded by the segmentation node)"),
        Param("legend", "auto", choices=LEGEND_PLACES,
              help="where to list the regions: right of or below the image (auto: below wide images, right of tall ones), or none"),
        Param("legend_words", 8, min=0, max=60, help="words of each description shown in the legend (0 = labels only)"),
    ],
    outputs=[Output("image", Image, help="an RGB uint8 picture: the image, grown by the legend panel")],
)
def annotated_image(image: Image, instances: Instances, points: Points | None = None, *, prefix: str, alpha: float,
                    boxes: bool, labels: bool, prompt_points: bool, legend: str, legend_words: int) -> Image:
    """Draw each region's outline, its numbered box (D1, D2, …), its prompt point and a legend.

    Region ids match report.text, so "D3" in the picture is "D3" in the report. Lines, tags and
    the legend scale with the image: readable on a 64-pixel thumbnail and on a 4000-pixel photo.
    The legend is a white panel added beside or below the image, listing each id with its label
    and the first words of its description; the image itself keeps its pixels' positions (the
    panel goes right or below, never left or above). Text is drawn with OpenCV's fonts, which
    have no accents or non-Latin letters: accents are dropped and other characters become "?".
    Save the result with io.save_image.

    Example: ``{type: report.annotated_image, inputs: {image: load.image, instances: describe.instances}}``
    """
    canvas = image.as_uint8_rgb().copy()
    height, width = canvas.shape[:2]
    if len(instances):
        require_same_size(image, instances.masks, name="instances")
    pen = Pen.for_size(width, height)
    regions = regions_of(instances, prefix=prefix)
    colours = palette(len(regions))
    for region, colour in zip(regions, colours):
        if region.box is not None:
            draw_region(canvas, instances.masks[region.index], colour, alpha=alpha, outline=True, pen=pen,
                         box=np.asarray(region.box))
    if boxes:
        for region, colour in zip(regions, colours):
            if region.box is not None:
                draw_box(canvas, region.box, colour, pen)
    marks = [(x, y, label) for region in regions for x, y, label in region.points] if prompt_points else []
    if points is not None:
        marks += [(float(x), float(y), int(label)) for (x, y), label in zip(points.xy, points.labels)]
    for x, y, label in marks:
        draw_point(canvas, (x, y), positive=label == 1, pen=pen)
    if boxes:
        for region, colour in zip(regions, colours):
            if region.box is not None:
                text = region.id + (f" {region.label}" if labels and region.label else "")
                draw_tag(canvas, shorten(drawable(text), _MAX_TAG_CHARS), region.box, colour, pen)
    place = legend_place(legend, width, height)
    rows = [legend_text(region, legend_words) for region in regions]
    if place != "none" and rows:
        canvas = with_legend(canvas, rows, colours, pen, place=place)
    return Image(canvas, dict(image.meta))


def legend_place(legend: str, width: int, height: int) -> str:
    """``auto``: below a wide image (the picture stays wide), right of a square or tall one."""
    if legend != "auto":
        return legend
    return "below" if width > height else "right"


def legend_text(region: Region, words: int) -> str:
    """One legend line: "D1  cat: a red mug on a …"."""
    text = region.id
    if region.label:
        text += f"  {region.label}"
    if words and region.description:
        text += (": " if region.label else "  ") + first_words(region.description, words)
    return shorten(drawable(text), _MAX_LEGEND_CHARS)


def drawable(text: str) -> str:
    """``text`` in the characters OpenCV's Hershey fonts have: accents dropped, others as "?"."""
    folded = unicodedata.normalize("NFKD", " ".join(text.split()))
    kept = "".join(c for c in folded if not unicodedata.combining(c))
    return "".join(c if 32 <= ord(c) < 127 else "?" for c in kept)


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 3].rstrip() + "..."


def text_weight(pen: Pen) -> int:
    return max(1, round(pen.font_scale * 2))


def draw_box(canvas: np.ndarray, box: Sequence[int], colour: tuple[int, int, int], pen: Pen) -> None:
    """The box's outline on its outermost pixels (x1, y1 exclusive), a dark line under it."""
    import cv2

    x0, y0, x1, y1 = (int(v) for v in box)
    # The dark under-stroke keeps a light-coloured box visible on a light background.
    cv2.rectangle(canvas, (x0, y0), (x1 - 1, y1 - 1), INK, pen.line + 2 if pen.line > 1 else 1)
    cv2.rectangle(canvas, (x0, y0), (x1 - 1, y1 - 1), colour, pen.line)


def draw_point(canvas: np.ndarray, xy: tuple[float, float], *, positive: bool, pen: Pen) -> None:
    """A positive point as a green disc, a negative one as a red disc crossed by a white bar
    (told apart without colour, too)."""
    import cv2

    centre = (int(round(xy[0])), int(round(xy[1])))
    pen.marker(canvas, centre, POSITIVE if positive else NEGATIVE)
    if not positive:
        r = max(1, pen.marker_radius - 1)
        cv2.line(canvas, (centre[0] - r, centre[1]), (centre[0] + r, centre[1]), PAPER, max(1, pen.line))


def draw_tag(canvas: np.ndarray, text: str, box: Sequence[int], colour: tuple[int, int, int], pen: Pen) -> None:
    """``text`` on a filled label of the box's colour, just above the box's top-left corner (inside
    the box when there is no room above), kept within the image."""
    import cv2

    height, width = canvas.shape[:2]
    weight = text_weight(pen)
    (tw, th), base = cv2.getTextSize(text, _FONT, pen.font_scale, weight)
    pad = max(2, th // 4)
    tag_w, tag_h = tw + 2 * pad, th + base + 2 * pad
    x0, y0 = int(box[0]), int(box[1])
    top = y0 - tag_h if y0 - tag_h >= 0 else y0
    left = max(0, min(x0, width - tag_w))
    cv2.rectangle(canvas, (left, top), (left + tag_w - 1, min(height, top + tag_h) - 1), colour, -1)
    ink = INK if _luminance(colour) > 140 else PAPER
    cv2.putText(canvas, text, (left + pad, top + pad + th), _FONT, pen.font_scale, ink, weight, cv2.LINE_AA)


def _luminance(colour: tuple[int, int, int]) -> float:
    red, green, blue = colour
    return 0.299 * red + 0.587 * green + 0.114 * blue


def with_legend(canvas: np.ndarray, rows: list[str], colours: list[tuple[int, int, int]], pen: Pen, *,
                place: str) -> np.ndarray:
    """The canvas with a white panel to its right or below it listing ``rows``, each after a
    swatch of its region's colour. Long lists flow into columns: below the image as many as fit
    its width, to its right as many as needed to stay within its height."""
    import cv2

    weight = text_weight(pen)
    sizes = [cv2.getTextSize(row, _FONT, pen.font_scale, weight) for row in rows]
    text_h = max(h + base for (_, h), base in sizes)
    gap = max(3, text_h // 2)
    row_h = text_h + gap
    column_w = text_h + gap + max(w for (w, _), _ in sizes) + 2 * gap
    height, width = canvas.shape[:2]
    if place == "right":
        per_column = min(len(rows), max(1, (height - 2 * gap) // row_h))
    else:
        per_column = -(-len(rows) // max(1, min(len(rows), width // column_w)))
    columns = -(-len(rows) // per_column)
    panel_w, panel_h = gap + columns * column_w, gap + per_column * row_h + gap
    if place == "right":
        out = np.full((max(height, panel_h), width + panel_w, 3), PAPER, np.uint8)
        origin = (width, 0)
    else:
        out = np.full((height + panel_h, max(width, panel_w), 3), PAPER, np.uint8)
        origin = (0, height)
    out[:height, :width] = canvas
    for index, (row, colour) in enumerate(zip(rows, colours)):
        column, line = divmod(index, per_column)
        x = origin[0] + gap + column * column_w
        y = origin[1] + gap + line * row_h
        cv2.rectangle(out, (x, y), (x + text_h - 1, y + text_h - 1), colour, -1)
        cv2.rectangle(out, (x, y), (x + text_h - 1, y + text_h - 1), INK, 1)
        (_, h), _ = sizes[index]
        cv2.putText(out, row, (x + text_h + gap, y + h + (text_h - h) // 2), _FONT, pen.font_scale, INK,
                    weight, cv2.LINE_AA)
    return out
