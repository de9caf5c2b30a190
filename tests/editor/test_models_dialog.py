"""Opening or running a graph whose models are missing: the nodes say so on their badge, one
dialog lists the models with their sizes, and its Download button fetches them in the background
(progress, cancel) from the loopback hub, with the real huggingface_hub client. The dialog's
buttons are pressed with real mouse events (QTest)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("PySide6")
pytest.importorskip("NodeGraphQt")

from PySide6 import QtCore  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402

from thyra_graph.editor.run_states import DONE, MISSING_MODEL  # noqa: E402

from .conftest import REPO, redirect_outputs  # noqa: E402

SEGMENT_CLICKS = REPO / "graphs" / "segment_clicks.yaml"
SAM2 = "facebook/sam2.1-hiera-tiny"


def click(button) -> None:
    assert button.isVisible() and button.isEnabled(), button.text()
    QTest.mouseClick(button, QtCore.Qt.LeftButton)


def cached_weights(cache: Path) -> list[Path]:
    folder = cache / f"models--{SAM2.replace('/', '--')}" / "snapshots"
    return sorted(folder.rglob("model.safetensors")) if folder.exists() else []


@pytest.fixture
def dialog_closer(window):
    yield
    if window.models_check.dialog is not None:
        window.models_check.dialog.wait()
        window.models_check.dialog.close()


def test_opening_a_graph_badges_the_node_and_the_dialog_downloads_its_model(
        window, qtbot, hub_env, fake_hub, dialog_closer):
    assert window.open_file(SEGMENT_CLICKS)
    assert window.controller.states.get("sam").status == MISSING_MODEL
    assert window.canvas.badge("sam").text == "model missing" and window.canvas.badge("sam").isVisible()
    assert "facebook/sam2.1-hiera-tiny" in window.canvas.badge("sam").toolTip()
    dialog = window.models_check.dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.table.topLevelItemCount() == 1 and dialog.table.topLevelItem(0).text(0) == SAM2
    size = sum(f.size for name, f in fake_hub.repos[SAM2].files.items() if name.endswith((".json", ".safetensors")))
    qtbot.waitUntil(lambda: dialog.table.topLevelItem(0).text(2) == f"{size / 1e6:.1f} MB", timeout=10_000)

    with qtbot.waitSignal(dialog.downloaded, timeout=30_000) as done:
        click(dialog.download_button)
    assert done.args == [True]
    assert cached_weights(hub_env) and not dialog.isVisible()
    assert window.controller.states.get("sam").status != MISSING_MODEL
    assert not window.canvas.badge("sam").isVisible()


def test_running_waits_for_the_download_then_runs(window, qtbot, hub_env, tmp_path, dialog_closer):
    assert window.open_file(SEGMENT_CLICKS)
    redirect_outputs(window.document, tmp_path / "out")
    click(window.models_check.dialog.close_button)  # not now
    assert window.controller.states.get("sam").status == MISSING_MODEL

    window.run()
    dialog = window.models_check.dialog
    assert dialog.isVisible() and dialog.close_button.text() == "Run without them"
    assert not window._has_run  # nothing runs while the models are missing
    with qtbot.waitSignal(window.controller.run_finished, timeout=60_000) as finished:
        click(dialog.download_button)
    result = finished.args[0]
    assert result.status == "ok", {n: r.error for n, r in result.nodes.items() if r.error}
    assert window.controller.states.get("sam").status == DONE


def test_running_only_nodes_that_load_no_model_asks_nothing(window, qtbot, hub_env, tmp_path, dialog_closer):
    assert window.open_file(SEGMENT_CLICKS)
    redirect_outputs(window.document, tmp_path / "out")
    click(window.models_check.dialog.close_button)
    with qtbot.waitSignal(window.controller.run_finished, timeout=30_000) as finished:
        window.run(["load"])
    assert finished.args[0].status == "ok" and not window.models_check.dialog.isVisible()
    assert window.controller.states.get("sam").status == MISSING_MODEL  # still says so


def test_editing_a_model_param_updates_the_badge_at_once(window, hub_env, tiny_models_dir, dialog_closer):
    assert window.open_file(SEGMENT_CLICKS)
    click(window.models_check.dialog.close_button)
    local = tiny_models_dir / "facebook--sam2.1-hiera-tiny"  # a save_pretrained folder on disk
    assert window.document.set_param("sam", "model", str(local))
    assert window.controller.states.get("sam").status != MISSING_MODEL
    assert not window.canvas.badge("sam").text.startswith("model missing")
    assert window.document.set_param("sam", "model", "facebook/sam2.1-hiera-large")
    assert window.controller.states.get("sam").status == MISSING_MODEL
    assert "facebook/sam2.1-hiera-large" in window.canvas.badge("sam").toolTip()


def test_cancel_stops_the_download_and_leaves_no_complete_looking_file(
        window, qtbot, hub_env, fake_hub, monkeypatch, dialog_closer):
    import huggingface_hub.constants

    # The client reports progress per chunk (10 MB); smaller chunks let the 5 MB tiny model stand for a big one.
    monkeypatch.setattr(huggingface_hub.constants, "DOWNLOAD_CHUNK_SIZE", 64 * 1024)
    fake_hub.slow["model.safetensors"] = 0.05  # about 4 s for the 5 MB file
    assert window.open_file(SEGMENT_CLICKS)
    dialog = window.models_check.dialog
    click(dialog.download_button)
    qtbot.waitUntil(lambda: "model.safetensors" in dialog.table.topLevelItem(0).text(3), timeout=20_000)
    assert dialog.progress.isVisible()
    with qtbot.waitSignal(dialog.downloaded, timeout=20_000) as done:
        click(dialog.cancel_button)
    assert done.args == [False]
    assert dialog.row_status(0) == "cancelled" and dialog.download_button.text() == "Retry download"
    assert cached_weights(hub_env) == []
    assert window.controller.states.get("sam").status == MISSING_MODEL


def test_offline_the_dialog_offers_no_download_and_asks_nothing(window, hub_env, fake_hub, monkeypatch, dialog_closer):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert window.open_file(SEGMENT_CLICKS)
    dialog = window.models_check.dialog
    assert not dialog.download_button.isEnabled() and "Offline mode is on" in dialog.status.text()
    assert fake_hub.requests == []


def test_a_missing_local_checkpoint_is_badged_and_not_offered_for_download(window, tmp_path, hub_env, fake_hub,
                                                                           dialog_closer):
    graph = tmp_path / "density.yaml"
    graph.write_text("thyra: 1\nnodes:\n"
                     "  load: {type: io.load_image, params: {path: x.png}}\n"
                     "  density: {type: count.learned_density, inputs: {image: load.image},"
                     " params: {checkpoint: models/birds.safetensors}}\n")
    assert window.open_file(graph)
    assert window.controller.states.get("density").status == MISSING_MODEL
    assert "models/birds.safetensors" in window.canvas.badge("density").toolTip()
    dialog = window.models_check.dialog
    assert dialog.row_status(0).startswith("local file missing") and not dialog.download_button.isEnabled()
    assert fake_hub.requests == []


def test_a_subgraph_instance_whose_inner_node_needs_a_missing_model_is_badged(window, tmp_path, hub_env,
                                                                              dialog_closer):
    (tmp_path / "clicks.yaml").write_text(
        "thyra: 1\nname: clicks\ninputs: {image: sam.image}\nnodes:\n"
        f"  sam: {{type: segment.sam2_points, params: {{model: {SAM2}, clicks: [[10, 10, 1]]}}}}\n"
        "outputs: [sam.instances]\n")
    graph = tmp_path / "uses.yaml"
    graph.write_text("thyra: 1\nnodes:\n  load: {type: io.load_image, params: {path: x.png}}\n"
                     "  part: {type: ./clicks.yaml, inputs: {image: load.image}}\n")
    assert window.open_file(graph)
    assert window.controller.states.get("part").status == MISSING_MODEL
    assert SAM2 in window.canvas.badge("part").toolTip()
    assert window.models_check.dialog.table.topLevelItem(0).text(1) == "part/sam (model)"
