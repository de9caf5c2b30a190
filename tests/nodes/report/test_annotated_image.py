"""report.annotated_image: outlines, numbered boxes (D1, D2 …), prompt points and a legend,
readable on a thumbnail and on a large photo alike."""

from __future__ import annotations

import numpy as np
import pytest

from thyra_graph.engine.declaration import NodeError
from thyra_graph.nodes.image.drawing import NEGATIVE, PAPER, POSITIVE, Pen, palette
from thyra_graph.nodes.report.annotated_image import annotated_image, drawable, legend_place
from thyra_graph.types import Image, Instances, Points

GREY = 120


def grey(height=100, width=100) -> Image:
    return Image(np.full((height, width, 3), GREY, np.uint8))


def boxes_as_instances(height, width, boxes, **kwargs) -> Instances:
    masks = np.zeros((len(boxes), height, width), bool)
    for mask, (x0, y0, x1, y1) in zip(masks, boxes):
        mask[y0:y1, x0:x1] = True
    return Instances(masks, **kwargs)


def tag_rows(picture: np.ndarray, colour, x: int, y_below: int) -> int:
    """How many rows directly above ``y_below`` hold the tag colour at column ``x``."""
    rows = 0
    for y in range(y_below - 1, -1, -1):
        if tuple(picture[y, x]) != tuple(colour):
            break
        rows += 1
    return rows


def test_the_picture_is_rgb_uint8_with_the_image_top_left_and_the_legend_beside_it():
    instances = boxes_as_instances(100, 100, [(10, 10, 40, 40)], labels=["cat"])
    result = annotated_image(grey(), instances, legend="right")
    assert result.data.dtype == np.uint8 and result.data.shape[2] == 3
    assert result.data.shape[0] == 100 and result.data.shape[1] > 100
    assert (result.data[95, :5] == GREY).all()  # the image keeps its place


def test_the_box_is_drawn_on_the_masks_bounding_box_in_the_regions_colour():
    instances = boxes_as_instances(100, 120, [(30, 40, 70, 80)])
    picture = annotated_image(grey(100, 120), instances, alpha=0.0, legend="none").data
    colour = palette(1)[0]
    for x, y in [(30, 60), (69, 60), (50, 79)]:  # left, right and bottom edges (x1, y1 exclusive)
        assert tuple(picture[y, x]) == colour
    assert tuple(picture[60, 50]) == (GREY,) * 3  # inside, with no tint
    assert tuple(picture[60, 20]) == (GREY,) * 3 and tuple(picture[60, 90]) == (GREY,) * 3


def test_each_region_is_outlined_and_tinted_in_its_own_colour():
    instances = boxes_as_instances(100, 100, [(5, 30, 45, 70), (55, 30, 95, 70)])
    picture = annotated_image(grey(), instances, alpha=0.5, boxes=False, legend="none").data
    first, second = palette(2)
    near = lambda pixel, colour: np.abs(pixel.astype(int) - colour).max() <= 16  # noqa: E731 (anti-aliased)
    assert near(picture[50, 5], first) and near(picture[50, 94], second)
    assert tuple(picture[50, 25]) != tuple(picture[50, 75])  # tints differ
    assert tuple(picture[10, 50]) == (GREY,) * 3


def test_the_id_tag_sits_above_the_box_in_the_box_colour_with_text_in_it():
    instances = boxes_as_instances(200, 200, [(60, 80, 140, 160)])
    picture = annotated_image(grey(200, 200), instances, legend="none").data
    colour = palette(1)[0]
    assert tag_rows(picture, colour, 61, 80) >= 8
    tag = picture[60:80, 60:90].reshape(-1, 3)
    is_text = ~(tag == colour).all(axis=1) & ~(tag == GREY).all(axis=1)
    assert is_text.sum() >= 10  # "D1" strokes in the tag


def test_a_box_at_the_top_edge_gets_its_tag_inside_and_never_outside_the_image():
    instances = boxes_as_instances(100, 100, [(80, 0, 100, 30)])
    picture = annotated_image(grey(), instances, legend="none").data
    colour = palette(1)[0]
    assert picture.shape == (100, 100, 3)
    assert tuple(picture[3, 99]) == colour  # tag filled inside the box, pushed left to fit


def test_labels_are_written_in_the_tag_after_the_id():
    instances = boxes_as_instances(200, 200, [(20, 80, 180, 160)], labels=["a long label"])
    colour = palette(1)[0]
    with_label = annotated_image(grey(200, 200), instances, legend="none").data
    bare = annotated_image(grey(200, 200), instances, labels=False, legend="none").data
    width = lambda picture: int((picture[70] == colour).all(axis=1).sum())  # noqa: E731
    assert width(with_label) > 2 * width(bare) > 0


@pytest.mark.parametrize("height,width,min_tag,min_line", [(64, 64, 8, 1), (3000, 4000, 40, 6)])
def test_tags_and_lines_scale_with_the_image(height, width, min_tag, min_line):
    box = (width // 4, height // 2, width // 2, height * 3 // 4)
    instances = boxes_as_instances(height, width, [box], labels=["cat"])
    picture = annotated_image(grey(height, width), instances, alpha=0.0, legend="none").data
    colour = palette(1)[0]
    tag_height = tag_rows(picture, colour, box[0] + 1, box[1])
    assert min_tag <= tag_height <= height * 0.3
    line = int((picture[box[1] + (box[3] - box[1]) // 2, max(0, box[0] - 20):box[0] + 20] == colour).all(axis=1).sum())
    assert line >= min_line
    assert Pen.for_size(width, height).line == max(1, round(max(width, height) / 500))


def test_the_legend_lists_every_region_with_its_colour():
    instances = boxes_as_instances(100, 100, [(5, 5, 30, 30), (40, 40, 60, 60), (70, 70, 95, 95)],
                                   labels=["cat", "dog", ""], descriptions=["", "a brown dog lying on grass", ""])
    picture = annotated_image(grey(), instances, legend="right").data
    panel = picture[:, 100:]
    for colour in palette(3):
        assert (panel.reshape(-1, 3) == colour).all(axis=1).sum() >= 9  # a swatch, not a stray pixel
    ink_rows = np.flatnonzero((panel < 100).all(axis=2).any(axis=1))
    assert len(ink_rows) and ink_rows.max() > ink_rows.min() + 10  # several lines of text


def test_a_long_list_flows_into_columns_instead_of_growing_past_the_image():
    boxes = [(x, y, x + 8, y + 8) for y in range(0, 100, 10) for x in range(0, 100, 10)][:60]
    instances = boxes_as_instances(100, 100, boxes, labels=["thing"] * 60)
    picture = annotated_image(grey(), instances, legend="right").data
    assert picture.shape[0] == 100 and picture.shape[1] > 300


def test_the_legend_goes_below_wide_images_and_right_of_tall_ones():
    assert legend_place("auto", 400, 300) == "below" and legend_place("auto", 300, 400) == "right"
    instances = boxes_as_instances(60, 200, [(10, 10, 50, 50)], labels=["cat"])
    picture = annotated_image(grey(60, 200), instances).data
    assert picture.shape[1] == 200 and picture.shape[0] > 60


def test_prompt_points_recorded_by_the_segmenter_are_marked_green_and_red():
    extra = [{"point": [30, 30], "source": "contour"}, {"prompt": {"points": [[70, 70, 1], [60, 85, 0]]}}]
    instances = boxes_as_instances(100, 100, [(10, 10, 50, 50), (55, 55, 95, 95)], extra=extra)
    picture = annotated_image(grey(), instances, alpha=0.0, boxes=False, legend="none").data
    assert tuple(picture[30, 30]) == POSITIVE and tuple(picture[70, 70]) == POSITIVE
    assert tuple(picture[83, 60]) == NEGATIVE and tuple(picture[85, 60]) == PAPER  # the bar that tells it apart
    hidden = annotated_image(grey(), instances, alpha=0.0, boxes=False, prompt_points=False, legend="none").data
    assert tuple(hidden[30, 30]) == (GREY,) * 3


def test_points_from_the_input_are_marked_too():
    picture = annotated_image(grey(), Instances.empty(100, 100), Points([[20, 20], [80, 80]], [1, 0])).data
    assert tuple(picture[20, 20]) == POSITIVE and tuple(picture[78, 80]) == NEGATIVE


def test_no_instances_give_the_image_back_unchanged():
    image = Image(np.random.default_rng(0).integers(0, 255, (40, 50, 3), dtype=np.uint8), {"path": "x.png"})
    result = annotated_image(image, Instances.empty(40, 50))
    assert np.array_equal(result.data, image.data) and result.meta == {"path": "x.png"}


def test_grey_and_float_images_are_drawn_in_colour():
    instances = boxes_as_instances(50, 50, [(10, 10, 40, 40)])
    for data in (np.full((50, 50), 90, np.uint8), np.full((50, 50, 1), 0.5, np.float32)):
        picture = annotated_image(Image(data), instances, legend="none").data
        assert picture.shape == (50, 50, 3) and tuple(picture[25, 10]) == palette(1)[0]


def test_instances_of_another_size_are_refused_naming_both_sizes():
    with pytest.raises(NodeError, match="the instances input covers 40×30 pixels but the image is 100×100"):
        annotated_image(grey(), boxes_as_instances(30, 40, [(0, 0, 5, 5)]))


def test_text_is_folded_to_what_opencv_fonts_can_draw():
    assert drawable("Bäume  café 鳥\n…") == "Baume cafe ? ..."
