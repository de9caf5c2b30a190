"""``samples:NAME`` path parameters: the bundled sample files, wherever the graph file lives,
read-only and never outside the samples folder."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest

from thyra_graph.api import default_registry
from thyra_graph.engine.graphfile import load_graph_text, save_graph
from thyra_graph.engine.registry import Registry
from thyra_graph.engine.samples import SAMPLES_DIR, sample_path

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def builtins() -> Registry:
    return default_registry()


def load(text: str, registry: Registry, folder: Path):
    return load_graph_text(dedent(text), registry, source=str(folder / "g.yaml"), base_dir=folder)


def test_the_samples_folder_is_the_package_data_folder():
    assert SAMPLES_DIR == REPO / "thyra_graph" / "samples"
    assert sample_path("samples:coins.png") == SAMPLES_DIR / "coins.png"
    assert sample_path("samples:scene").is_dir()


def test_a_sample_reference_resolves_to_the_bundled_file_from_any_folder(builtins, tmp_path):
    loaded = load("""\
        thyra: 1
        nodes:
          load: {type: io.load_image, params: {path: samples:coins.png}}
        """, builtins, tmp_path / "anywhere")
    assert loaded.ok, loaded.diagnostics
    assert loaded.graph.resolve_path(loaded.graph.params("load")["path"]) == SAMPLES_DIR / "coins.png"


@pytest.mark.parametrize("value", ["samples:../../etc/passwd", "samples:/etc/passwd", "samples:scene/../../x.png",
                                   "samples:", "samples:C:/x.png"])
def test_a_reference_leaving_the_samples_folder_is_refused_at_its_line(builtins, tmp_path, value):
    loaded = load(f"""\
        thyra: 1
        nodes:
          load: {{type: io.load_image, params: {{path: "{value}"}}}}
        """, builtins, tmp_path)
    assert not loaded.ok
    message = str(loaded.diagnostics[0])
    assert ":3: node 'load'" in message and "samples:coins.png" in message  # where, and the fix
    with pytest.raises(ValueError):
        sample_path(value)


def test_a_path_that_writes_refuses_a_sample_reference(builtins, tmp_path):
    loaded = load("""\
        thyra: 1
        nodes:
          load: {type: io.load_image, params: {path: samples:coins.png}}
          save: {type: io.save_image, inputs: {image: load.image}, params: {path: samples:coins.png}}
        """, builtins, tmp_path)
    assert not loaded.ok
    assert "read-only" in str(loaded.diagnostics[0]) and "node 'save'" in str(loaded.diagnostics[0])


def test_a_path_that_may_write_refuses_it_too(builtins):
    # A path param not declared io="read" may be written (a debug folder): trust.py treats it so.
    debug_dir = builtins["label.vlm"].param("debug_dir")
    assert debug_dir.io is None
    with pytest.raises(ValueError, match="read-only"):
        debug_dir.coerce("samples:scene")
    assert builtins["io.load_image"].param("path").coerce("samples:coins.png") == "samples:coins.png"


def test_saving_to_another_folder_keeps_the_reference_as_written(builtins, tmp_path):
    loaded = load("""\
        thyra: 1
        nodes:
          load: {type: io.load_image, params: {path: samples:coins.png}}
          save: {type: io.save_image, inputs: {image: load.image}, params: {path: out/coins.png}}
        """, builtins, tmp_path / "a")
    save_graph(loaded.graph, tmp_path / "b" / "deeper" / "g.yaml")
    text = (tmp_path / "b" / "deeper" / "g.yaml").read_text()
    assert "samples:coins.png" in text
    assert "../../a/out/coins.png" in text  # an ordinary relative path still points at the same place
