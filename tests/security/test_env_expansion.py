"""Graph files never expand environment variables: ``$VAR`` and ``${VAR}`` in a path are plain
characters, so a secret cannot be moved into a file name, the output, the cache or the manifest."""

from __future__ import annotations

import json

from thyra_graph.api import default_registry
from thyra_graph.engine.graphfile import load_graph_file

TOKEN = "tok-DO-NOT-LEAK-777"


def test_a_variable_in_a_write_path_stays_literal_and_its_value_appears_nowhere(hostile, thyra, graph_dir, tmp_path,
                                                                                 monkeypatch):
    monkeypatch.setenv("THYRA_TEST_TOKEN", TOKEN)
    path = hostile("env_in_write_path")
    code, out, err = thyra("validate", "--json", path)
    assert code == 0 and TOKEN not in out + err
    code, out, err = thyra("run", "--cache-dir", tmp_path / "cache", path)
    assert code == 0, err
    assert TOKEN not in out + err
    written = graph_dir / "out" / "${THYRA_TEST_TOKEN}-$THYRA_TEST_TOKEN.png"
    assert written.is_file()
    manifest = json.loads((graph_dir / "out" / ".thyra-written.json").read_text(encoding="utf-8"))
    assert list(manifest["files"]) == [written.name]
    for file in [*(tmp_path / "cache").rglob("*"), *graph_dir.rglob("*")]:
        assert TOKEN not in str(file)
        if file.is_file():
            assert TOKEN.encode() not in file.read_bytes(), file


def test_a_variable_in_a_read_path_is_not_expanded_either(graph_dir, monkeypatch):
    monkeypatch.setenv("THYRA_TEST_DIR", str(graph_dir))
    text = "thyra: 1\nnodes:\n  load: {type: io.load_image, params: {path: '${THYRA_TEST_DIR}/in.png'}}\n"
    (graph_dir / "read.yaml").write_text(text, encoding="utf-8")
    loaded = load_graph_file(graph_dir / "read.yaml", default_registry())
    assert loaded.ok, [str(d) for d in loaded.diagnostics]
    graph = loaded.graph
    assert graph.resolve_path(graph.params("load")["path"]) == graph_dir / "${THYRA_TEST_DIR}" / "in.png"
