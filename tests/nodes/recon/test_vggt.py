"""recon.vggt: VGGT's outputs decoded by our own code. The arrays are shaped and encoded exactly as
VGGT returns them (pose_enc = translation, quaternion XYZW, field of view), built from a scene
whose cameras and depth are known, so pose decoding and unprojection are checked against truth.
The vggt package itself is optional: without it the node is unavailable and says how to install it."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from thyra_graph.engine.declaration import NodeError
from thyra_graph.nodes.recon.camera_math import pixel_grid, pixel_rays
from thyra_graph.nodes.recon.vggt import decode_pose_encoding, reconstruction, vggt
from thyra_graph.types import FrameSeries, Image

HEIGHT, WIDTH = 120, 160
WALL_Z = 4.0  # the scene: a wall, the plane z = 4


def rotation_from_quaternion(q: np.ndarray) -> np.ndarray:
    """The textbook rotation matrix of a unit quaternion in VGGT's order (x, y, z, w)."""
    x, y, z, w = q / np.linalg.norm(q)
    return np.array([
        [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
        [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
        [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
    ])


def true_cameras(count: int = 3):
    """Quaternions (XYZW, w > 0), world-to-camera extrinsics and K (at the input size) of cameras facing the wall."""
    rng = np.random.default_rng(0)
    quats = np.column_stack([rng.normal(0, 0.08, (count, 3)), np.ones(count)])
    quats /= np.linalg.norm(quats, axis=1, keepdims=True)
    extrinsics = []
    for q in quats:
        R = rotation_from_quaternion(q)
        center = rng.uniform(-0.5, 0.5, 3)
        extrinsics.append(np.column_stack([R, -R @ center]))
    K = np.array([[150.0, 0, WIDTH / 2], [0, 140.0, HEIGHT / 2], [0, 0, 1]])
    return quats, np.stack(extrinsics), K


def wall_depth(K: np.ndarray, extrinsic: np.ndarray, height: int, width: int) -> np.ndarray:
    """Camera-space z of the wall at every pixel (ray-plane intersection)."""
    origin, directions = pixel_rays(pixel_grid(height, width), K, extrinsic)
    points = origin + directions * ((WALL_Z - origin[2]) / directions[:, 2])[:, None]
    return (points @ extrinsic[:, :3].T + extrinsic[:, 3])[:, 2].reshape(height, width)


def vggt_outputs(quats, extrinsics, K, h: int, w: int) -> dict[str, np.ndarray]:
    """What VGGT returns for images of h×w pixels (batch dimension dropped), encoded from the truth."""
    K_model = np.diag([w / WIDTH, h / HEIGHT, 1.0]) @ K
    fov_h = 2 * np.arctan((h / 2) / K_model[1, 1])
    fov_w = 2 * np.arctan((w / 2) / K_model[0, 0])
    pose_enc = np.stack([np.concatenate([E[:, 3], q, [fov_h, fov_w]]) for q, E in zip(quats, extrinsics)])
    depth = np.stack([wall_depth(K_model, E, h, w) for E in extrinsics])[..., None]
    conf = 1.0 + np.random.default_rng(1).random(depth.shape[:3]) * 5
    world = np.zeros((*depth.shape[:3], 3))  # not used with points_from='depth'
    return {"pose_enc": pose_enc.astype(np.float32), "depth": depth.astype(np.float32),
            "depth_conf": conf.astype(np.float32), "world_points": world.astype(np.float32),
            "world_points_conf": conf.astype(np.float32)}


def test_pose_encoding_decodes_to_the_true_cameras():
    quats, extrinsics, K = true_cameras()
    h, w = 98, 126
    decoded_E, decoded_K = decode_pose_encoding(vggt_outputs(quats, extrinsics, K, h, w)["pose_enc"], (h, w))
    np.testing.assert_allclose(decoded_E, extrinsics, atol=1e-6)
    expected_K = np.diag([w / WIDTH, h / HEIGHT, 1.0]) @ K
    np.testing.assert_allclose(decoded_K, np.broadcast_to(expected_K, decoded_K.shape), rtol=1e-5)


def test_reconstruction_gives_cameras_depth_and_points_on_the_true_surface():
    quats, extrinsics, K = true_cameras()
    images = [np.random.default_rng(i).integers(0, 255, (HEIGHT, WIDTH, 3), dtype=np.uint8) for i in range(3)]
    seen = {}

    def predict(batch: np.ndarray) -> dict[str, np.ndarray]:
        seen["shape"] = batch.shape
        assert batch.dtype == np.float32 and 0 <= batch.min() and batch.max() <= 1
        return vggt_outputs(quats, extrinsics, K, *batch.shape[2:])

    result = reconstruction(images, predict, names=["a", "b", "c"], resolution=126, keep_percent=40)
    assert seen["shape"] == (3, 3, 98, 126)  # 126 wide, 120·126/160 = 94.5 → 98 high (a multiple of 14)
    cameras = result.cameras
    assert cameras.image_size == (WIDTH, HEIGHT) and cameras.names == ["a", "b", "c"]
    np.testing.assert_allclose(cameras.extrinsics, extrinsics, atol=1e-6)
    np.testing.assert_allclose(cameras.intrinsics[0], K, rtol=1e-4)
    truth = wall_depth(K, extrinsics[1], HEIGHT, WIDTH)
    assert result.depths[1].shape == (HEIGHT, WIDTH)
    assert np.median(np.abs(result.depths[1] - truth) / truth) < 0.01
    cloud = result.cloud
    assert abs(len(cloud) / (3 * 98 * 126) - 0.4) < 0.02  # the 40 % most confident pixels
    np.testing.assert_allclose(cloud.points[:, 2], WALL_Z, atol=1e-4)  # every point on the wall
    assert cloud.colors is not None and cloud.confidence.min() >= np.percentile(
        vggt_outputs(quats, extrinsics, K, 98, 126)["depth_conf"], 60) - 1e-5


@pytest.mark.skipif(importlib.util.find_spec("vggt") is not None, reason="vggt is installed here")
def test_without_the_vggt_package_the_node_is_unavailable_and_says_how_to_install_it():
    assert "vggt" in vggt.missing_requirements()
    assert "git+https://github.com/facebookresearch/vggt" in vggt.install_hint()
    frames = FrameSeries.from_items([(i, 0.0, Image(np.zeros((28, 28, 3), np.uint8))) for i in range(2)])
    with pytest.raises(NodeError, match="facebookresearch/vggt"):
        vggt(frames)


def test_views_of_different_sizes_are_refused():
    frames = FrameSeries.from_items([(0, 0.0, Image(np.zeros((28, 28, 3), np.uint8))),
                                     (1, 0.0, Image(np.zeros((28, 42, 3), np.uint8)))])
    with pytest.raises(NodeError, match="different sizes"):
        vggt(frames)


def test_the_point_map_head_can_give_the_cloud_instead():
    quats, extrinsics, K = true_cameras(2)
    images = [np.zeros((HEIGHT, WIDTH, 3), np.uint8)] * 2

    def predict(batch: np.ndarray) -> dict[str, np.ndarray]:
        out = vggt_outputs(quats, extrinsics, K, *batch.shape[2:])
        out["world_points"][..., 0] = 7.0  # recognisably not from the depth maps
        return out

    cloud = reconstruction(images, predict, names=["a", "b"], resolution=126, points_from="point_map").cloud
    assert len(cloud) > 0 and np.all(cloud.points[:, 0] == 7.0)


@pytest.mark.skipif(importlib.util.find_spec("vggt") is not None, reason="vggt is installed here")
def test_a_graph_using_vggt_without_the_package_is_refused_with_the_install_command(tmp_path):
    from thyra_graph.api import default_registry
    from thyra_graph.engine.graphfile import load_graph_file

    path = tmp_path / "g.yaml"
    path.write_text("thyra: 1\nnodes:\n  scene: {type: recon.synthetic_scene}\n"
                    "  vggt: {type: recon.vggt, inputs: {frames: scene.frames}}\n")
    loaded = load_graph_file(path, default_registry())
    messages = "\n".join(str(d) for d in loaded.diagnostics)
    assert not loaded.ok and "vggt @ git+https://github.com/facebookresearch/vggt" in messages
