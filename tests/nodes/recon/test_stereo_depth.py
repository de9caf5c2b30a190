"""recon.stereo_depth against Middlebury ground truth (scikit-image's motorcycle pair, full size)."""

from __future__ import annotations

import numpy as np
import pytest

from thyra_graph.engine.declaration import NodeError
from thyra_graph.nodes.recon.camera_math import camera, project, unproject
from thyra_graph.nodes.recon.stereo_depth import fill_from_background, stereo_depth, stereo_rig
from thyra_graph.types import Image

# Calibration from skimage.data.stereo_motorcycle's docstring (valid for its 741×500 copy).
MOTORCYCLE = {"focal": 994.978, "cx": 311.193, "cy": 254.877, "baseline": 0.193001, "doffs": 31.086}


@pytest.fixture(scope="module")
def motorcycle():
    from skimage import data

    left, right, disparity = data.stereo_motorcycle()
    known = np.isfinite(disparity)  # infinite = no ground truth
    truth = np.full(disparity.shape, np.nan)
    truth[known] = MOTORCYCLE["focal"] * MOTORCYCLE["baseline"] / (disparity[known] + MOTORCYCLE["doffs"])
    return Image(left), Image(right), truth


def relative_errors(depth: np.ndarray, truth: np.ndarray) -> tuple[float, np.ndarray]:
    known = np.isfinite(truth)
    covered = known & np.isfinite(depth)
    return covered.sum() / known.sum(), np.abs(depth[covered] - truth[covered]) / truth[covered]


def test_motorcycle_depth_meets_the_accuracy_target(motorcycle) -> None:
    left, right, truth = motorcycle
    out = stereo_depth(left, right, **MOTORCYCLE, max_disparity=64)
    depth = out["depth"]["depth"]
    assert out["depth"].meta["units"] == "metres" and depth.shape == truth.shape
    coverage, errors = relative_errors(depth, truth)
    assert coverage >= 0.95
    assert np.median(errors) < 0.01
    assert np.percentile(errors, 90) < 0.05
    # The measured pixels alone are the accurate core; the fill adds what SGBM leaves out.
    valid = out["valid"].data
    assert 0.7 < valid[np.isfinite(truth)].mean() < 0.95
    _, measured_errors = relative_errors(np.where(valid, depth, np.nan), truth)
    assert np.median(measured_errors) < 0.005


def test_without_fill_unmatched_pixels_have_no_depth(motorcycle) -> None:
    left, right, truth = motorcycle
    out = stereo_depth(left, right, **MOTORCYCLE, max_disparity=64, fill=False)
    depth, valid = out["depth"]["depth"], out["valid"].data
    assert np.array_equal(np.isfinite(depth), valid)
    coverage, errors = relative_errors(depth, truth)
    assert coverage < 0.95 and np.median(errors) < 0.005


def test_a_two_camera_rig_gives_the_same_depth_as_the_numbers(motorcycle) -> None:
    left, right, _ = motorcycle
    by_numbers = stereo_depth(left, right, **MOTORCYCLE, max_disparity=64)
    rig = by_numbers["cameras"]
    by_cameras = stereo_depth(left, right, rig, max_disparity=64)
    assert np.allclose(by_cameras["depth"]["depth"], by_numbers["depth"]["depth"], equal_nan=True)


def test_the_rig_reprojects_a_point_at_the_stereo_disparity() -> None:
    rig = stereo_rig(900.0, 300.0, 200.0, 0.2, 12.0, (640, 480))
    K_left, E_left = camera(rig, 0)
    K_right, E_right = camera(rig, 1)
    point = unproject(np.array([[400.0, 150.0]]), np.array([3.0]), K_left, E_left)
    uv_right, _ = project(point, K_right, E_right)
    disparity = 400.0 - uv_right[0, 0]
    assert 900.0 * 0.2 / (disparity + 12.0) == pytest.approx(3.0)
    assert uv_right[0, 1] == pytest.approx(150.0)


def test_holes_take_the_background_side_of_the_row() -> None:
    row = np.array([[10.0, np.nan, np.nan, 30.0, np.nan]], dtype=np.float32)
    assert fill_from_background(row).tolist() == [[10.0, 10.0, 10.0, 30.0, 30.0]]
    column_only = np.array([[np.nan, np.nan], [5.0, 7.0]], dtype=np.float32)
    assert fill_from_background(column_only).tolist() == [[5.0, 7.0], [5.0, 7.0]]


def test_left_and_right_of_different_sizes_are_refused(motorcycle) -> None:
    left, right, _ = motorcycle
    with pytest.raises(NodeError, match="left image is 741×500 but the right is 740×500"):
        stereo_depth(left, Image(right.data[:, :-1]), **MOTORCYCLE)


def test_cameras_that_are_not_a_rectified_pair_are_refused(motorcycle) -> None:
    left, right, _ = motorcycle
    rig = stereo_rig(**{k: MOTORCYCLE[k] for k in ("focal", "cx", "cy", "baseline", "doffs")}, size=(741, 500))
    rig.extrinsics[1, 1, 3] = -0.05  # the right camera also moved down
    with pytest.raises(NodeError, match="not a rectified pair"):
        stereo_depth(left, right, rig)


def test_a_pair_with_nothing_to_match_is_refused() -> None:
    rng = np.random.default_rng(0)
    left, right = (Image(rng.integers(0, 255, (30, 80, 3), dtype=np.uint8)) for _ in range(2))
    with pytest.raises(NodeError, match="no pixel could be matched"):
        stereo_depth(left, right, max_disparity=32)


def test_images_narrower_than_the_disparity_search_are_refused() -> None:
    small = Image(np.zeros((30, 40, 3), dtype=np.uint8))
    with pytest.raises(NodeError, match="40 pixels wide but the disparity search spans 128"):
        stereo_depth(small, small)


def test_cameras_for_another_image_size_are_refused(motorcycle) -> None:
    left, right, _ = motorcycle
    rig = stereo_rig(**{k: MOTORCYCLE[k] for k in ("focal", "cx", "cy", "baseline", "doffs")}, size=(370, 250))
    with pytest.raises(NodeError, match="cameras are for 370×250 images but the pair is 741×500"):
        stereo_depth(left, right, rig)
