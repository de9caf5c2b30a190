"""The editor shows a plugin's own port type with the plugin's preview and edits a plugin's
param kind with the widget family it declared (the example plugin's histogram)."""

from __future__ import annotations

import numpy as np
import pytest

from thyra_graph.editor.previews import IMAGE, TEXT, render, renderer_for
from thyra_graph.nodes.discovery import discover
from thyra_graph.types import Image

from .conftest import COINS, PLUGIN_FOLDERS, REPO, run_and_wait

EXAMPLE_PLUGIN = REPO / "plugins" / "thyra-example-plugin"


@pytest.fixture(scope="module")
def registry():
    """Built-ins, the editor's test plugins and the example plugin."""
    return discover(plugin_path=[*PLUGIN_FOLDERS, EXAMPLE_PLUGIN], user_plugins=False)


def histogram_of(registry, data: np.ndarray, channels: str = "rgb"):
    return registry["example.histogram"](Image(data), channels=channels)


def test_a_plugin_type_is_previewed_by_the_plugins_preview(registry):
    value = histogram_of(registry, np.full((3, 3, 3), 7, np.uint8))

    preview = render(value, plugin_previews=registry.previews)

    assert preview.kind == IMAGE and preview.image.shape == (120, 256, 3)
    assert preview.caption == "histogram of r, g, b: 9 pixels"
    assert render(value).kind == TEXT  # without the registry's previews: the summary as text


def test_built_in_types_keep_the_editors_own_renderers(registry):
    assert renderer_for("Image", {"Image": lambda value: None}).__name__ == "render_image"


def test_a_plugin_preview_returning_the_wrong_thing_shows_why_instead_of_crashing(registry):
    value = histogram_of(registry, np.zeros((2, 2, 3), np.uint8))

    flat = render(value, plugin_previews={"example.Histogram": lambda v: (np.zeros((4, 4)), "flat")})
    broken = render(value, plugin_previews={"example.Histogram": lambda v: 1 / 0})

    assert flat.kind == TEXT and "H×W×3 uint8 RGB image, got shape (4, 4) float64" in flat.text
    assert broken.kind == TEXT and "ZeroDivisionError" in broken.text


def test_the_window_previews_a_histogram_and_edits_its_channels(window, qtbot):
    pytest.importorskip("NodeGraphQt")
    from PySide6 import QtWidgets

    document = window.document
    load = document.add_node("io.load_image", (0, 0), params={"path": str(COINS)})
    hist = document.add_node("example.histogram", (260, 0))
    document.connect(f"{load}.image", f"{hist}.image")
    run_and_wait(window, qtbot)
    window.canvas.select([hist])

    qtbot.waitUntil(lambda: window.preview.image.image_shape is not None, timeout=10_000)
    assert window.preview.stack.currentWidget() is window.preview.image
    assert window.preview.caption.text() == f"histogram of r, g, b: {303 * 384} pixels"

    editor = window.properties.editor("channels")
    assert isinstance(editor.field, QtWidgets.QLineEdit)  # the "str" widget family it declared
    assert editor.field.text() == "rgb"
    editor.field.setText("rgq")
    editor.field.editingFinished.emit()
    assert editor.has_error and "'rgq' is not a set of channel letters" in editor.error.text()
    assert document.graph.params(hist)["channels"] == "rgb"
    editor.field.setText("BG")
    editor.field.editingFinished.emit()
    assert not editor.has_error and document.graph.params(hist)["channels"] == "bg"
