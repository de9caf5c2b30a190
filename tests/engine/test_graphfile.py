"""Graph files: every problem reported at once, at its line; saving and loading round trip.

Each diagnostic reads ``FILE:LINE: node 'ID': what is wrong (and how to fix it)``; the
tests find the expected line by the text written on it, so they say which line is meant.
"""

from __future__ import annotations

import shutil
import time
import tracemalloc
from pathlib import Path
from textwrap import dedent

import pytest

from thyra_graph.api import default_registry
from thyra_graph.engine.declaration import Output, Param, node
from thyra_graph.engine.graph import Graph
from thyra_graph.engine.graphfile import GraphFileError, load_graph_file, load_graph_text
from thyra_graph.engine.registry import Registry
from thyra_graph.types import Number

REPO = Path(__file__).resolve().parents[2]
QUICKSTART = REPO / "graphs" / "quickstart.yaml"


@pytest.fixture(scope="module")
def builtins() -> Registry:
    return default_registry()


def line_of(text: str, marker: str) -> int:
    """The 1-based line of the only line of ``text`` holding ``marker``."""
    lines = [i for i, line in enumerate(text.splitlines(), 1) if marker in line]
    assert len(lines) == 1, f"{marker!r} is on lines {lines}"
    return lines[0]


def errors(text: str, registry: Registry) -> list[str]:
    result = load_graph_text(dedent(text), registry, source="g.yaml")
    assert not result.ok
    return [str(d) for d in result.errors]


def only_error(text: str, registry: Registry) -> str:
    found = errors(text, registry)
    assert len(found) == 1, found
    return found[0]


# -- one problem at a time, each at its line ----------------------------------------------------
def test_a_valid_file_loads_without_diagnostics(builtins):
    result = load_graph_file(QUICKSTART, builtins)
    assert result.ok, [str(d) for d in result.diagnostics]
    assert result.diagnostics == []
    assert result.graph.source == QUICKSTART.resolve()
    assert result.graph.base_dir == QUICKSTART.parent.resolve()


def test_yaml_syntax_error_names_its_line(builtins):
    text = "thyra: 1\nnodes:\n  load: type: io.load_image\n"
    message = only_error(text, builtins)
    assert message.startswith("g.yaml:3: ")
    assert "YAML syntax error" in message


def test_unknown_node_type_suggests_the_closest_ids(builtins):
    text = dedent("""\
        thyra: 1
        nodes:
          load:
            type: io.load_imag
        """)
    message = only_error(text, builtins)
    assert message.startswith(f"g.yaml:{line_of(text, 'io.load_imag')}: node 'load': unknown node type 'io.load_imag'")
    assert "did you mean 'io.load_image'" in message


def test_unknown_input_port_is_reported_at_its_line(builtins):
    text = dedent("""\
        thyra: 1
        nodes:
          load: {type: io.load_image}
          gray:
            type: image.to_gray
            inputs:
              img: load.image
        """)
    found = errors(text, builtins)
    expected = f"g.yaml:{line_of(text, 'img:')}: node 'gray': unknown input 'img' (did you mean 'image'?)"
    assert any(expected in line for line in found), found


def test_unknown_output_in_a_link_is_reported_with_the_outputs_there_are(builtins):
    text = dedent("""\
        thyra: 1
        nodes:
          load: {type: io.load_image}
          gray:
            type: image.to_gray
            inputs:
              image: load.picture
        """)
    message = only_error(text, builtins)
    assert message.startswith(f"g.yaml:{line_of(text, 'load.picture')}: node 'gray': ")
    assert "no output 'picture'" in message and "outputs: image" in message


def test_malformed_link_is_reported(builtins):
    text = dedent("""\
        thyra: 1
        nodes:
          load: {type: io.load_image}
          gray:
            type: image.to_gray
            inputs:
              image: load
        """)
    message = only_error(text, builtins)
    assert message.startswith(f"g.yaml:{line_of(text, 'image: load')}: node 'gray': ")
    assert "'node.output'" in message


def test_link_to_a_missing_node_is_reported(builtins):
    text = dedent("""\
        thyra: 1
        nodes:
          gray:
            type: image.to_gray
            inputs:
              image: lod.image
        """)
    message = only_error(text, builtins)
    assert message.startswith(f"g.yaml:{line_of(text, 'lod.image')}: node 'gray': ")
    assert "node 'lod', which is not in this graph" in message


def test_missing_required_input_is_reported_at_the_node(builtins):
    text = dedent("""\
        thyra: 1
        nodes:
          gray:
            type: image.to_gray
        """)
    message = only_error(text, builtins)
    assert message.startswith(f"g.yaml:{line_of(text, 'gray:')}: node 'gray': required input 'image' (Image)")


def test_type_mismatch_names_both_types(builtins):
    text = dedent("""\
        thyra: 1
        nodes:
          load: {type: io.load_image}
          count:
            type: image.contours
            inputs:
              mask: load.image
        """)
    message = only_error(text, builtins)
    assert message.startswith(f"g.yaml:{line_of(text, 'mask: load.image')}: node 'count': type mismatch")
    assert "Image" in message and "Mask" in message


def test_parameter_of_the_wrong_type_is_reported(builtins):
    text = dedent("""\
        thyra: 1
        nodes:
          load: {type: io.load_image}
          th:
            type: image.threshold
            inputs: {image: load.image}
            params:
              value: high
        """)
    message = only_error(text, builtins)
    assert message.startswith(f"g.yaml:{line_of(text, 'value: high')}: node 'th': parameter 'value'")
    assert "'high'" in message


def test_parameter_out_of_range_names_the_range(builtins):
    text = dedent("""\
        thyra: 1
        nodes:
          load: {type: io.load_image}
          th:
            type: image.threshold
            inputs: {image: load.image}
            params:
              value: 300
        """)
    message = only_error(text, builtins)
    assert message.startswith(f"g.yaml:{line_of(text, 'value: 300')}: node 'th': parameter 'value'")
    assert "out of range" in message and "0 to 255" in message


def test_unknown_parameter_lists_the_parameters_there_are(builtins):
    text = dedent("""\
        thyra: 1
        nodes:
          load: {type: io.load_image}
          th:
            type: image.threshold
            inputs: {image: load.image}
            params:
              mehtod: otsu
        """)
    message = only_error(text, builtins)
    assert message.startswith(f"g.yaml:{line_of(text, 'mehtod')}: node 'th': unknown parameter 'mehtod'")
    assert "did you mean 'method'" in message


def test_cycle_names_the_nodes_in_it(builtins):
    text = dedent("""\
        thyra: 1
        nodes:
          a:
            type: image.blur
            inputs: {image: c.image}
          b:
            type: image.blur
            inputs: {image: a.image}
          c:
            type: image.blur
            inputs: {image: b.image}
        """)
    message = only_error(text, builtins)
    assert message.startswith(f"g.yaml:{line_of(text, 'c.image')}: node 'a': cycle")
    assert "a → b → c → a" in message


def test_duplicate_node_ids_are_reported_although_yaml_keeps_the_last(builtins):
    text = dedent("""\
        thyra: 1
        nodes:
          load: {type: io.load_image}
          gray: {type: image.to_gray, inputs: {image: load.image}}
          load: {type: io.load_image, params: {path: other.png}}
        """)
    message = only_error(text, builtins)
    second = [i for i, line in enumerate(text.splitlines(), 1) if "load: {" in line][1]
    assert message.startswith(f"g.yaml:{second}: node 'load': duplicate node id")
    assert "lines 3 and 5" in message


def test_a_duplicate_key_outside_nodes_is_not_called_a_node_id(builtins):
    text = dedent("""\
        thyra: 1
        name: one
        name: two
        nodes:
          load: {type: io.load_image}
        """)
    message = only_error(text, builtins)
    assert message.startswith("g.yaml:3: ") and "node" not in message.split(":")[2]


def test_unsupported_format_version_is_refused(builtins):
    message = only_error("thyra: 2\nnodes: {}\n", builtins)
    assert message.startswith("g.yaml:1: ")
    assert "unsupported graph format version 2" in message and "upgrade Thyra" in message


def test_a_file_without_the_thyra_header_is_refused(builtins):
    message = only_error("name: x\nnodes:\n  load: {type: io.load_image}\n", builtins)
    assert "add 'thyra: 1'" in message


@pytest.mark.parametrize("text", ["", "\n\n", "# just a comment\n"])
def test_an_empty_file_is_refused(builtins, text):
    assert "the file is empty" in only_error(text, builtins)


@pytest.mark.parametrize(("text", "kind"), [("- a\n- b\n", "list"), ("42\n", "number"), ("hello\n", "string")])
def test_a_file_that_is_not_a_mapping_is_refused(builtins, text, kind):
    message = only_error(text, builtins)
    assert message.startswith("g.yaml:1: ") and f"holds a {kind}" in message


def test_python_object_tags_are_refused_and_never_executed(builtins, tmp_path):
    marker = tmp_path / "pwned"
    text = f"thyra: 1\nnodes:\n  load: !!python/object/apply:os.mkdir ['{marker}']\n"
    message = only_error(text, builtins)
    assert message.startswith("g.yaml:3: ") and "!!python/object/apply:os.mkdir" in message
    assert not marker.exists()


def test_an_alias_bomb_is_refused_in_bounded_time_and_memory(builtins):
    lines = ["thyra: 1", 'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 10) + "]")
    text = "\n".join(lines) + "\nnodes: {}\n"  # expands to 10**10 strings
    tracemalloc.start()
    start = time.perf_counter()
    try:
        message = only_error(text, builtins)
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "alias bomb" in message
    assert seconds < 2
    assert peak < 50 << 20


def test_a_large_file_without_aliases_is_not_taken_for_an_alias_bomb(registry):
    # A 10,000-node graph holds well over 100,000 YAML values; only aliases that expand the
    # text past one value per character are refused. (Reading this file takes a few seconds.)
    text = "thyra: 1\nnodes: {}\nui: {marks: [" + ", ".join(["0"] * 120_000) + "]}\n"
    result = load_graph_text(text, registry)
    assert result.ok, [str(d) for d in result.diagnostics]
    assert len(result.graph.ui["marks"]) == 120_000


def test_unknown_top_level_key_is_reported_with_the_allowed_keys(builtins):
    text = "thyra: 1\nnodes:\n  load: {type: io.load_image}\noutput: [load.image]\n"
    message = only_error(text, builtins)
    assert message.startswith("g.yaml:4: unknown top-level key 'output'")
    assert "did you mean 'outputs'" in message


def test_outputs_are_validated_item_by_item(builtins):
    text = dedent("""\
        thyra: 1
        nodes:
          load: {type: io.load_image}
        outputs:
          - load.image
          - load.picture
          - ghost.image
          - load
        """)
    found = errors(text, builtins)
    assert len(found) == 3, found
    assert found[0].startswith(f"g.yaml:{line_of(text, 'load.picture')}: node 'load': ") and "no output 'picture'" in found[0]
    assert found[1].startswith(f"g.yaml:{line_of(text, 'ghost.image')}: ") and "'ghost'" in found[1]
    last = text.splitlines().index("  - load") + 1
    assert found[2].startswith(f"g.yaml:{last}: ") and "output 'load' is not a reference" in found[2]


def test_outputs_must_be_a_list(builtins):
    message = only_error("thyra: 1\nnodes:\n  load: {type: io.load_image}\noutputs: load.image\n", builtins)
    assert message.startswith("g.yaml:4: ") and "'outputs' must be a list" in message


def test_five_different_errors_are_all_reported_each_at_its_line(builtins):
    text = dedent("""\
        thyra: 1
        nodes:
          load:
            type: io.load_image
            params: {path: 7}
          gray:
            type: image.to_grey
          th:
            type: image.threshold
            inputs: {image: load.image}
            params: {value: -1}
          count:
            type: image.contours
            inputs: {mask: load.image}
          save:
            type: io.save_image
        """)
    found = errors(text, builtins)
    assert len(found) == 5, found
    expected = {
        (line_of(text, "path: 7"), "node 'load': parameter 'path'"),
        (line_of(text, "image.to_grey"), "node 'gray': unknown node type"),
        (line_of(text, "value: -1"), "node 'th': parameter 'value'"),
        (line_of(text, "mask: load.image"), "node 'count': type mismatch"),
        (line_of(text, "save:"), "node 'save': required input 'image'"),
    }
    for line, start in expected:
        assert any(f.startswith(f"g.yaml:{line}: {start}") for f in found), (line, start, found)


def test_a_misspelt_node_key_is_reported_with_a_suggestion(builtins):
    text = "thyra: 1\nnodes:\n  load:\n    type: io.load_image\n    parms: {path: a.png}\n"
    message = only_error(text, builtins)
    assert message.startswith("g.yaml:5: node 'load': unknown key 'parms' (did you mean 'params'?)")


def test_a_node_id_with_a_dot_is_reported_at_its_node(builtins):
    text = "thyra: 1\nnodes:\n  load.1: {type: io.load_image}\n"
    message = only_error(text, builtins)
    assert message.startswith("g.yaml:3: node 'load.1': node id 'load.1' must")


def test_inputs_that_are_not_a_mapping_are_reported_once(builtins):
    text = "thyra: 1\nnodes:\n  load: {type: io.load_image}\n  gray:\n    type: image.to_gray\n    inputs: [load.image]\n"
    message = only_error(text, builtins)  # and not "required input 'image' is not connected" too
    assert message.startswith("g.yaml:6: node 'gray': 'inputs' must be a mapping")


def test_an_empty_nodes_section_is_reported_at_its_line(builtins):
    message = only_error("thyra: 1\nname: x\nnodes:\n", builtins)
    assert message.startswith("g.yaml:3: the file has no nodes")


def test_graph_file_error_lists_every_problem():
    text = "thyra: 1\nnodes:\n  a: {type: test.nope}\n  b: {type: test.nada}\n"
    result = load_graph_text(text, Registry(), source="g.yaml")
    error = GraphFileError(result.diagnostics)
    assert "2 problem(s)" in str(error)
    assert "g.yaml:3: node 'a'" in str(error) and "g.yaml:4: node 'b'" in str(error)


def test_load_graph_file_reports_a_missing_file(tmp_path, builtins):
    result = load_graph_file(tmp_path / "nope.yaml", builtins)
    assert result.graph is None and "no such file" in str(result.errors[0])


# -- node versions ---------------------------------------------------------------------------
def _rename_factor(params):
    params["scale"] = params.pop("factor", 1.0)
    return params


def _double_scale(params):
    params["scale"] = params.get("scale", 1.0) * 2
    return params


@node("test.scaled", version=3, params=[Param("scale", 1.0, min=0, max=100)], outputs=[Output("out", Number)],
      migrations={1: _rename_factor, 2: _double_scale})
def scaled(*, scale):
    """Version 3: ``scale`` was ``factor`` in version 1 and half as large before version 3."""
    return scale


@node("test.strict", version=2, params=[Param("level", 1)], outputs=[Output("out", Number)])
def strict(*, level):
    """Version 2, with no migration from version 1."""
    return level


@pytest.fixture
def versioned() -> Registry:
    reg = Registry()
    reg.add(scaled)
    reg.add(strict)
    return reg


def test_a_node_version_newer_than_installed_is_refused(versioned):
    text = "thyra: 1\nnodes:\n  s:\n    type: test.scaled\n    version: 4\n"
    message = only_error(text, versioned)
    assert message.startswith("g.yaml:5: node 's': the file needs version 4 of test.scaled")
    assert "this installation has version 3" in message


def test_an_older_node_version_is_migrated_step_by_step(versioned):
    text = "thyra: 1\nnodes:\n  s:\n    type: test.scaled\n    version: 1\n    params: {factor: 5}\n"
    result = load_graph_text(text, versioned)
    assert result.ok, [str(d) for d in result.diagnostics]
    assert result.graph.params("s") == {"scale": 10.0}
    assert "version: 3" in result.graph.dumps()


def test_an_older_node_version_without_migration_is_refused_clearly(versioned):
    text = "thyra: 1\nnodes:\n  s:\n    type: test.strict\n    version: 1\n"
    message = only_error(text, versioned)
    assert message.startswith("g.yaml:5: node 's': test.strict version 1 cannot be upgraded to version 2")


def test_a_migrated_value_is_still_checked_against_the_declaration(versioned):
    text = "thyra: 1\nnodes:\n  s:\n    type: test.scaled\n    version: 2\n    params: {scale: 60}\n"
    message = only_error(text, versioned)
    assert "out of range" in message and "0 to 100" in message


# -- round trip ------------------------------------------------------------------------------
def snapshot(graph: Graph) -> dict:
    """What a graph holds, in comparable form."""
    return {
        "name": graph.name,
        "description": graph.description,
        "nodes": {n.id: (n.type_id, n.params, n.title) for n in graph.nodes.values()},
        "links": sorted(graph.links()),
        "outputs": graph.outputs,
        "positions": graph.ui.get("positions"),
    }


@pytest.fixture
def quickstart_copy(tmp_path) -> Path:
    folder = tmp_path / "graphs"
    folder.mkdir()
    return Path(shutil.copy(QUICKSTART, folder / "quickstart.yaml"))


def test_load_save_load_gives_the_same_graph(builtins, quickstart_copy):
    first = load_graph_file(quickstart_copy, builtins).graph
    saved = first.save(quickstart_copy.with_name("again.yaml"))
    second = load_graph_file(saved, builtins)
    assert second.ok, [str(d) for d in second.diagnostics]
    assert snapshot(second.graph) == snapshot(first)
    assert snapshot(second.graph)["positions"]["overlay"] == [1680, 160]


def test_saving_an_unchanged_graph_gives_the_same_bytes(builtins, quickstart_copy):
    graph = load_graph_file(quickstart_copy, builtins).graph
    one = graph.save(quickstart_copy.with_name("one.yaml")).read_bytes()
    two = graph.save(quickstart_copy.with_name("two.yaml")).read_bytes()
    again = load_graph_file(quickstart_copy.with_name("one.yaml"), builtins).graph
    three = again.save(quickstart_copy.with_name("three.yaml")).read_bytes()
    assert one == two == three


def test_a_graph_built_in_code_saves_and_loads_back(registry, tmp_path):
    graph = Graph(registry, name="built", description="made in code", base_dir=tmp_path)
    graph.add_node("test.const", "c", params={"value": 2})
    graph.add_node("test.add", "a", params={"inc": -3.5})
    graph.add_node("test.write", "w", params={"path": "out/result.txt"})
    graph.connect("c.out", "a.x")
    graph.connect("a.out", "w.x")
    graph.nodes["a"].title = "minus three and a half"
    graph.outputs.append("a.out")
    graph.ui["positions"] = {"c": [0, 0], "a": [200, 0], "w": [400, 0]}

    path = graph.save(tmp_path / "built.yaml")
    loaded = load_graph_file(path, registry)

    assert loaded.ok, [str(d) for d in loaded.diagnostics]
    assert snapshot(loaded.graph) == snapshot(graph)
    assert loaded.graph.params("c") == {"value": 2.0}


def test_node_titles_survive_a_round_trip(registry):
    text = "thyra: 1\nname: t\nnodes:\n  c:\n    type: test.const\n    title: The answer\n"
    graph = load_graph_text(text, registry).graph
    assert graph.nodes["c"].title == "The answer"
    assert "title: The answer" in graph.dumps()


def test_saving_into_another_folder_rebases_relative_paths(builtins, quickstart_copy, tmp_path):
    graph = load_graph_file(quickstart_copy, builtins).graph
    image = graph.resolve_path(graph.params("load")["path"])
    written = graph.resolve_path(graph.params("save")["path"])

    moved = graph.save(tmp_path / "elsewhere" / "deeper" / "quickstart.yaml")
    loaded = load_graph_file(moved, builtins).graph

    assert loaded.resolve_path(loaded.params("load")["path"]) == image
    assert loaded.resolve_path(loaded.params("save")["path"]) == written
    assert not Path(loaded.params("load")["path"]).is_absolute()  # still relative, as written


def test_saving_keeps_absolute_paths_as_they_are(registry, tmp_path):
    graph = Graph(registry, base_dir=tmp_path)
    absolute = (tmp_path / "data" / "in.txt").as_posix()
    graph.add_node("test.read", "r", params={"path": absolute})
    graph.save(tmp_path / "sub" / "g.yaml")
    assert graph.params("r")["path"] == absolute


# -- the Python API --------------------------------------------------------------------------
def test_api_load_graph_raises_with_every_problem_and_its_file(tmp_path):
    from thyra_graph.api import load_graph

    path = tmp_path / "bad.yaml"
    path.write_text("thyra: 1\nnodes:\n  a: {type: io.load_imag}\n  b: {type: image.to_gray}\n")
    with pytest.raises(GraphFileError) as info:
        load_graph(path)
    assert [str(d).split(": node")[0] for d in info.value.diagnostics] == [f"{path}:3", f"{path}:4"]


def test_api_graph_built_in_code_saves_and_loads(tmp_path):
    from thyra_graph.api import load_graph, new_graph

    graph = new_graph("coins", base_dir=tmp_path)
    graph.add_node("io.load_image", "load", params={"path": "coins.png"})
    graph.add_node("image.threshold", "th", params={"method": "fixed", "value": 90})
    graph.connect("load.image", "th.image")
    loaded = load_graph(graph.save(tmp_path / "coins.yaml"))
    assert snapshot(loaded) == snapshot(graph)
    assert loaded.resolve_path(loaded.params("load")["path"]) == tmp_path / "coins.png"


def test_problems_are_listed_in_file_order(builtins):
    text = dedent("""\
        thyra: 1
        nodes:
          load: {type: io.load_image, params: {path: a.png, colour: red}}
          th:
            type: image.threshold
            inputs: {image: nowhere.image}
            params: {value: 999}
          blur: {type: image.blurr}
        """)
    result = load_graph_text(text, builtins, source="g.yaml")
    lines = [d.line for d in result.errors]
    assert len(lines) >= 4 and lines == sorted(lines)
