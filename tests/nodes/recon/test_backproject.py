"""recon.backproject: depth maps through their cameras land on the true surface."""

from __future__ import annotations

import numpy as np
import pytest

from thyra_graph.engine.declaration import NodeError
from thyra_graph.nodes.recon.backproject import backproject
from thyra_graph.types import Field, FrameSeries, Mask

from .conftest import RADIUS


def test_every_view_lands_on_the_sphere_with_its_colour(sphere_views) -> None:
    cameras, depths, frames = sphere_views
    cloud = backproject(cameras, depths=depths, frames=frames)
    cloud.validate()
    expected = sum(int(np.isfinite(d["depth"]).sum()) for _, _, d in depths)
    assert len(cloud) == expected
    assert np.linalg.norm(cloud.points, axis=1) == pytest.approx(RADIUS, abs=1e-5)
    # Each view's points face its own camera, and carry its frame's colour.
    assert sorted(np.unique(cloud.colors[:, 0]).tolist()) == [0, 40, 80, 120, 160, 200]


def test_one_depth_map_with_a_mask_and_stride(sphere_views) -> None:
    cameras, depths, _ = sphere_views
    depth = depths.items[2]
    keep = np.zeros(depth.shape, dtype=bool)
    keep[:, : depth.shape[1] // 2] = True  # the left half of the image
    cloud = backproject(cameras, depth=depth, mask=Mask(keep), view=2, stride=2)
    strided = np.zeros(depth.shape, dtype=bool)
    strided[::2, ::2] = True
    assert len(cloud) == int((np.isfinite(depth["depth"]) & keep & strided).sum())
    assert np.linalg.norm(cloud.points, axis=1) == pytest.approx(RADIUS, abs=1e-5)
    # Camera 2 sits at +z looking at the origin: its left half (x_cam < 0) is world +x here.
    centre = cameras.centers()[2]
    assert centre == pytest.approx([0, 0, 3.5])
    assert (cloud.points[:, 0] > -1e-6).all()


def test_each_views_points_lie_on_the_side_its_camera_sees(sphere_views) -> None:
    cameras, depths, frames = sphere_views
    cloud = backproject(cameras, depths=depths, frames=frames)
    for index, centre in enumerate(cameras.centers()):
        mine = cloud.points[cloud.colors[:, 0] == 40 * index]
        # A sphere point is visible from the centre c only if (p − c)·p < 0, i.e. p·c > |p|² = 1.
        assert len(mine) and (mine @ centre > 1.0 - 1e-4).all()


def test_a_depth_map_of_the_wrong_size_is_refused(sphere_views) -> None:
    cameras, _, _ = sphere_views
    with pytest.raises(NodeError, match="depth map 0 is 50×40 but camera 0 sees 96×72"):
        backproject(cameras, depth=Field({"depth": np.ones((40, 50), np.float32)}))


def test_counts_and_missing_depth_are_refused(sphere_views) -> None:
    cameras, depths, _ = sphere_views
    with pytest.raises(NodeError, match="5 depth maps for 6 cameras"):
        backproject(cameras, depths=depths.select(range(5)))
    with pytest.raises(NodeError, match="either 'depth'"):
        backproject(cameras)
    nothing = Field({"depth": np.full((72, 96), np.nan, np.float32)})
    with pytest.raises(NodeError, match="no pixel has a valid depth"):
        backproject(cameras, depth=nothing)


def test_relative_and_metric_depth_are_not_mixed(sphere_views) -> None:
    cameras, depths, _ = sphere_views
    items = list(depths.items)
    items[1] = Field(items[1].layers, meta={"units": "relative"})
    with pytest.raises(NodeError, match="mix units"):
        backproject(cameras, depths=FrameSeries.from_items((i, float(i), d) for i, d in enumerate(items)))
