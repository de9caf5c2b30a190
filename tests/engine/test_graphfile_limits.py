"""A graph file is untrusted input: what would exhaust memory, the stack or run code is refused
before anything is built, with the file, the line and the fix."""

from __future__ import annotations

import pytest

from thyra_graph.api import default_registry
from thyra_graph.engine import graphfile
from thyra_graph.engine.graphfile import load_graph_file


@pytest.fixture(scope="module")
def builtins():
    return default_registry()


def only_error(path, registry) -> str:
    result = load_graph_file(path, registry)
    assert result.graph is None
    assert len(result.diagnostics) == 1, result.diagnostics
    return str(result.diagnostics[0])


def test_a_file_larger_than_the_limit_is_refused_unread(tmp_path, builtins, monkeypatch):
    monkeypatch.setattr(graphfile, "MAX_FILE_BYTES", 1000)
    path = tmp_path / "big.yaml"
    path.write_text("thyra: 1\nnodes: {}\n" + "# padding\n" * 200)

    message = only_error(path, builtins)

    assert message.startswith(f"{path}: the file is 2,019 bytes, more than the 1,000 a graph file may hold")
    assert "refer to them by path" in message


def test_nesting_deeper_than_the_limit_is_refused_with_its_line(tmp_path, builtins):
    path = tmp_path / "deep.yaml"
    path.write_text("thyra: 1\nnodes:\n  a:\n    params: {x: " + "[" * 5000 + "]" * 5000 + "}\n")

    message = only_error(path, builtins)

    assert message.startswith(f"{path}:4: the YAML document is nested more than 100 levels deep")


def test_an_alias_bomb_is_refused_with_its_line(tmp_path, builtins):
    lines = ["thyra: 1", "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")

    message = only_error(path, builtins)

    assert message.startswith(f"{path}:7: the YAML document expands to more than 100,000 values")


def test_a_tag_that_would_run_code_is_refused_with_its_line_and_never_runs(tmp_path, builtins):
    marker = tmp_path / "marker"
    path = tmp_path / "evil.yaml"
    path.write_text(f"thyra: 1\nnodes:\n  a: !!python/object/apply:os.system ['touch {marker}']\n")

    message = only_error(path, builtins)

    assert message.startswith(f"{path}:3: the YAML tag '!!python/object/apply:os.system' on line 3 is not allowed")
    assert not marker.exists()
