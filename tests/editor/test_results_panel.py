"""The results panel's rows: what a run returned, and why a declared output has no value."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

from thyra_graph.engine.results import NodeResult, RunResult  # noqa: E402
from thyra_graph.types import Number, Text  # noqa: E402

from .conftest import COINS  # noqa: E402


def test_values_read_as_the_cli_prints_them():
    from thyra_graph.editor.results_panel import format_value

    assert format_value(Number(24)) == "24"
    assert format_value(Number(0.123456789)) == "0.123457"
    assert format_value(Text("x" * 500)).endswith("…") and len(format_value(Text("x" * 500))) == 160


def test_an_output_of_a_node_left_out_of_the_run_says_so(qtbot, registry):
    from thyra_graph.editor.document import Document
    from thyra_graph.editor.results_panel import ResultsPanel

    document = Document(registry)
    document.add_node("io.load_image", node_id="load", params={"path": str(COINS)})
    document.graph.outputs = ["load.image"]
    panel = ResultsPanel()
    qtbot.addWidget(panel)
    panel.show_result(document.graph, RunResult("g", "ok", {}, {}))
    assert panel.values() == {"load.image": "(not in this run: run the whole graph, F5)"}
    failed = RunResult("g", "failed", {"load": NodeResult("io.load_image", "failed", error="no such file")}, {})
    panel.show_result(document.graph, failed)
    assert panel.values() == {"load.image": "(failed: no such file)"}


def test_opening_another_file_clears_the_last_runs_values(window):
    window.results.show_result(window.document.graph, RunResult("g", "ok", {}, {"a.b": Number(3)}))
    assert window.results.values() == {"a.b": "3"}
    window.new_document()
    assert window.results.values() == {}
