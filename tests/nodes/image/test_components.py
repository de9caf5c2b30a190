"""image.contours: one instance per connected region, with area filters and holes kept."""

from __future__ import annotations

import numpy as np

from thyra_graph.nodes.image.components import contours
from thyra_graph.types import Instances, Mask, Number


def blobs() -> Mask:
    data = np.zeros((60, 80), bool)
    data[5:15, 5:15] = True     # 100 px, top left
    data[5:25, 50:70] = True    # 400 px, top right
    data[40, 40] = True         # 1 px speck
    return Mask(data)


def test_each_region_becomes_one_instance_with_its_own_pixels():
    result = contours(blobs())
    instances = result["instances"]
    assert isinstance(instances, Instances) and isinstance(result["count"], Number)
    assert len(instances) == 3 and result["count"].value == 3
    assert instances.masks.shape == (3, 60, 80)
    assert instances.masks.sum(axis=0).max() == 1  # no pixel in two instances
    np.testing.assert_array_equal(instances.masks.any(axis=0), blobs().data)


def test_min_area_drops_specks_and_max_area_drops_large_regions():
    assert contours(blobs(), min_area=50)["count"].value == 2
    kept = contours(blobs(), min_area=50, max_area=200)["instances"]
    assert len(kept) == 1 and kept.extra[0]["area"] == 100


def test_instances_record_area_and_centroid():
    big = contours(blobs(), min_area=300)["instances"]
    assert big.extra == [{"area": 400, "centroid": [59.5, 14.5]}]


def test_instances_are_numbered_in_reading_order():
    data = np.zeros((100, 100), bool)
    # Row one (slightly staggered heights) then row two; each listed right to left.
    for y, x in ((12, 80), (8, 45), (10, 10), (60, 75), (62, 20)):
        data[y:y + 15, x:x + 15] = True
    centroids = [e["centroid"] for e in contours(Mask(data))["instances"].extra]
    assert [round(x) for x, _ in centroids] == [17, 52, 87, 27, 82]


def test_a_ring_keeps_its_hole_and_an_object_inside_the_hole_is_separate():
    data = np.zeros((50, 50), bool)
    data[5:45, 5:45] = True
    data[12:38, 12:38] = False   # the hole
    data[22:28, 22:28] = True    # an island inside it
    instances = contours(Mask(data))["instances"]
    assert len(instances) == 2
    ring, island = instances.masks
    assert not ring[15, 15] and ring[6, 6] and island[25, 25]


def test_fill_holes_turns_a_ring_into_a_disc():
    data = np.zeros((50, 50), bool)
    data[5:45, 5:45] = True
    data[12:38, 12:38] = False
    ring = contours(Mask(data), fill_holes=True)["instances"].masks[0]
    assert ring[5:45, 5:45].all()


def test_connectivity_decides_whether_corner_neighbours_belong_together():
    data = np.zeros((10, 10), bool)
    data[2:5, 2:5] = data[5:8, 5:8] = True  # touching at one corner
    assert contours(Mask(data), connectivity=8)["count"].value == 1
    assert contours(Mask(data), connectivity=4)["count"].value == 2


def test_an_empty_mask_gives_no_instances_of_the_right_size():
    result = contours(Mask(np.zeros((7, 9), bool)))
    assert result["count"].value == 0 and result["instances"].masks.shape == (0, 7, 9)
