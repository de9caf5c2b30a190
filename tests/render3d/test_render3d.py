"""The NumPy 3D renderer (thyra_graph.render3d): projection, z-buffer, triangles, frusta, orbit camera, scenes."""

from __future__ import annotations

import math

import numpy as np
import pytest

from thyra_graph.render3d import BACKGROUND, OrbitCamera, Scene, frustum_lines, render, scene_of, snapshot
from thyra_graph.types import Cameras, Image, Mesh, PointCloud

SIZE = (160, 120)


def _front_camera(distance: float = 10.0) -> OrbitCamera:
    """Looking along world +z at the origin, with world y pointing down the screen."""
    return OrbitCamera(np.zeros(3), distance, yaw=0.0, pitch=0.0)


def _lit(image: np.ndarray) -> np.ndarray:
    return (image != np.array(BACKGROUND, np.uint8)).any(axis=2)


def _square(z: float, half: float, colour) -> Mesh:
    vertices = np.array([[-half, -half, z], [half, -half, z], [half, half, z], [-half, half, z]], np.float32)
    return Mesh(vertices, np.array([[0, 1, 2], [0, 2, 3]]), np.tile(np.array(colour, np.uint8), (4, 1)))


def test_a_point_lands_on_the_pinhole_projection():
    camera = _front_camera()
    cloud = PointCloud(np.array([[2.0, -1.0, 0.0]], np.float32), colors=np.array([[255, 0, 0]], np.uint8))
    image = render(scene_of(cloud), camera, SIZE, overlays=False)
    focal = camera.focal(SIZE[1])
    u, v = SIZE[0] / 2 + focal * 2.0 / 10.0, SIZE[1] / 2 + focal * -1.0 / 10.0
    rows, cols = np.nonzero(_lit(image))
    assert int(math.floor(u)) in cols and int(math.floor(v)) in rows
    assert cols.max() - cols.min() <= 1 and rows.max() - rows.min() <= 1  # one 2×2 splat
    assert (image[int(v), int(u)] == (255, 0, 0)).all()


@pytest.mark.parametrize("order", [(0, 1), (1, 0)])
def test_the_nearest_point_wins_a_pixel_whatever_the_order(order):
    points = np.array([[0, 0, 0.0], [0, 0, -3.0]], np.float32)[list(order)]  # -3 is nearer the eye
    colours = np.array([[255, 0, 0], [0, 255, 0]], np.uint8)[list(order)]
    image = render(scene_of(PointCloud(points, colors=colours)), _front_camera(), SIZE, overlays=False)
    assert (image[SIZE[1] // 2, SIZE[0] // 2] == (0, 255, 0)).all()


def test_a_square_facing_the_camera_fills_its_projected_rectangle():
    camera = _front_camera()
    image = render(scene_of(_square(0.0, 2.0, (200, 100, 50))), camera, SIZE, overlays=False)
    half_px = camera.focal(SIZE[1]) * 2.0 / 10.0
    lit = _lit(image)
    expected = (2 * half_px) ** 2
    assert abs(lit.sum() - expected) / expected < 0.05
    centre = image[SIZE[1] // 2, SIZE[0] // 2].astype(int)
    # Lit from the eye, almost head-on: close to full brightness, hue kept.
    assert centre[0] > 180 and centre[0] > centre[1] > centre[2]


def test_a_near_triangle_hides_a_far_one_in_either_order():
    near, far = _square(-2.0, 1.0, (0, 255, 0)), _square(2.0, 3.0, (255, 0, 0))
    for first, second in ((near, far), (far, near)):
        image = render(scene_of(first, second), _front_camera(), SIZE, overlays=False)
        middle = image[SIZE[1] // 2, SIZE[0] // 2]
        assert middle[1] > 100 and middle[0] == 0
        assert image[SIZE[1] // 2, SIZE[0] // 2 - 25][0] > 100  # the far square shows around the near one


def test_a_sphere_mesh_covers_its_disc_and_is_shaded_darker_at_the_rim():
    import trimesh

    sphere = trimesh.creation.icosphere(subdivisions=4)
    camera = _front_camera(distance=6.0)
    image = render(scene_of(Mesh(sphere.vertices, sphere.faces)), camera, (200, 200), overlays=False)
    radius_px = camera.focal(200) * math.tan(math.asin(1 / 6.0))
    expected = math.pi * radius_px ** 2
    assert abs(_lit(image).sum() - expected) / expected < 0.03
    centre, rim = image[100, 100].astype(int).sum(), image[100, int(100 + 0.95 * radius_px)].astype(int).sum()
    assert centre > rim + 100


def test_frusta_reach_the_image_corners_at_the_given_depth():
    K = np.array([[100.0, 0, 50], [0, 100.0, 40], [0, 0, 1]])
    extrinsics = np.hstack([np.eye(3), [[0.0], [0.0], [-5.0]]])[None]  # centre at z = 5
    cameras = Cameras(K[None], extrinsics, (100, 80), ["a"])
    lines, colours = frustum_lines(cameras, scale=2.0)
    assert lines.shape == (9, 2, 3) and colours.shape == (9, 3)
    centre = np.array([0.0, 0.0, 5.0])
    np.testing.assert_allclose(lines[:4, 0], np.tile(centre, (4, 1)), atol=1e-6)
    # corner (0, 0) of the image: x = (0 - 50) / 100 · 2, y = (0 - 40) / 100 · 2, 2 in front
    np.testing.assert_allclose(lines[0, 1], [-1.0, -0.8, 7.0], atol=1e-6)
    np.testing.assert_allclose(lines[2, 1], [1.0, 0.8, 7.0], atol=1e-6)


def test_cameras_alone_are_drawn_as_frusta_with_names():
    ring = _camera_ring(6)
    scene = scene_of(ring)
    assert len(scene.lines) == 6 * 9 and [name for _, name in scene.labels] == ring.names
    image = render(scene, OrbitCamera.fitted(scene), SIZE)
    assert _lit(image).sum() > 200


def test_orbit_camera_rotates_pans_and_zooms():
    camera = _front_camera()
    before = camera.view_matrix()
    camera.rotate(40, 0)
    assert not np.allclose(camera.view_matrix(), before)
    assert np.isclose(np.linalg.norm(camera.centre() - camera.target), 10.0)  # still orbiting the target
    camera.rotate(0, 10_000)
    assert camera.pitch == pytest.approx(math.radians(89))  # never flips over the pole
    camera.zoom(2.0)
    assert camera.distance == pytest.approx(5.0)


def test_panning_moves_the_scene_with_the_mouse():
    camera = _front_camera()
    cloud = PointCloud(np.zeros((1, 3), np.float32), colors=np.array([[255, 255, 255]], np.uint8))
    camera.pan(20, 10, SIZE[1])
    rows, cols = np.nonzero(_lit(render(scene_of(cloud), camera, SIZE, overlays=False)))
    assert cols.min() == SIZE[0] // 2 + 20 and rows.min() == SIZE[1] // 2 + 10


def test_clouds_without_colours_are_coloured_by_height():
    points = np.array([[0, -1, 0], [0, 1, 0]], np.float32)  # y down: the first is higher
    scene = scene_of(PointCloud(points))
    high, low = scene.point_colors.astype(int)
    assert high.sum() > low.sum() + 200  # viridis: yellow above, purple below
    assert "coloured by height" in scene.caption


def test_drag_detail_draws_fewer_points():
    rng = np.random.default_rng(1)
    cloud = PointCloud(rng.uniform(-1, 1, (20_000, 3)).astype(np.float32))
    scene = scene_of(cloud)
    camera = OrbitCamera.fitted(scene)
    full = _lit(render(scene, camera, SIZE, overlays=False)).sum()
    quick = _lit(render(scene, camera, SIZE, max_points=200, overlays=False)).sum()
    assert quick < full / 3


def test_a_big_mesh_is_drawn_from_its_vertices_while_dragging():
    import trimesh

    sphere = trimesh.creation.icosphere(subdivisions=3)
    scene = scene_of(Mesh(sphere.vertices, sphere.faces))
    quick = render(scene, _front_camera(6.0), (200, 200), max_faces=10, overlays=False)
    lit = _lit(quick)
    assert 0 < lit.sum() < math.pi * 40 ** 2  # speckled vertices, not the filled disc


def test_other_types_are_refused_by_name():
    with pytest.raises(TypeError, match="cannot draw a Image in 3D"):
        scene_of(Image(np.zeros((4, 4, 3), np.uint8)))


def test_an_empty_scene_renders_the_background_and_a_snapshot_has_the_asked_size():
    assert Scene().empty
    image = snapshot(PointCloud(np.zeros((0, 3), np.float32)), size=(64, 48))
    assert image.shape == (48, 64, 3) and image.dtype == np.uint8


def _camera_ring(n: int) -> Cameras:
    K = np.array([[200.0, 0, 80], [0, 200.0, 60], [0, 0, 1]])
    extrinsics = []
    for i in range(n):
        angle = 2 * math.pi * i / n
        centre = np.array([4 * math.sin(angle), 0.0, -4 * math.cos(angle)])
        forward = -centre / np.linalg.norm(centre)
        down = np.array([0.0, 1.0, 0.0])
        rotation = np.stack([np.cross(down, forward), down, forward])
        extrinsics.append(np.hstack([rotation, (-rotation @ centre)[:, None]]))
    return Cameras(np.tile(K, (n, 1, 1)), np.array(extrinsics), (160, 120), [f"view{i}" for i in range(n)])


def test_a_few_stray_points_do_not_shrink_the_fitted_view():
    rng = np.random.default_rng(2)
    bulk = rng.uniform(-1, 1, (5000, 3)).astype(np.float32)
    strays = np.array([[500.0, 0, 0], [0, 0, 900.0]], np.float32)  # bad matches far away
    fitted = OrbitCamera.fitted(scene_of(PointCloud(np.concatenate([bulk, strays]))))
    assert fitted.distance < 10 and np.abs(fitted.target).max() < 0.1


def test_a_line_through_the_eye_plane_is_cut_not_dropped():
    segment = np.array([[[0.0, 0.0, -20.0], [0.0, 0.0, 5.0]]], np.float32)  # from behind the eye to beyond the target
    scene = Scene(lines=segment, line_colors=np.array([[255, 255, 0]], np.uint8))
    image = render(scene, OrbitCamera(np.array([0.0, 0.0, 0.0]), 10.0, yaw=0.0, pitch=0.0), SIZE, overlays=False)
    assert _lit(image)[SIZE[1] // 2, SIZE[0] // 2]


def test_a_mesh_without_faces_shows_its_vertices():
    scene = scene_of(Mesh(np.eye(3, dtype=np.float32), np.zeros((0, 3), np.int32)))
    assert len(scene.points) == 3 and "no faces" in scene.caption


def test_vertices_no_face_uses_do_not_move_the_fitted_view():
    square = _square(0.0, 1.0, (200, 200, 200))
    stray = Mesh(np.concatenate([square.vertices, [[50.0, 50.0, 50.0]]]).astype(np.float32), square.faces)
    fitted = OrbitCamera.fitted(scene_of(stray))
    assert np.abs(fitted.target).max() < 1e-6 and fitted.distance < 5
