"""3D geometry (thyra_graph.types.geometry): PointCloud, Mesh, Cameras."""

from __future__ import annotations

import json

import numpy as np
import pytest

from thyra_graph.types import Cameras, Mesh, PointCloud

RNG = np.random.default_rng(3)


# -- PointCloud --------------------------------------------------------------------------------
def _cloud(n: int = 20, **extras) -> PointCloud:
    return PointCloud(RNG.random((n, 3)).astype(np.float32), **extras)


def test_point_cloud_round_trips_with_every_optional_field(roundtrip, same):
    n = 15
    cloud = _cloud(n, colors=RNG.integers(0, 256, (n, 3), dtype=np.uint8),
                   normals=RNG.random((n, 3)).astype(np.float32), confidence=RNG.random(n).astype(np.float32))
    same(roundtrip(cloud), cloud)


def test_point_cloud_round_trips_bare_and_empty(roundtrip, same):
    for cloud in (_cloud(5), PointCloud(np.zeros((0, 3), np.float32))):
        back = roundtrip(cloud)
        same(back, cloud)
        assert back.colors is None and back.normals is None and back.confidence is None


def test_float64_model_output_becomes_float32():
    cloud = PointCloud(RNG.random((4, 3)), normals=RNG.random((4, 3)), confidence=RNG.random(4))
    assert {cloud.points.dtype, cloud.normals.dtype, cloud.confidence.dtype} == {np.dtype(np.float32)}
    cloud.validate()


def test_point_cloud_coerces_an_n_by_3_array():
    cloud = PointCloud.coerce(np.zeros((7, 3)))
    cloud.validate()
    assert len(cloud) == 7


@pytest.mark.parametrize("make, message", [
    (lambda: PointCloud(np.zeros((4, 2), np.float32)), r"PointCloud.points must have shape N×3, got shape \(4, 2\)"),
    (lambda: PointCloud(np.zeros((4, 3), np.int32)), "PointCloud.points must be float32, got int32"),
    (lambda: PointCloud(np.array([[0, 0, np.inf]], np.float32)), "NaN or infinite.*np.isfinite"),
    (lambda: _cloud(4, colors=np.zeros((3, 3), np.uint8)), "4 rows but 3 colors"),
    (lambda: _cloud(4, colors=np.zeros((4, 3), np.float32)), r"colors must be uint8 RGB .*\* 255"),
    (lambda: _cloud(4, colors=np.zeros((4, 4), np.uint8)), r"colors must have shape N×3"),
    (lambda: _cloud(4, normals=np.zeros((5, 3))), "4 rows but 5 normals"),
    (lambda: _cloud(4, confidence=np.zeros((4, 1))), r"confidence must have shape N \(1-D\)"),
    (lambda: _cloud(4, confidence=np.zeros(2)), "4 rows but 2 confidence values"),
])
def test_point_cloud_validate_names_what_is_malformed(make, message):
    with pytest.raises(ValueError, match=message):
        make().validate()


def test_point_cloud_nbytes_grows_with_points_and_extras():
    assert _cloud(1000).nbytes() > _cloud(10).nbytes()
    assert _cloud(10, colors=np.zeros((10, 3), np.uint8)).nbytes() > _cloud(10).nbytes()


def test_point_cloud_summary_shows_count_fields_and_bounds():
    cloud = PointCloud(np.array([[0, 0, 0], [1, 2, 3]], np.float32), colors=np.zeros((2, 3), np.uint8))
    summary = json.loads(json.dumps(cloud.summary()))
    assert summary["count"] == 2 and summary["has"] == ["colors"]
    assert summary["bounds"] == [[0, 0, 0], [1, 2, 3]]
    json.dumps(PointCloud(np.zeros((0, 3), np.float32)).summary())


# -- Mesh --------------------------------------------------------------------------------------
def _tetrahedron(**extras) -> Mesh:
    vertices = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]], np.float32)
    faces = np.array([[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]], np.int32)
    return Mesh(vertices, faces, **extras)


def test_mesh_round_trips_with_and_without_vertex_colours(roundtrip, same):
    plain = _tetrahedron()
    colored = _tetrahedron(vertex_colors=np.full((4, 3), 128, np.uint8))
    for mesh in (plain, colored):
        same(roundtrip(mesh), mesh)
    assert roundtrip(plain).vertex_colors is None


def test_mesh_takes_int64_or_uint32_faces_as_int32():
    for dtype in (np.int64, np.uint32):
        mesh = Mesh(np.zeros((3, 3)), np.array([[0, 1, 2]], dtype))
        assert mesh.faces.dtype == np.int32 and mesh.vertices.dtype == np.float32
        mesh.validate()


def test_mesh_coerces_a_vertices_faces_pair():
    mesh = Mesh.coerce((np.zeros((3, 3)), np.array([[0, 1, 2]])))
    mesh.validate()
    with pytest.raises(TypeError, match=r"\(vertices, faces\) tuple"):
        Mesh.coerce(np.zeros((3, 3)))


@pytest.mark.parametrize("make, message", [
    (lambda: Mesh(np.zeros((3, 2), np.float32), np.array([[0, 1, 2]])), r"Mesh.vertices must have shape V×3"),
    (lambda: Mesh(np.zeros((3, 3), np.float32), np.array([[0, 1]])), r"Mesh.faces must have shape F×3"),
    (lambda: Mesh(np.zeros((3, 3), np.float32), np.array([[0.0, 1.0, 2.0]])), "Mesh.faces must be int32, got float64"),
    (lambda: Mesh(np.zeros((3, 3), np.float32), np.array([[0, 1, 3]])), "refer to vertex 3 but the mesh has 3 vertices"),
    (lambda: Mesh(np.zeros((3, 3), np.float32), np.array([[0, -1, 2]])), "refer to vertex -1"),
    (lambda: _tetrahedron(vertex_colors=np.zeros((3, 3), np.uint8)), "4 rows but 3 vertex colours"),
    (lambda: _tetrahedron(vertex_colors=np.zeros((4, 3))), "vertex_colors must be uint8"),
])
def test_mesh_validate_names_what_is_malformed(make, message):
    with pytest.raises(ValueError, match=message):
        make().validate()


def test_mesh_nbytes_grows_and_summary_counts():
    big = Mesh(np.zeros((1000, 3)), np.zeros((500, 3), np.int32))
    assert big.nbytes() > _tetrahedron().nbytes()
    assert json.loads(json.dumps(_tetrahedron().summary())) == {"vertices": 4, "faces": 4, "colored": False}


# -- Cameras -----------------------------------------------------------------------------------
def _cameras(n: int = 2, four_by_four: bool = False, **kwargs) -> Cameras:
    intrinsics = np.repeat(np.array([[500.0, 0, 320], [0, 500, 240], [0, 0, 1]])[None], n, axis=0)
    extrinsics = np.repeat(np.eye(4)[None], n, axis=0)
    extrinsics[:, :3, 3] = np.arange(n)[:, None] * [1.0, 0.0, 0.0]
    return Cameras(intrinsics, extrinsics if four_by_four else extrinsics[:, :3], (640, 480), **kwargs)


@pytest.mark.parametrize("four_by_four", [False, True])
def test_cameras_round_trip_with_names(four_by_four, roundtrip, same):
    cameras = _cameras(3, four_by_four, names=["f0", "f1", "f2"])
    same(roundtrip(cameras), cameras)


def test_cameras_keep_the_image_size_as_a_tuple_of_ints(roundtrip):
    cameras = Cameras(np.eye(3)[None], np.eye(4)[None, :3], [np.int64(64), 48.0])
    assert cameras.image_size == (64, 48)
    assert roundtrip(cameras).image_size == (64, 48)


def test_cameras_take_float32_matrices_as_float64():
    cameras = Cameras(np.eye(3, dtype=np.float32)[None], np.eye(4, dtype=np.float32)[None, :3], (4, 4))
    assert cameras.intrinsics.dtype == np.float64 and cameras.extrinsics.dtype == np.float64


def test_camera_centres_invert_the_world_to_camera_transform():
    # A camera turned 90° about y at world position (2, 0, 0).
    rotation = np.array([[0.0, 0, -1], [0, 1, 0], [1, 0, 0]])
    centre = np.array([2.0, 0, 0])
    extrinsics = np.hstack([rotation, (-rotation @ centre)[:, None]])[None]
    cameras = Cameras(np.eye(3)[None], extrinsics, (10, 10))
    np.testing.assert_allclose(cameras.centers(), [centre], atol=1e-12)
    assert len(cameras) == 1


@pytest.mark.parametrize("make, message", [
    (lambda: Cameras(np.zeros((2, 3, 4)), np.zeros((2, 3, 4)), (4, 4)), r"intrinsics must have shape N×3×3"),
    (lambda: Cameras(np.zeros((2, 3, 3)), np.zeros((2, 3, 3)), (4, 4)), r"N×3×4 or N×4×4 .*got shape \(2, 3, 3\)"),
    (lambda: Cameras(np.zeros((2, 3, 3), np.int32), np.zeros((2, 3, 4)), (4, 4)), "intrinsics must be a float array"),
    (lambda: Cameras(np.zeros((2, 3, 3)), np.zeros((2, 3, 4), np.int64), (4, 4)), "extrinsics must be a float array"),
    (lambda: Cameras(np.zeros((2, 3, 3)), np.zeros((3, 3, 4)), (4, 4)), "2 intrinsics but 3 extrinsics"),
    (lambda: Cameras(np.zeros((1, 3, 3)), np.zeros((1, 4, 4)), (4, 4)), "last row of 0 0 0 1"),
    (lambda: Cameras(np.full((1, 3, 3), np.nan), np.zeros((1, 3, 4)), (4, 4)), "intrinsics contains NaN"),
    (lambda: Cameras(np.zeros((1, 3, 3)), np.zeros((1, 3, 4)), (0, 4)), r"image_size must be \(width, height\)"),
    (lambda: Cameras(np.zeros((1, 3, 3)), np.zeros((1, 3, 4)), (4, 4, 3)), r"image_size must be \(width, height\)"),
    (lambda: _cameras(2, names=["only one"]), "2 cameras but 1 names"),
])
def test_cameras_validate_names_what_is_malformed(make, message):
    with pytest.raises(ValueError, match=message):
        make().validate()


def test_cameras_nbytes_grows_and_summary_is_json():
    assert _cameras(50).nbytes() > _cameras(2).nbytes()
    summary = json.loads(json.dumps(_cameras(2).summary()))
    assert summary == {"count": 2, "image_size": [640, 480], "extrinsics": {"shape": [2, 3, 4], "dtype": "float64"}}
