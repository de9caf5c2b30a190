"""recon.sfm: COLMAP's pipeline recovers the true cameras of rendered and real views."""

from __future__ import annotations

import numpy as np
import pytest

from thyra_graph.engine.context import Context
from thyra_graph.engine.declaration import NodeError
from thyra_graph.nodes.recon.sfm import sfm
from thyra_graph.nodes.recon.synthetic_scene import render_scene
from thyra_graph.types import FrameSeries, Image, Instances

pytest.importorskip("pycolmap")


def _frames(images, names=None) -> FrameSeries:
    return FrameSeries.from_items((i, float(i), Image(image, {"name": names[i]} if names else {}))
                                  for i, image in enumerate(images))


def _run(tmp_path, frames=None, **params):
    defaults = dict(images=None, intrinsics=[], matching="exhaustive", overlap=10, mask_folder=None,
                    max_features=8192, min_triangulation_angle=4.0)
    defaults.update(params)
    ctx = Context("sfm", "recon.sfm", scratch_root=tmp_path)
    return sfm.func(frames, ctx=ctx, **defaults)


def _similarity(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """``source`` mapped onto ``target`` by the best similarity transform (Umeyama)."""
    from skimage.transform import SimilarityTransform

    transform = SimilarityTransform.from_estimate(source, target)
    assert transform
    return transform(source)


@pytest.fixture(scope="module")
def scene():
    return render_scene(8, (640, 480), seed=0)


def test_rendered_scene_all_views_register_and_centres_match_truth(scene, tmp_path):
    out = _run(tmp_path, _frames(scene.images, scene.cameras.names))
    cameras, points, report = out["cameras"], out["points"], out["report"]
    assert cameras.names == scene.cameras.names
    assert report["registered"].all()
    centres = _similarity(cameras.centers(), scene.cameras.centers())
    truth = scene.cameras.centers()
    track = np.linalg.norm(np.diff(truth, axis=0), axis=1).sum()
    assert np.linalg.norm(centres - truth, axis=1).max() < 0.01 * track
    # The focal length was estimated (no intrinsics given) close to the true 512 px.
    assert cameras.intrinsics[0, 0, 0] == pytest.approx(512.0, rel=0.02)
    assert len(points) > 1000 and points.colors is not None
    assert report["mean_reprojection_error_px"][0] < 1.0


def test_motorcycle_pair_relative_pose_with_known_intrinsics(tmp_path):
    from skimage.data import stereo_motorcycle

    left, right, _ = stereo_motorcycle()
    # The right camera's principal point is 31.086 px further right (doffs): shifting the
    # right image 31 px left gives both views the left camera's intrinsics (to 0.09 px).
    shifted = np.zeros_like(right)
    shifted[:, :-31] = right[:, 31:]
    out = _run(tmp_path, _frames([left, shifted], ["left.png", "right.png"]),
               intrinsics=[994.978, 994.978, 311.193, 254.877])
    cameras = out["cameras"]
    assert cameras.names == ["left.png", "right.png"]
    R0, R1 = cameras.rotations
    relative = R1 @ R0.T
    angle = np.degrees(np.arccos(np.clip((np.trace(relative) - 1) / 2, -1, 1)))
    assert angle < 0.5
    # Right camera centre, in the left camera's frame: along +x (a rectified pair).
    centre = R0 @ (cameras.centers()[1] - cameras.centers()[0])
    direction = centre / np.linalg.norm(centre)
    assert np.degrees(np.arccos(direction @ [1.0, 0.0, 0.0])) < 1.0


def test_masked_objects_leave_no_points(tmp_path):
    """The moving box and the (static) middle box are masked in every view: no sparse point
    lies on either. A static box would get points if the masks were ignored."""
    scene = render_scene(6, (480, 360), seed=1, moving_box=True)
    moving_id, middle_id = len(scene.boxes) + 1, 2
    ignore = FrameSeries.from_items((i, float(i), Instances(np.stack([ids == moving_id, ids == middle_id])))
                                    for i, ids in enumerate(scene.object_ids))
    frames = _frames(scene.images, scene.cameras.names)
    ctx = Context("sfm", "recon.sfm", scratch_root=tmp_path)
    out = sfm.func(frames, ignore, ctx=ctx, images=None, intrinsics=[384.0, 384.0, 239.5, 179.5],
                   matching="exhaustive", overlap=10, mask_folder=None, max_features=8192, min_triangulation_angle=4.0)
    cameras, points = out["cameras"], out["points"]
    assert len(cameras) == 6
    # Put the points in the scene's frame, then look inside every place the box has been.
    from skimage.transform import SimilarityTransform

    transform = SimilarityTransform.from_estimate(cameras.centers(), scene.cameras.centers())
    world = transform(points.points.astype(np.float64))
    def on_box(box) -> int:
        # On or in the box, not on the floor it stands on (points there touch its bottom edge).
        near = ((world > box.low - 0.02) & (world < box.high + 0.02)).all(axis=1) & (world[:, 1] < -0.03)
        return int(near.sum())

    for box in [*scene.moving, scene.boxes[middle_id - 1]]:
        assert on_box(box) == 0
    # The static boxes, unmasked, do get points (so the check above can fail).
    assert on_box(scene.boxes[0]) > 20 and on_box(scene.boxes[2]) > 20


def test_one_view_is_refused(tmp_path, scene):
    with pytest.raises(NodeError, match="at least two"):
        _run(tmp_path, _frames(scene.images[:1]))


def test_views_of_different_sizes_are_refused(tmp_path):
    frames = _frames([np.zeros((48, 64, 3), np.uint8), np.zeros((40, 64, 3), np.uint8)])
    with pytest.raises(NodeError, match="different sizes"):
        _run(tmp_path, frames)


def test_views_without_overlap_register_nothing(tmp_path):
    rng = np.random.default_rng(0)
    noise = [(rng.random((240, 320, 3)) * 255).astype(np.uint8) for _ in range(3)]
    with pytest.raises(NodeError, match="no views could be placed"):
        _run(tmp_path, _frames(noise))


def test_folder_of_images_and_bad_intrinsics(tmp_path, scene):
    import cv2

    folder = tmp_path / "views"
    folder.mkdir()
    for name, image in zip(scene.cameras.names[:2], scene.images[:2]):
        cv2.imwrite(str(folder / name), image[..., ::-1])
    with pytest.raises(NodeError, match=r"param intrinsics"):
        _run(tmp_path, images=str(folder), intrinsics=[500, 500])
    with pytest.raises(NodeError, match="no image files"):
        _run(tmp_path, images=str(tmp_path / "nothing" / "*.jpg"))


def test_colmap_masks_written_by_export_photogrammetry_masks_are_honoured(tmp_path):
    """The photogrammetry export and SfM agree on COLMAP's mask names: the dropped box gets no points."""
    import cv2

    from thyra_graph.nodes.export.photogrammetry import photogrammetry_masks
    from thyra_graph.nodes.recon.synthetic_scene import synthetic_scene
    from skimage.transform import SimilarityTransform

    rendered = synthetic_scene.func(n_views=5, width=480, height=360, arc_degrees=50.0, seed=1)
    folder = tmp_path / "photos"
    folder.mkdir()
    for name, (_f, _t, image) in zip(rendered["cameras"].names, rendered["frames"]):
        cv2.imwrite(str(folder / name), image.data[..., ::-1])
    photogrammetry_masks.func(series=rendered["objects"], path=str(tmp_path / "masks"), convention="colmap",
                              keep_classes=[], drop_classes=["middle box"], grow=2, image_name="view_{frame:03d}.png",
                              overwrite=False, ctx=Context("m", "export.photogrammetry_masks"))
    out = _run(tmp_path, images=str(folder), mask_folder=str(tmp_path / "masks"), intrinsics=[384.0, 384.0, 239.5, 179.5])
    cameras = out["cameras"]
    assert len(cameras) == 5
    world = SimilarityTransform.from_estimate(cameras.centers(), rendered["cameras"].centers())(
        out["points"].points.astype(np.float64))
    scene = render_scene(1, (32, 24))

    def on_box(box) -> int:
        return int((((world > box.low - 0.02) & (world < box.high + 0.02)).all(axis=1) & (world[:, 1] < -0.03)).sum())

    assert on_box(scene.boxes[1]) == 0
    assert on_box(scene.boxes[0]) > 20
