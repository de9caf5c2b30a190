"""The 3D preview: point clouds, meshes and cameras in an orbit view the mouse turns, pans and zooms."""

from __future__ import annotations

import math

import numpy as np
import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from PySide6 import QtCore, QtGui, QtWidgets  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402

from thyra_graph.editor import orbit_view  # noqa: E402
from thyra_graph.editor.orbit_view import OrbitView  # noqa: E402
from thyra_graph.editor.preview_panel import PreviewPanel  # noqa: E402
from thyra_graph.editor.previews import SCENE, Background, render  # noqa: E402
from thyra_graph.types import Cameras, Mesh, PointCloud  # noqa: E402

Qt = QtCore.Qt


def _cloud(n: int = 4000) -> PointCloud:
    rng = np.random.default_rng(0)
    box = rng.uniform(-1, 1, (n, 3)).astype(np.float32) * np.array([2.0, 0.5, 1.0], np.float32)
    return PointCloud(box)


def _cube() -> Mesh:
    vertices = np.array([[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)], np.float32)
    faces = np.array([[0, 1, 3], [0, 3, 2], [4, 6, 7], [4, 7, 5], [0, 4, 5], [0, 5, 1],
                      [2, 3, 7], [2, 7, 6], [0, 2, 6], [0, 6, 4], [1, 5, 7], [1, 7, 3]])
    return Mesh(vertices, faces)


def _cameras() -> Cameras:
    K = np.array([[100.0, 0, 50], [0, 100.0, 40], [0, 0, 1]])
    extrinsics = [np.hstack([np.eye(3), [[-x], [0.0], [0.0]]]) for x in (0.0, 1.0, 2.0)]
    return Cameras(np.tile(K, (3, 1, 1)), np.array(extrinsics), (100, 80), ["left", "middle", "right"])


@pytest.fixture
def view(qtbot):
    widget = OrbitView()
    qtbot.addWidget(widget)
    widget.resize(320, 240)
    widget.show()
    qtbot.waitExposed(widget)
    widget.set_scene(render(_cloud()).scene)
    return widget


def _drag(widget, start, end, button=Qt.LeftButton, modifier=Qt.NoModifier, *, release: bool = True) -> None:
    QTest.mousePress(widget, button, modifier, QtCore.QPoint(*start))
    for step in range(1, 5):  # several moves, as a real drag sends
        x = start[0] + (end[0] - start[0]) * step // 4
        y = start[1] + (end[1] - start[1]) * step // 4
        QTest.mouseMove(widget, QtCore.QPoint(x, y))
    if release:
        QTest.mouseRelease(widget, button, modifier, QtCore.QPoint(*end))


def _wheel(widget, notches: int) -> None:
    centre = QtCore.QPointF(widget.width() / 2, widget.height() / 2)
    event = QtGui.QWheelEvent(centre, widget.mapToGlobal(centre), QtCore.QPoint(), QtCore.QPoint(0, 120 * notches),
                              Qt.NoButton, Qt.NoModifier, Qt.NoScrollPhase, False)
    QtWidgets.QApplication.sendEvent(widget, event)


@pytest.mark.parametrize("value", [_cloud(), _cube(), _cameras()], ids=["PointCloud", "Mesh", "Cameras"])
def test_3d_values_get_the_orbit_view_through_the_type_lookup(qtbot, value):
    preview = render(value)
    assert preview.kind == SCENE and value.type_name in preview.caption
    panel = PreviewPanel()
    qtbot.addWidget(panel)
    panel.show_values("node", {"out": value}, Background())
    assert panel.stack.currentWidget() is panel.orbit
    assert (panel.orbit.rendered() != panel.orbit.rendered()[0, 0]).any()  # something is drawn


def test_left_drag_orbits_the_view(view):
    before_matrix, before_pixels = view.camera.view_matrix(), view.rendered().copy()
    target = view.camera.target.copy()
    _drag(view, (100, 120), (200, 100))
    assert not np.allclose(view.camera.view_matrix(), before_matrix)
    assert view.camera.yaw != pytest.approx(orbit_view.OrbitCamera.fitted(view.scene).yaw)
    np.testing.assert_allclose(view.camera.target, target)  # orbiting keeps the centre
    assert (view.rendered() != before_pixels).any(axis=2).mean() > 0.02


@pytest.mark.parametrize("button, modifier", [(Qt.RightButton, Qt.NoModifier), (Qt.LeftButton, Qt.ShiftModifier)])
def test_right_or_shift_drag_pans(view, button, modifier):
    rotation, target = view.camera.rotation().copy(), view.camera.target.copy()
    _drag(view, (100, 100), (160, 100), button, modifier)
    np.testing.assert_allclose(view.camera.rotation(), rotation)
    moved = view.camera.target - target
    assert np.linalg.norm(moved) > 0
    assert abs(moved @ rotation[0]) > 10 * abs(moved @ rotation[2])  # sideways, not in depth


def test_wheel_zooms_in_and_out(view):
    distance = view.camera.distance
    lit_before = (view.rendered() != view.rendered()[0, 0]).any(axis=2).sum()
    _wheel(view, -3)
    assert view.camera.distance == pytest.approx(distance * orbit_view.WHEEL_STEP ** 3)
    lit_after = (view.rendered() != view.rendered()[0, 0]).any(axis=2).sum()
    assert lit_after < lit_before / 1.3  # farther: the cloud covers less of the view
    _wheel(view, 3)
    assert view.camera.distance == pytest.approx(distance)


def test_double_click_resets_the_view(view):
    fitted = view.camera.view_matrix()
    _drag(view, (50, 50), (250, 200))
    _wheel(view, 2)
    QTest.mouseDClick(view, Qt.LeftButton, Qt.NoModifier, QtCore.QPoint(100, 100))
    np.testing.assert_allclose(view.camera.view_matrix(), fitted, atol=1e-9)


def test_dragging_draws_a_subset_and_release_draws_everything(view, monkeypatch):
    monkeypatch.setattr(orbit_view, "DRAG_POINTS", 200)
    full = (view.rendered() != view.rendered()[0, 0]).any(axis=2).sum()
    _drag(view, (100, 100), (101, 100), release=False)
    assert view.dragging
    quick = (view.rendered() != view.rendered()[0, 0]).any(axis=2).sum()
    QTest.mouseRelease(view, Qt.LeftButton, Qt.NoModifier, QtCore.QPoint(101, 100))
    again = (view.rendered() != view.rendered()[0, 0]).any(axis=2).sum()
    assert quick < full / 3 and again > full * 0.9


def test_the_widget_paints_the_rendered_picture(view):
    picture = view.grab().toImage().convertToFormat(QtGui.QImage.Format_RGB888)
    width, height = picture.width(), picture.height()
    pixels = np.frombuffer(picture.constBits(), np.uint8).reshape(height, picture.bytesPerLine())[:, :3 * width]
    painted = pixels.reshape(height, width, 3)
    rendered = view.rendered()
    assert painted.shape == rendered.shape
    assert np.abs(painted.astype(int) - rendered.astype(int)).mean() < 2
    assert math.isfinite(view.camera.distance)


def test_selecting_a_node_with_a_point_cloud_output_shows_it_in_3d(window, qtbot):
    node = window.document.add_node("editortest.sphere_cloud", (0, 0))
    with qtbot.waitSignal(window.controller.run_finished, timeout=30_000):
        window.run()
    window.canvas.select([node])
    panel = window.preview
    qtbot.waitUntil(lambda: panel.stack.currentWidget() is panel.orbit, timeout=10_000)
    assert "PointCloud: 2000 points" in panel.caption.text()
    before = panel.orbit.rendered().copy()
    _drag(panel.orbit, (40, 40), (90, 60))
    assert (panel.orbit.rendered() != before).any()


def test_stepping_through_a_series_of_clouds_keeps_the_turned_view(qtbot):
    from thyra_graph.types import FrameSeries

    clouds = [PointCloud(_cloud().points + np.float32(0.1 * i)) for i in range(3)]
    series = FrameSeries.from_items((i, i / 10, cloud) for i, cloud in enumerate(clouds))
    panel = PreviewPanel()
    qtbot.addWidget(panel)
    panel.resize(400, 300)
    panel.show()
    panel.show_values("node", {"clouds": series}, Background())
    assert panel.stack.currentWidget() is panel.orbit and not panel.slider.isHidden()
    _drag(panel.orbit, (40, 40), (120, 40))
    turned = panel.orbit.camera.view_matrix()
    panel.slider.setValue(2)
    qtbot.waitUntil(lambda: panel.caption.text().startswith("frame 2"), timeout=5_000)
    np.testing.assert_allclose(panel.orbit.camera.view_matrix(), turned)
    assert panel.orbit.scene.points[0, 0] == pytest.approx(clouds[2].points[0, 0])


def test_a_large_view_renders_at_a_bounded_size_and_fills_the_widget(view):
    view.resize(1600, 1000)
    width, height = view.render_size()
    assert width * height <= orbit_view.MAX_PIXELS and abs(width / height - 1.6) < 0.01
    assert view.rendered().shape == (height, width, 3)
    painted = view.grab().toImage()
    assert (painted.width(), painted.height()) == (1600, 1000)
