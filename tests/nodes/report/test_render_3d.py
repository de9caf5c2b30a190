"""report.render_3d: a picture of clouds, meshes and cameras, drawn as the editor's 3D preview draws them."""

from __future__ import annotations

import numpy as np
import pytest

from thyra_graph.engine.declaration import NodeError
from thyra_graph.nodes.builtin import THYRA_NODES
from thyra_graph.nodes.report.render_3d import render_3d
from thyra_graph.render3d import BACKGROUND
from thyra_graph.types import Cameras, Mesh, PointCloud

PARAMS = {"width": 160, "height": 120, "yaw": -30.0, "pitch": -20.0, "zoom": 1.0}


def _lit(image) -> int:
    return int((image.data != np.array(BACKGROUND, np.uint8)).any(axis=2).sum())


def _cloud() -> PointCloud:
    rng = np.random.default_rng(0)
    return PointCloud(rng.uniform(-1, 1, (3000, 3)).astype(np.float32),
                      colors=np.tile(np.array([[250, 40, 40]], np.uint8), (3000, 1)))


def _pair() -> Cameras:
    K = np.array([[100.0, 0, 50], [0, 100.0, 40], [0, 0, 1]])
    extrinsics = [np.hstack([np.eye(3), [[-x], [0.0], [4.0]]]) for x in (-0.5, 0.5)]
    return Cameras(np.tile(K, (2, 1, 1)), np.array(extrinsics), (100, 80), ["left", "right"])


def test_it_is_a_builtin_report_node():
    assert "report.render_3d" in {spec.id for spec in THYRA_NODES}


def test_the_picture_has_the_asked_size_and_shows_the_points_in_their_colours():
    picture = render_3d(_cloud(), **PARAMS)
    assert picture.data.shape == (120, 160, 3) and picture.data.dtype == np.uint8
    red = (picture.data[:, :, 0] > 200) & (picture.data[:, :, 1] < 80)
    assert red.sum() > 0.1 * 160 * 120


def test_yaw_turns_and_zoom_magnifies_the_view():
    mesh = Mesh(np.array([[-1, -1, 0], [1, -1, 0], [1, 1, 0], [-1, 1, 0]], np.float32), np.array([[0, 1, 2], [0, 2, 3]]))
    head_on = render_3d(mesh=mesh, **{**PARAMS, "yaw": 0.0, "pitch": 0.0})
    edge_on = render_3d(mesh=mesh, **{**PARAMS, "yaw": 85.0, "pitch": 0.0})
    assert _lit(edge_on) < _lit(head_on) / 4  # the square seen almost from its side
    closer = render_3d(mesh=mesh, **{**PARAMS, "yaw": 0.0, "pitch": 0.0, "zoom": 1.5})
    assert _lit(closer) > 1.5 * _lit(head_on)


def test_cameras_are_drawn_with_the_cloud():
    alone = render_3d(_cloud(), **PARAMS)
    both = render_3d(_cloud(), cameras=_pair(), **PARAMS)
    assert (both.data != alone.data).any(axis=2).sum() > 50


def test_nothing_to_draw_is_a_clear_error():
    with pytest.raises(NodeError, match="connect a point cloud, a mesh or cameras"):
        render_3d(**PARAMS)
    with pytest.raises(NodeError, match="the inputs are empty.*check the filters upstream"):
        render_3d(PointCloud(np.zeros((0, 3), np.float32)), **PARAMS)
