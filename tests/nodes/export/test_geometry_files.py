"""export.ply / .obj / .glb and io.load_ply: files that Open3D and trimesh read back whole."""

from __future__ import annotations

import numpy as np
import open3d as o3d
import pytest
import trimesh

from thyra_graph.engine.declaration import NodeError
from thyra_graph.nodes.export.geometry_files import glb, obj, ply
from thyra_graph.nodes.io.ply_files import load_ply
from thyra_graph.types import Mesh, PointCloud


@pytest.fixture(scope="module")
def mesh() -> Mesh:
    sphere = o3d.geometry.TriangleMesh.create_sphere(radius=1.0, resolution=12)
    vertices = np.asarray(sphere.vertices)
    colors = ((vertices + 1) / 2 * 255).astype(np.uint8)
    return Mesh(vertices, np.asarray(sphere.triangles), colors)


@pytest.fixture(scope="module")
def cloud() -> PointCloud:
    rng = np.random.default_rng(0)
    points = rng.normal(size=(500, 3)).astype(np.float32)
    normals = points / np.linalg.norm(points, axis=1, keepdims=True)
    return PointCloud(points, rng.integers(0, 256, (500, 3), dtype=np.uint8), normals)


@pytest.mark.parametrize("writer, suffix", [(ply, ".ply"), (obj, ".obj"), (glb, ".glb")])
def test_meshes_round_trip_through_open3d_and_trimesh(mesh, tmp_path, writer, suffix) -> None:
    target = tmp_path / f"sphere{suffix}"
    written = writer(mesh=mesh, path=str(target))
    assert written.path == str(target)
    by_open3d = o3d.io.read_triangle_mesh(str(target))
    by_trimesh = trimesh.load(str(target), process=False, force="mesh")
    for vertices, faces in ((np.asarray(by_open3d.vertices), np.asarray(by_open3d.triangles)),
                            (by_trimesh.vertices, by_trimesh.faces)):
        assert len(vertices) == len(mesh.vertices) and len(faces) == len(mesh.faces)
        assert np.allclose(np.sort(vertices, axis=0), np.sort(mesh.vertices, axis=0), atol=1e-5)
    # Readers may reorder vertices: match each read vertex to the written one at its position.
    read = np.asarray(by_open3d.vertices)
    original = np.argmin(np.linalg.norm(read[:, None] - mesh.vertices[None], axis=2), axis=1)
    assert np.allclose(np.asarray(by_open3d.vertex_colors) * 255, mesh.vertex_colors[original], atol=1.0)


def test_a_cloud_as_ply_keeps_colours_and_normals_and_loads_back(cloud, tmp_path) -> None:
    target = tmp_path / "cloud.ply"
    ply(cloud=cloud, path=str(target))
    loaded = load_ply(path=str(target), max_size_mb=10)
    assert np.allclose(loaded["cloud"].points, cloud.points)
    assert np.array_equal(loaded["cloud"].colors, cloud.colors)
    assert np.allclose(loaded["cloud"].normals, cloud.normals, atol=1e-6)
    assert len(loaded["mesh"].faces) == 0 and len(loaded["mesh"].vertices) == 500
    assert len(trimesh.load(str(target)).vertices) == 500


def test_a_mesh_ply_loads_back_as_mesh(mesh, tmp_path) -> None:
    target = tmp_path / "mesh.ply"
    ply(mesh=mesh, path=str(target))
    loaded = load_ply(path=str(target), max_size_mb=10)["mesh"]
    assert np.array_equal(loaded.faces, mesh.faces) and np.allclose(loaded.vertices, mesh.vertices)
    assert np.array_equal(loaded.vertex_colors, mesh.vertex_colors)


def test_a_cloud_as_glb_reads_back_in_trimesh(cloud, tmp_path) -> None:
    target = tmp_path / "cloud.glb"
    glb(cloud=cloud, path=str(target))
    scene = trimesh.load(str(target))
    assert sum(len(g.vertices) for g in scene.geometry.values()) == 500


def test_bad_exports_write_nothing(mesh, cloud, tmp_path) -> None:
    with pytest.raises(NodeError, match="should end in .ply"):
        ply(mesh=mesh, path=str(tmp_path / "a.stl"))
    with pytest.raises(NodeError, match="exactly one of 'cloud' and 'mesh'"):
        ply(cloud=cloud, mesh=mesh, path=str(tmp_path / "b.ply"))
    with pytest.raises(NodeError, match="the cloud is empty; nothing written"):
        glb(cloud=PointCloud(np.zeros((0, 3), np.float32)), path=str(tmp_path / "c.glb"))
    assert not any(tmp_path.iterdir())


def test_a_foreign_file_is_not_overwritten(mesh, tmp_path) -> None:
    target = tmp_path / "theirs.obj"
    target.write_text("mine")
    with pytest.raises(NodeError):
        obj(mesh=mesh, path=str(target))
    assert target.read_text() == "mine"
    obj(mesh=mesh, path=str(target), overwrite=True)
    obj(mesh=mesh, path=str(target))  # ours now: replaced without asking


def test_load_ply_names_the_file_in_every_error(tmp_path) -> None:
    with pytest.raises(NodeError, match="no PLY file at"):
        load_ply(path=str(tmp_path / "missing.ply"), max_size_mb=10)
    junk = tmp_path / "junk.ply"
    junk.write_bytes(b"not a ply at all")
    with pytest.raises(NodeError, match="junk.ply.*no vertices, or is not a valid PLY"):
        load_ply(path=str(junk), max_size_mb=10)
    big = tmp_path / "big.ply"
    big.write_bytes(b"\0" * (2 * 2 ** 20))
    with pytest.raises(NodeError, match="big.ply' is 2 MB, above max_size_mb"):
        load_ply(path=str(big), max_size_mb=1)
