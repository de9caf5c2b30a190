"""image.overlay: tinted, outlined, numbered instances, masks and points over the image."""

from __future__ import annotations

import numpy as np
import pytest

from thyra_graph.engine.declaration import NodeError
from thyra_graph.nodes.image.components import contours
from thyra_graph.nodes.image.drawing import overlay
from thyra_graph.types import Image, Instances, Mask, Points


def grey_image(size=100) -> Image:
    return Image(np.full((size, size, 3), 90, np.uint8))


def square_instances(size=100) -> Instances:
    masks = np.zeros((2, size, size), bool)
    masks[0, size // 10:size * 4 // 10, size // 10:size * 4 // 10] = True
    masks[1, size * 6 // 10:size * 9 // 10, size * 6 // 10:size * 9 // 10] = True
    return Instances(masks)


def test_overlay_is_rgb_uint8_of_the_image_size():
    result = overlay(grey_image(), instances=square_instances())
    assert isinstance(result, Image)
    assert result.data.shape == (100, 100, 3) and result.data.dtype == np.uint8


def test_overlay_changes_pixels_on_instances_and_nowhere_far_from_them():
    result = overlay(grey_image(), instances=square_instances(), numbers=False).data
    changed = (result != 90).any(axis=2)
    masks = square_instances().masks
    assert changed[masks[0]].mean() > 0.95 and changed[masks[1]].mean() > 0.95
    assert not changed[45:55, :].any() and not changed[:, 45:55].any()


def test_each_instance_gets_its_own_colour():
    result = overlay(grey_image(), instances=square_instances(), numbers=False, outline=False).data
    assert result[25, 25].tolist() != result[75, 75].tolist()


def test_overlay_of_the_coins_marks_every_coin(coins):
    import cv2

    from thyra_graph.nodes.image.thresholding import threshold

    instances = contours(threshold(coins, method="otsu"), min_area=500)["instances"]
    result = overlay(coins, instances=instances).data
    changed = (result != coins.data).any(axis=2)
    assert all(changed[mask].mean() > 0.9 for mask in instances.masks)
    # Outside the coins only the outlines, a line's width around them, change.
    near = cv2.dilate(instances.masks.any(axis=0).astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    assert not changed[~near].any()


def test_numbers_are_drawn_inside_their_instance():
    plain = overlay(grey_image(), instances=square_instances(), numbers=False).data
    numbered = overlay(grey_image(), instances=square_instances()).data
    differs = (plain != numbered).any(axis=2)
    assert differs[10:40, 10:40].any() and differs[60:90, 60:90].any()
    assert not differs[45:55, :].any()


@pytest.mark.parametrize("size", [120, 2400])
def test_numbers_stay_readable_at_any_image_size(size):
    # Digits at least 2% of the image high (legible when a 4K frame is shown on a laptop),
    # and never below 8 pixels on a thumbnail.
    instances = Instances(np.ones((1, size, size), bool))
    plain = overlay(grey_image(size), instances=instances, numbers=False, alpha=0).data
    numbered = overlay(grey_image(size), instances=instances, alpha=0).data
    ink = (plain != numbered).any(axis=2)
    ys, xs = np.nonzero(ink)
    text_height = ys.max() - ys.min() + 1
    assert text_height >= max(8, 0.02 * size)
    assert text_height <= 0.2 * size


def test_a_mask_is_tinted_with_the_chosen_colour():
    mask = np.zeros((100, 100), bool)
    mask[20:80, 20:80] = True
    result = overlay(grey_image(), mask=Mask(mask), color=[0, 255, 0], alpha=0.5, outline=False).data
    assert result[50, 50].tolist() == [45, 173, 45]  # half way from 90 to 255, rounded
    assert result[5, 5].tolist() == [90, 90, 90]


def test_points_are_marked_green_positive_and_red_negative():
    points = Points([[20, 20], [80, 80]], labels=[1, 0])
    result = overlay(grey_image(), points=points).data
    assert result[20, 20, 1] > 200 and result[20, 20, 0] < 100
    assert result[80, 80, 0] > 200 and result[80, 80, 1] < 100


def test_a_grey_image_gives_an_rgb_overlay():
    result = overlay(Image(np.full((30, 30), 50, np.uint8)))
    assert result.data.shape == (30, 30, 3) and (result.data == 50).all()


def test_instances_of_another_size_are_refused_naming_both_sizes():
    with pytest.raises(NodeError, match="50×50 .* image is 100×100"):
        overlay(grey_image(), instances=square_instances(50))
