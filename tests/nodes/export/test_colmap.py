"""export.colmap and io.load_colmap: a COLMAP text model that pycolmap reads back exactly."""

from __future__ import annotations

import numpy as np
import pytest

from thyra_graph.engine.context import Context
from thyra_graph.engine.declaration import NodeError
from thyra_graph.nodes.export.colmap import colmap
from thyra_graph.nodes.io.colmap_files import load_colmap
from thyra_graph.nodes.recon.synthetic_scene import render_scene
from thyra_graph.types import PointCloud

pycolmap = pytest.importorskip("pycolmap")


@pytest.fixture(scope="module")
def cameras():
    return render_scene(3, (64, 48)).cameras


def _cloud() -> PointCloud:
    rng = np.random.default_rng(0)
    return PointCloud(rng.normal(size=(50, 3)).astype(np.float32), rng.integers(0, 256, (50, 3), dtype=np.uint8))


def _export(cameras, points, path, **params):
    return colmap.func(cameras, points, path=str(path), overwrite=params.get("overwrite", False),
                       ctx=Context("x", "export.colmap"))


def test_pycolmap_reads_the_cameras_poses_and_points(tmp_path, cameras):
    points = _cloud()
    written = _export(cameras, points, tmp_path / "model")
    assert {"cameras.txt", "images.txt", "points3D.txt"} <= {p.rsplit("/", 1)[-1] for p in written.written}
    model = pycolmap.Reconstruction(str(tmp_path / "model"))
    assert model.num_reg_images() == 3 and model.num_points3D() == 50
    for index, name in enumerate(cameras.names):
        image = model.find_image_with_name(name)
        assert np.allclose(image.cam_from_world().matrix(), cameras.extrinsics[index], atol=1e-9)
        # COLMAP's principal point is half a pixel further than OpenCV's.
        K = cameras.intrinsics[index]
        assert np.allclose(image.camera.params, [K[0, 0], K[1, 1], K[0, 2] + 0.5, K[1, 2] + 0.5])
        assert (image.camera.width, image.camera.height) == cameras.image_size
        # A world point projects to the same pixel through pycolmap and through Cameras.
        world = np.array([0.2, -0.3, 1.0])
        cam = cameras.extrinsics[index][:, :3] @ world + cameras.extrinsics[index][:, 3]
        uv = (K @ cam)[:2] / cam[2]
        assert np.allclose(np.asarray(image.project_point(world)) - 0.5, uv, atol=1e-6)
    xyz = np.array(sorted(tuple(p.xyz) for p in model.points3D.values()))
    assert np.allclose(xyz, np.array(sorted(map(tuple, points.points.astype(np.float64)))), atol=1e-5)


def test_load_colmap_round_trips_export(tmp_path, cameras):
    points = _cloud()
    _export(cameras, points, tmp_path / "model")
    out = load_colmap.func(path=str(tmp_path / "model"), ctx=Context("l", "io.load_colmap"))
    assert out["cameras"].names == cameras.names
    assert np.allclose(out["cameras"].extrinsics, cameras.extrinsics, atol=1e-9)
    assert np.allclose(out["cameras"].intrinsics, cameras.intrinsics)
    assert len(out["points"]) == 50 and out["points"].colors is not None
    # Exported points have no observations, hence no reprojection error to rate them by.
    assert out["points"].confidence is None
    out["points"].validate()


def test_load_colmap_reads_binary_models(tmp_path, cameras):
    from thyra_graph.nodes.recon.colmap_model import from_thyra

    from_thyra(cameras, _cloud()).write_binary(str(tmp_path))
    out = load_colmap.func(path=str(tmp_path), ctx=Context("l", "io.load_colmap"))
    assert np.allclose(out["cameras"].extrinsics, cameras.extrinsics, atol=1e-9)


def test_bad_folders_are_refused_with_the_fix(tmp_path):
    ctx = Context("l", "io.load_colmap")
    with pytest.raises(NodeError, match="is not a folder"):
        load_colmap.func(path=str(tmp_path / "missing"), ctx=ctx)
    (tmp_path / "cameras.txt").write_text("# nothing\n")
    with pytest.raises(NodeError, match="holds no COLMAP model"):
        load_colmap.func(path=str(tmp_path), ctx=ctx)
    (tmp_path / "images.txt").write_text("garbage line\n")
    (tmp_path / "points3D.txt").write_text("")
    with pytest.raises(NodeError, match="param path"):
        load_colmap.func(path=str(tmp_path), ctx=ctx)


def test_export_never_overwrites_foreign_files(tmp_path, cameras):
    (tmp_path / "cameras.txt").write_text("mine\n")
    with pytest.raises(NodeError, match="already exist"):
        _export(cameras, None, tmp_path)
    assert (tmp_path / "cameras.txt").read_text() == "mine\n"
    assert not (tmp_path / "images.txt").exists()
