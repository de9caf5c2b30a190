"""Before the first run of a file the editor asks about every host the graph chose that the user
has not allowed (remembered for that file for the session), and refuses writes the file aims
outside the allowed folders, unless the user set that path in the editor."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from .conftest import run_and_wait

VLM_GRAPH = """thyra: 1
name: sends-crops
nodes:
  load: {type: io.load_image, params: {path: in.png}}
  mask: {type: image.threshold, inputs: {image: load.image}}
  objects: {type: image.contours, inputs: {mask: mask.mask}}
  ask:
    type: label.vlm
    inputs: {image: load.image, instances: objects.instances}
    params: {base_url: "http://vlm.invalid/v1", model: m, retries: 0, timeout: 5.0, max_crops: 1}
"""
WRITE_GRAPH = """thyra: 1
name: plants-a-file
nodes:
  load: {type: io.load_image, params: {path: in.png}}
  save: {type: io.save_image, inputs: {image: load.image}, params: {path: "../outside/planted.png"}}
"""


@pytest.fixture
def folder(tmp_path, monkeypatch) -> Path:
    import cv2

    config = tmp_path / "config.yaml"
    config.write_text("", encoding="utf-8")
    monkeypatch.setenv("THYRA_CONFIG", str(config))
    (tmp_path / "outside").mkdir()
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    folder = tmp_path / "graph"
    folder.mkdir()
    image = np.zeros((24, 24, 3), np.uint8)
    image[4:12, 4:12] = 255
    cv2.imwrite(str(folder / "in.png"), image)
    return folder


def test_a_host_the_file_chose_is_asked_about_once_per_file(window, qtbot, folder):
    path = folder / "sends.yaml"
    path.write_text(VLM_GRAPH, encoding="utf-8")
    assert window.open_file(path)
    window.run()
    assert window.prompter.asked == ["hosts vlm.invalid"] and not window._has_run  # declined: nothing ran
    window.prompter.hosts_answer = True
    result = run_and_wait(window, qtbot)
    assert result.nodes["ask"].status == "failed"  # it was sent (and .invalid does not resolve)
    run_and_wait(window, qtbot)
    assert window.prompter.asked == ["hosts vlm.invalid", "hosts vlm.invalid"]  # not asked a third time


def test_a_write_outside_the_allowed_folders_is_refused_until_the_user_sets_the_path(window, qtbot, folder, tmp_path):
    path = folder / "plants.yaml"
    path.write_text(WRITE_GRAPH, encoding="utf-8")
    assert window.open_file(path)
    window.run()
    assert len(window.prompter.errors) == 1 and not window._has_run
    title, text = window.prompter.errors[0]
    assert "planted.png" in text and "--allow-write" in text
    assert not (tmp_path / "outside" / "planted.png").exists()
    # A path the user picks in the editor is the user's choice.
    window.document.graph.set_param("save", "path", str(tmp_path / "outside" / "chosen.png"))
    result = run_and_wait(window, qtbot)
    assert result.status == "ok" and (tmp_path / "outside" / "chosen.png").is_file()
