"""graphs/stereo_to_mesh.yaml end to end: the mesh and depth it writes match Middlebury's truth."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import trimesh

from thyra_graph.api import default_registry
from thyra_graph.engine.diskcache import DiskCache
from thyra_graph.engine.executor import Executor
from thyra_graph.engine.graphfile import load_graph_file

GRAPH = Path(__file__).resolve().parents[3] / "graphs" / "stereo_to_mesh.yaml"
# Full-size (741×500) calibration from skimage.data.stereo_motorcycle's docstring.
F, B, DOFFS, CX, CY = 994.978, 0.193001, 31.086, 311.193, 254.877


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("stereo_graph")
    loaded = load_graph_file(GRAPH, default_registry())
    assert loaded.ok, loaded.diagnostics
    graph = loaded.graph
    files = {}
    for node_id in ("depth", "cloud", "ply", "glb"):
        files[node_id] = folder / Path(graph.params(node_id)["path"]).name
        graph.set_param(node_id, "path", str(files[node_id]))
    result = Executor(disk=DiskCache(folder / "cache")).run(graph)
    assert result.status == "ok", {n: r.error for n, r in result.nodes.items() if r.error}
    return files


def truth() -> np.ndarray:
    from skimage import data

    disparity = data.stereo_motorcycle()[2]
    return np.where(np.isfinite(disparity), F * B / (np.nan_to_num(disparity, posinf=0) + DOFFS), np.nan)


def test_the_mesh_lies_on_the_true_surface(written) -> None:
    mesh = trimesh.load(written["glb"], force="mesh")
    ply = trimesh.load(written["ply"], force="mesh", process=False)
    assert len(ply.vertices) == len(mesh.vertices) and 20000 < len(mesh.faces) <= 50000
    v = np.asarray(mesh.vertices)
    # Project into the full-size left view and compare each vertex's depth with the truth there.
    u = np.round(F * v[:, 0] / v[:, 2] + CX).astype(int)
    w = np.round(F * v[:, 1] / v[:, 2] + CY).astype(int)
    inside = (u >= 0) & (u < 741) & (w >= 0) & (w < 500)
    assert inside.mean() > 0.9
    expected = truth()[w[inside], u[inside]]
    known = np.isfinite(expected)
    errors = np.abs(v[inside, 2][known] - expected[known]) / expected[known]
    assert np.median(errors) < 0.02


def test_the_depth_file_is_metres_on_the_left_grid(written) -> None:
    depth = cv2.imread(str(written["depth"]), cv2.IMREAD_UNCHANGED)
    assert depth.dtype == np.float32 and depth.shape == (250, 370)
    expected = truth()[:500:2, :740:2]  # the pixel nearest each half-size pixel's centre
    known = np.isfinite(expected) & np.isfinite(depth)
    assert known.sum() > 0.85 * np.isfinite(expected).sum()
    assert np.median(np.abs(depth[known] - expected[known]) / expected[known]) < 0.015


def test_the_cloud_is_coloured_from_the_left_image(written) -> None:
    import open3d as o3d

    cloud = o3d.io.read_point_cloud(str(written["cloud"]))
    assert len(cloud.points) > 20000 and cloud.has_colors()
    assert np.asarray(cloud.colors).std() > 0.05
