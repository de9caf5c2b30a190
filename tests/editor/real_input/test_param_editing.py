"""Editing params with the mouse and keyboard in the properties panel, on the real X display:
choosing a mode greys the params it leaves unused and frees the ones it needs; a list param is
edited row by row, each edit one undo step; arrow keys step a spin box by the param's scale."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets
from PySide6.QtTest import QTest

from .conftest import click, key

CTRL = QtCore.Qt.KeyboardModifier.ControlModifier


def _show(window, type_id: str) -> str:
    node_id = window.document.add_node(type_id, (0, 0))
    window.canvas.select([node_id])
    QtWidgets.QApplication.processEvents()
    return node_id


def _click_widget(widget: QtWidgets.QWidget) -> None:
    widget.window().activateWindow()
    click(widget, widget.rect().center())


def test_choosing_a_method_with_the_mouse_greys_the_params_it_does_not_use(real_window, qtbot):
    window = real_window
    node_id = _show(window, "image.threshold")
    method = window.properties.editor("method").field
    value = window.properties.editor("value").input
    block = window.properties.editor("block_size").input
    window.properties.ensureWidgetVisible(method)
    assert not value.isEnabled() and not block.isEnabled()  # otsu needs neither

    _click_widget(method)  # opens the list
    popup = method.view()
    qtbot.waitUntil(popup.isVisible, timeout=3_000)
    fixed = popup.visualRect(popup.model().index(1, 0)).center()
    # Qt ignores a release in the list right after it opened (the opening click's own release).
    QTest.qWait(QtWidgets.QApplication.doubleClickInterval() + 100)
    QTest.mouseMove(popup.viewport(), fixed)
    click(popup.viewport(), fixed)
    qtbot.waitUntil(lambda: not popup.isVisible(), timeout=3_000)
    assert window.document.graph.params(node_id)["method"] == "fixed"
    assert value.isEnabled() and not block.isEnabled()

    method.setFocus()
    key(method, QtCore.Qt.Key_Down)  # the keyboard way: fixed → adaptive
    assert window.document.graph.params(node_id)["method"] == "adaptive"
    assert block.isEnabled() and not value.isEnabled()
    assert window.properties.editor("value").toolTip().startswith(
        "Not used: applies only when method is fixed (now adaptive).")


def test_a_list_row_added_and_typed_in_sets_the_param_and_undo_restores_it(real_window, qtbot):
    window = real_window
    node_id = _show(window, "instances.filter")
    rows = window.properties.editor("keep_classes").field
    window.properties.ensureWidgetVisible(rows.add_button)

    _click_widget(rows.add_button)
    assert len(rows.rows) == 1
    line = rows.rows[0].fields[0]
    qtbot.waitUntil(line.hasFocus, timeout=3_000)  # the new row is ready for typing
    QTest.keyClicks(line, "car")
    key(line, QtCore.Qt.Key_Return)
    assert window.document.graph.params(node_id)["keep_classes"] == ["car"]

    _click_widget(rows.add_button)
    QTest.keyClicks(rows.rows[1].fields[0], "7")
    key(rows.rows[1].fields[0], QtCore.Qt.Key_Return)
    assert window.document.graph.params(node_id)["keep_classes"] == ["car", 7]

    remove = rows.rows[0].buttons[2]  # ✕
    _click_widget(remove)
    assert window.document.graph.params(node_id)["keep_classes"] == [7]

    undo = window.findChild(QtWidgets.QToolBar).widgetForAction(window.undo_action)
    _click_widget(undo)
    assert window.document.graph.params(node_id)["keep_classes"] == ["car", 7]
    assert rows.value() == ["car", 7]  # the rows show the restored list
    line = rows.rows[1].fields[0]
    line.setFocus()
    key(line, QtCore.Qt.Key_Z, CTRL)  # in a text row, Ctrl+Z is the row's own typing undo
    _click_widget(undo)
    _click_widget(undo)
    assert window.document.graph.params(node_id)["keep_classes"] == []
    assert rows.rows == []


def test_a_point_row_is_an_x_y_pair_with_a_label(real_window):
    window = real_window
    node_id = _show(window, "segment.sam2_points")
    clicks = window.properties.editor("clicks").field
    window.properties.ensureWidgetVisible(clicks.add_button)
    _click_widget(clicks.add_button)
    assert window.document.graph.params(node_id)["clicks"] == [[0.0, 0.0, 1]]
    x = clicks.rows[0].fields[0]
    _click_widget(x)
    key(x, QtCore.Qt.Key_A, CTRL)
    QTest.keyClicks(x, "40")
    key(x, QtCore.Qt.Key_Return)
    assert window.document.graph.params(node_id)["clicks"] == [[40.0, 0.0, 1]]
    window.document.undo()
    assert window.document.graph.params(node_id)["clicks"] == [[0.0, 0.0, 1]]
    assert clicks.value() == [[0.0, 0.0, 1]]


def test_arrow_keys_step_a_spin_box_by_the_params_scale(real_window):
    window = real_window
    for type_id, name, expected in (("pointcloud.clean", "neighbours", 21),  # an int from 1 to 1000: by 1
                                    ("pointcloud.normals", "radius", 0.051),  # 0.05 in the cloud's units: by 0.001
                                    ("instances.filter", "min_score", 0.05)):  # declared step=0.05
        node_id = _show(window, type_id)
        box = window.properties.editor(name).field
        window.properties.ensureWidgetVisible(box)
        _click_widget(box)
        key(box, QtCore.Qt.Key_Up)
        assert window.document.graph.params(node_id)[name] == expected
