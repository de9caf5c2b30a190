"""What the editor does with the user's files and runs: nothing written is lost, nothing thrown away
comes back, every problem is named once and marked where it is."""

from __future__ import annotations

from .conftest import COINS, REPO

QUICKSTART = REPO / "graphs" / "quickstart.yaml"


def open_copy(window, tmp_path):
    path = tmp_path / "g.yaml"
    path.write_text(QUICKSTART.read_text().replace("../thyra_graph/samples/coins.png", COINS.as_posix()))
    assert window.open_file(path)
    return path


def test_discarded_changes_are_not_autosaved_while_the_open_dialog_is_up(window, tmp_path, qtbot):
    path = open_copy(window, tmp_path)
    window.document.set_param("blur", "sigma", 4.0)
    assert window.autosave() is not None  # the change is autosaved while it is wanted
    window._autosave_timer.setInterval(10)
    window.prompter.save_answer = "discard"

    def slow_dialog(start):  # the user looks for a file while the timer keeps firing
        qtbot.wait(200)
        return None  # ... and cancels

    window.prompter.open_path = slow_dialog
    assert not window.open_file()
    assert window.recovery.pending(path) is None  # nothing to offer back: it was discarded

    window.document.set_param("blur", "sigma", 5.0)  # new work after the discard is autosaved again
    qtbot.waitUntil(lambda: window.recovery.pending(path) is not None, timeout=2_000)


def problem_texts(window) -> list[str]:
    return [window.problems.item(i).text() for i in range(window.problems.count())]


def test_the_problems_list_shows_the_last_run_only(window, tmp_path, qtbot):
    from .conftest import redirect_outputs, run_and_wait

    open_copy(window, tmp_path)
    redirect_outputs(window.document, tmp_path / "out")
    window.document.set_param("load", "path", str(tmp_path / "missing.png"))
    run_and_wait(window, qtbot)
    run_and_wait(window, qtbot)
    assert len([t for t in problem_texts(window) if t.startswith("node 'load'")]) == 1  # not repeated
    window.document.set_param("load", "path", COINS.as_posix())
    result = run_and_wait(window, qtbot)
    assert result.ok
    assert not [t for t in problem_texts(window) if t.startswith("node ")]  # a good run clears them


def test_save_as_shows_the_new_files_problems_not_the_old_ones(window, tmp_path):
    old = tmp_path / "typo.yaml"
    old.write_text(QUICKSTART.read_text().replace("../thyra_graph/samples/coins.png", COINS.as_posix())
                   .replace("sigma:", "sigmaa:", 1))
    assert window.open_file(old)
    assert any("typo.yaml" in t for t in problem_texts(window))
    assert window.save_as(tmp_path / "renamed.yaml")
    assert not any("typo.yaml" in t for t in problem_texts(window))


def test_saving_a_file_that_opened_with_problems_keeps_them_and_changes_one_line(window, tmp_path, qtbot):
    # The scripted acceptance test: a hand-written file with comments and broken parts,
    # one param edited in the properties panel, saved: one line of diff.
    text = QUICKSTART.read_text().replace("../thyra_graph/samples/coins.png", COINS.as_posix()).replace(
        "\nnodes:\n", "\nnodes:\n  fancy: {type: acme.super_resolution, params: {scale: 4}}  # a plugin not installed here\n", 1)
    text = text.replace("params: {sigma: 2.0}", "params: {sigma: 2.0, sigmaa: 3.0}")
    path = tmp_path / "hand.yaml"
    path.write_text(text)
    assert window.open_file(path)
    assert not window.document.modified
    assert any("acme.super_resolution" in t for t in problem_texts(window))
    window.canvas.select(["blur"])
    window.properties.editor("sigma").field.setValue(2.5)
    window.save_action.trigger()  # File → Save (Ctrl+S)
    qtbot.waitUntil(lambda: not window.document.modified, timeout=2_000)
    before, after = text.splitlines(), path.read_text().splitlines()
    changed = [(a, b) for a, b in zip(before, after) if a != b]
    assert len(before) == len(after) and len(changed) == 1
    assert "sigma: 2.5, sigmaa: 3.0" in changed[0][1]


def test_the_canvas_menu_undoes_with_the_documents_own_undo(window, tmp_path):
    open_copy(window, tmp_path)
    window.document.set_param("blur", "sigma", 4.0)
    actions = window.canvas.view.get_context_menu("graph").qmenu.actions()
    undo, redo = actions[0], actions[1]
    assert undo is window.undo_action and redo is window.redo_action
    assert undo.isEnabled() and "Undo" in undo.text() and not redo.isEnabled()
    assert [a.text() for a in actions].count("&Undo") == 0  # NodeGraphQt's disabled ones are gone
    undo.trigger()
    assert window.document.graph.params("blur")["sigma"] == 2.0


def test_unconnected_nodes_are_left_out_marked_and_all_named_while_the_rest_runs(window, tmp_path, qtbot):
    from thyra_graph.editor.run_states import SKIPPED, UNCONNECTED

    from .conftest import redirect_outputs, run_and_wait

    open_copy(window, tmp_path)
    redirect_outputs(window.document, tmp_path / "out")
    window.document.add_node("image.blur", node_id="lonely")
    window.document.add_node("image.to_gray", node_id="alone")
    window.document.add_node("image.blur", node_id="after")
    window.document.connect("alone.image", "after.image")
    result = run_and_wait(window, qtbot)
    assert result.ok and result.nodes["coins"].status in ("executed", "cached")  # the rest ran
    states = window.controller.states
    assert states.get("lonely").status == UNCONNECTED and states.get("lonely").badge == "not connected"
    assert states.get("alone").status == UNCONNECTED
    assert states.get("after").status == SKIPPED and "alone" in states.get("after").message
    texts = problem_texts(window)
    assert any(t.startswith("node 'lonely'") for t in texts) and any(t.startswith("node 'alone'") for t in texts)
