"""The safe YAML layer of graph files: read plain data with line numbers, write it back readably.

:func:`parse_yaml` never constructs Python objects from YAML tags and never raises on bad input:
it returns a :class:`ParsedYaml` holding plain data, the line of every key and list item, and the
problems found, each a sentence a person can act on. :func:`dump_yaml` writes the same kind of
data as human-first, diff-friendly YAML.

Choices a reader of graph files may want to know:

- Only PyYAML's composer runs (the node tree); the data is built here, so no constructor for
  ``!!python/...`` or any other object tag is ever reached. Standard tags (str, int, float, bool,
  null, seq, map) resolve exactly as ``yaml.safe_load`` resolves them, YAML 1.1 included
  (``yes`` is True, ``017`` is 15, ``1:30`` is 90).
- Timestamps (``2024-05-01``) stay strings, as written: graph files hold JSON-like data.
- A bare ``=`` or ``<<`` in a value position is the string itself (``safe_load`` gives up there).
- Duplicate keys: the LAST value is kept (as ``safe_load`` does), and a problem names both lines.
- Merge keys (``<<: *defaults``, ``<<: [*a, *b]``) work as in YAML 1.1: keys written in the
  mapping win over merged ones, and earlier mappings in a merge list win over later ones.
  Lines of merged keys point to where they are written (inside the anchored mapping).
- Aliases are expanded into independent copies (no shared mutable objects). Before anything is
  built, the size of the expanded document is measured over the node graph: more than
  ``max_nodes`` nodes (an "alias bomb") or an alias inside its own anchor is refused outright.
- Problems that leave no usable data (syntax, tags, size) are fatal: ``data`` is None.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.events import (
    AliasEvent, CollectionEndEvent, CollectionStartEvent, DocumentStartEvent, ScalarEvent, StreamEndEvent,
)
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

# Graph files are a few levels deep; this bound keeps every recursion (PyYAML's composer, the
# builder here) far from Python's recursion limit whatever the input.
MAX_DEPTH = 100

_YAML_TAG = "tag:yaml.org,2002:"
_MAP_TAG = _YAML_TAG + "map"
_SEQ_TAG = _YAML_TAG + "seq"
_MERGE_TAG = _YAML_TAG + "merge"
_SCALAR_CONSTRUCTORS = {
    _YAML_TAG + "str": "construct_yaml_str",
    _YAML_TAG + "int": "construct_yaml_int",
    _YAML_TAG + "float": "construct_yaml_float",
    _YAML_TAG + "bool": "construct_yaml_bool",
    _YAML_TAG + "null": "construct_yaml_null",
}
# Kept as the text written; see the module docstring.
_VERBATIM_SCALAR_TAGS = {_YAML_TAG + "timestamp", _YAML_TAG + "value", _MERGE_TAG}
_NODE_KIND_OF_TAG = {
    _MAP_TAG: MappingNode,
    _SEQ_TAG: SequenceNode,
    **{tag: ScalarNode for tag in (*_SCALAR_CONSTRUCTORS, *_VERBATIM_SCALAR_TAGS)},
}


@dataclass(frozen=True)
class YamlProblem:
    """One thing wrong with a YAML text."""

    line: int | None  # 1-based line, None if unknown
    message: str  # one readable sentence with the fix, no traceback


# A line tree: for a mapping, key -> (line, subtree); for a list, [(line, subtree), ...];
# None for a scalar. Replacing a key's entry drops its whole subtree, which keeps the lines of
# duplicate and merged keys consistent with the data.
_Tree = dict[Any, tuple[int, Any]] | list[tuple[int, Any]] | None


class LineMap:
    """Maps key paths to 1-based line numbers."""

    def __init__(self, root_line: int | None = None, tree: _Tree = None) -> None:
        self._root_line = root_line
        self._tree = tree

    def line(self, *path: str | int) -> int | None:
        """The line of the key or list item at ``path``, else of its closest known ancestor.

        ``lines.line("nodes", "load", "params", "path")`` is the line of ``path:``; a path that
        goes past what the file holds gives the line of the deepest part that exists, and
        ``lines.line()`` the line where the document starts.
        """
        best, tree = self._root_line, self._tree
        for part in path:
            entry = None
            if isinstance(tree, dict):
                try:
                    entry = tree.get(part)
                except TypeError:  # an unhashable part names no key
                    entry = None
            elif isinstance(tree, list) and isinstance(part, int) and not isinstance(part, bool):
                if 0 <= part < len(tree):
                    entry = tree[part]
            if entry is None:
                break
            best, tree = entry
        return best

    def __repr__(self) -> str:
        return f"LineMap(root_line={self._root_line})"


@dataclass
class ParsedYaml:
    """The result of :func:`parse_yaml`."""

    data: Any  # plain Python data (dict/list/str/int/float/bool/None); None when fatal
    lines: LineMap
    problems: list[YamlProblem] = field(default_factory=list)  # non-fatal and fatal problems
    fatal: bool = False


class _Refused(Exception):
    """Stops reading at once; carries the fatal problem."""

    def __init__(self, problem: YamlProblem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def _line(node_or_mark: Any) -> int | None:
    mark = getattr(node_or_mark, "start_mark", node_or_mark)
    return None if mark is None else mark.line + 1


def _too_many_nodes(max_nodes: int, line: int | None) -> YamlProblem:
    return YamlProblem(
        line,
        f"the YAML document expands to more than {max_nodes:,} values (too many nodes, as in an "
        "alias bomb, where aliases repeat aliases): write the values out instead of nesting "
        "aliases, or split the data into separate files referred to by path",
    )


def _too_deep(line: int | None) -> YamlProblem:
    return YamlProblem(
        line,
        f"the YAML document is nested more than {MAX_DEPTH} levels deep (counting what aliases "
        "expand to): flatten the structure",
    )


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader, composing at most ``max_nodes`` nodes at most MAX_DEPTH deep.

    Only its composer is used. The bounds keep a huge or deeply nested text from using
    unbounded memory or blowing the stack before the expanded size is even measured.
    """

    def __init__(self, text: str, max_nodes: int) -> None:
        super().__init__(text)
        self._max_nodes = max_nodes
        self._composed = 0
        self._depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        self._composed += 1
        if self._composed > self._max_nodes:
            raise _Refused(_too_many_nodes(self._max_nodes, _line(self.peek_event())))
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _Refused(_too_deep(_line(self.peek_event())))
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def compose_single(self) -> Node | None:
        """Like ``get_single_node``, but a second document is a problem with its line."""
        self.get_event()  # stream start
        document = None
        if not self.check_event(StreamEndEvent):
            document = self.compose_document()
        if not self.check_event(StreamEndEvent):
            second = _line(self.get_event())
            raise _Refused(
                YamlProblem(
                    second,
                    f"a graph file holds one YAML document, but a second one starts on line "
                    f"{second}: remove the extra '---' line or split the file in two",
                )
            )
        return document


def _syntax_hint(problem: str) -> str:
    if "'\\t'" in problem:
        return "YAML indents with spaces, not tabs: replace the tab with spaces"
    if "undefined alias" in problem:
        return "define the anchor (&name) before the alias (*name) that uses it"
    if "expected ',' or" in problem:
        return "close the '[...]' or '{...}' and separate its items with commas"
    if "mapping values are not allowed" in problem:
        return "check indentation and quoting (a value containing ': ' must be quoted)"
    return "check indentation and quoting"


def _syntax_problem(error: yaml.YAMLError, text: str) -> YamlProblem:
    if isinstance(error, yaml.reader.ReaderError):
        line = text.count("\n", 0, error.position) + 1
        return YamlProblem(
            line,
            f"YAML syntax error: the character #x{error.character:04x} on line {line} is not "
            "allowed in YAML: remove it or write it as an escape in a double-quoted string",
        )
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error).splitlines()[0]
    context, context_mark = getattr(error, "context", None), getattr(error, "context_mark", None)
    anchor = re.search(r"duplicate anchor '(.*)'", context or "")
    if anchor and mark is not None and context_mark is not None:
        return YamlProblem(
            mark.line + 1,
            f"YAML error: the anchor &{anchor.group(1)} is defined twice, on lines "
            f"{context_mark.line + 1} and {mark.line + 1}: give each anchor a different name",
        )
    if mark is None:
        return YamlProblem(None, f"YAML syntax error: {problem}: {_syntax_hint(problem)}")
    line = mark.line + 1
    where = f"(line {line}, column {mark.column + 1})"
    if context and context_mark is not None and context_mark.line != mark.line:
        where += f" {context} that starts on line {context_mark.line + 1}"
    hint = _syntax_hint(problem)
    if "while scanning a quoted scalar" in (context or ""):
        hint = "a quoted value is not closed: add the closing quote"
    kind = "YAML error" if isinstance(error, yaml.composer.ComposerError) else "YAML syntax error"
    return YamlProblem(line, f"{kind}: {problem} {where}: {hint}")


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return node.value
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _measure(root: Node, max_nodes: int) -> None:
    """Refuse a node graph whose expansion is too large, too deep, or infinite.

    Sizes are memoised per node, so this costs the size of the text, not of the expansion:
    the billion-laughs document is measured in microseconds.
    """
    measured: dict[int, tuple[int, int]] = {}  # id(node) -> (expanded nodes, depth)
    open_nodes: set[int] = set()  # the current DFS path: meeting one again is a cycle
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            children = _children(node)
            count = 1 + sum(measured[id(child)][0] for child in children)
            depth = 1 + max((measured[id(child)][1] for child in children), default=0)
            if count > max_nodes:
                raise _Refused(_too_many_nodes(max_nodes, _line(node)))
            if depth > MAX_DEPTH:
                raise _Refused(_too_deep(_line(node)))
            measured[key] = (count, depth)
            open_nodes.discard(key)
            continue
        if key in measured:
            continue
        open_nodes.add(key)
        stack.append((node, True))
        for child in _children(node):
            if id(child) in open_nodes:
                raise _Refused(
                    YamlProblem(
                        _line(node),
                        f"the value starting on line {_line(node)} holds an alias to the "
                        f"anchored value that contains it (starting on line {_line(child)}), "
                        "which would repeat forever: refer to a value defined elsewhere",
                    )
                )
            if id(child) not in measured:
                stack.append((child, False))


def _short_tag(tag: str) -> str:
    return "!!" + tag[len(_YAML_TAG) :] if tag.startswith(_YAML_TAG) else tag


class _Builder:
    """Builds plain data and its line tree from a measured node graph."""

    def __init__(self) -> None:
        self.problems: list[YamlProblem] = []
        self.fatal = False
        self._scalars = SafeConstructor()

    def _problem(self, line: int | None, message: str, *, fatal: bool = False) -> None:
        problem = YamlProblem(line, message)
        if problem not in self.problems:  # an aliased value repeats its problems
            self.problems.append(problem)
        self.fatal = self.fatal or fatal

    def _refuse_tag(self, node: Node) -> None:
        self._problem(
            _line(node),
            f"the YAML tag '{_short_tag(node.tag)}' on line {_line(node)} is not allowed: YAML "
            "tags that construct objects are not allowed in graph files, so remove the tag and "
            "write the value as plain text, numbers, lists and mappings",
            fatal=True,
        )

    def _tag_fits(self, node: Node) -> bool:
        if node.tag not in _NODE_KIND_OF_TAG:
            self._refuse_tag(node)
            return False
        if not isinstance(node, _NODE_KIND_OF_TAG[node.tag]):
            self._problem(
                _line(node),
                f"the YAML tag '{_short_tag(node.tag)}' on line {_line(node)} does not fit the "
                "value it marks (a list, mapping or single value): remove the tag",
                fatal=True,
            )
            return False
        return True

    def build(self, node: Node) -> tuple[Any, _Tree]:
        fits = self._tag_fits(node)
        if isinstance(node, ScalarNode):
            return (self._scalar(node) if fits else None), None
        if isinstance(node, SequenceNode):
            items, tree = [], []
            for child in node.value:
                value, subtree = self.build(child)
                items.append(value)
                tree.append((_line(child), subtree))
            return (items if fits else None), tree
        value, tree = self._mapping(node)
        return (value if fits else None), tree

    def _scalar(self, node: ScalarNode) -> Any:
        if node.tag in _VERBATIM_SCALAR_TAGS:
            return node.value
        try:
            return getattr(self._scalars, _SCALAR_CONSTRUCTORS[node.tag])(node)
        except Exception:  # noqa: BLE001 - PyYAML's constructors fail in many ways on odd text
            self._problem(
                _line(node),
                f"the value {node.value!r} on line {_line(node)} cannot be read as "
                f"'{_short_tag(node.tag)}': fix the value or remove the tag",
                fatal=True,
            )
            return None

    def _mapping(self, node: MappingNode) -> tuple[dict, dict]:
        merged: dict[Any, Any] = {}
        merged_tree: dict[Any, tuple[int, Any]] = {}
        explicit: dict[Any, Any] = {}
        explicit_tree: dict[Any, tuple[int, Any]] = {}
        written: dict[Any, str] = {}  # each key as first written, for messages
        for key_node, value_node in node.value:
            key_line = _line(key_node)
            if isinstance(key_node, ScalarNode) and key_node.tag == _MERGE_TAG:
                for source in self._merge_sources(value_node, key_line):
                    value, tree = self.build(source)
                    if isinstance(value, dict):
                        merged.update(value)
                        merged_tree.update(tree)
                continue
            if not isinstance(key_node, ScalarNode):
                self._problem(
                    key_line,
                    f"the mapping key on line {key_line} is itself a "
                    f"{'list' if isinstance(key_node, SequenceNode) else 'mapping'}, which "
                    "graph files cannot hold: write the key as a plain name (the entry was "
                    "left out)",
                )
                continue
            if not self._tag_fits(key_node):
                continue
            key = self._scalar(key_node)
            value, tree = self.build(value_node)
            if key in explicit:
                first_line, first_text = explicit_tree[key][0], written[key]
                same_key = (
                    f"the key {key_node.value!r} appears"
                    if first_text == key_node.value
                    else f"the keys {first_text!r} and {key_node.value!r} mean the same and appear"
                )
                self._problem(
                    key_line,
                    f"{same_key} twice in the same mapping, on lines {first_line} and "
                    f"{key_line}, but only one may be kept: remove or rename one of them (the "
                    f"one on line {key_line} is used)",
                )
            else:
                written[key] = key_node.value
            explicit[key] = value
            explicit_tree[key] = (key_line, tree)
        # Merged keys come first and written keys override them: the order safe_load gives.
        merged.update(explicit)
        merged_tree.update(explicit_tree)
        return merged, merged_tree

    def _merge_sources(self, value_node: Node, key_line: int | None) -> list[MappingNode]:
        """The mappings a merge key pulls in, lowest precedence first."""
        if isinstance(value_node, MappingNode):
            return [value_node]
        if isinstance(value_node, SequenceNode) and all(
            isinstance(item, MappingNode) for item in value_node.value
        ):
            return list(reversed(value_node.value))
        self._problem(
            key_line,
            f"the merge key '<<' on line {key_line} needs a mapping or a list of mappings "
            "(such as '<<: *defaults'): point it at a mapping, or write the keys out (the "
            "merge was left out)",
        )
        return []


def parse_yaml(text: str, *, max_nodes: int = 100_000, max_chars: int = 10_000_000) -> ParsedYaml:
    """Read one YAML document as plain data, with the line of every key and list item.

    Never raises on bad input: every problem is in ``problems``; ``fatal`` means ``data`` is
    None. An empty document (or only comments) gives ``data=None`` without a problem.

    >>> parsed = parse_yaml("nodes:\\n  load: {type: io.load_image}\\n")
    >>> parsed.data, parsed.lines.line("nodes", "load", "type")
    ({'nodes': {'load': {'type': 'io.load_image'}}}, 2)
    """
    if len(text) > max_chars:
        return _fatal(
            YamlProblem(
                None,
                f"the file is {len(text):,} characters long, more than the {max_chars:,} a graph "
                "file may hold: keep large data in separate files and refer to them by path",
            )
        )
    try:
        root = _compose(text, max_nodes)
    except _Refused as refused:
        return _fatal(refused.problem)
    except yaml.YAMLError as error:
        return _fatal(_syntax_problem(error, text))
    except RecursionError:  # a safety net only: MAX_DEPTH should stop this first
        return _fatal(_too_deep(None))
    if root is None:
        return ParsedYaml(None, LineMap(), [], False)
    try:
        _measure(root, max_nodes)
    except _Refused as refused:
        return _fatal(refused.problem)
    builder = _Builder()
    data, tree = builder.build(root)
    if builder.fatal:
        return ParsedYaml(None, LineMap(), builder.problems, True)
    return ParsedYaml(data, LineMap(_line(root), tree), builder.problems, False)


def _compose(text: str, max_nodes: int) -> Node | None:
    fast = _compose_with_libyaml(text, max_nodes)
    if fast is not _UNSURE:
        return fast
    loader = _BoundedLoader(text, max_nodes)  # the reader checks the characters here
    try:
        return loader.compose_single()
    finally:
        loader.dispose()


_UNSURE = object()


def _compose_with_libyaml(text: str, max_nodes: int) -> Node | None | object:
    """libyaml's C composer (about 5× faster) for a text it accepts within the same bounds.

    Anything unusual (a syntax error, a second document, too many or too deeply nested
    nodes, a character PyYAML's reader refuses) returns ``_UNSURE``: the pure-Python path
    then runs and reports the problem with its exact wording. The bounds are checked on
    libyaml's flat event stream first, because its composer recurses in C, where Python's
    recursion limit does not protect the stack.
    """
    if not getattr(yaml, "__with_libyaml__", False) or yaml.reader.Reader.NON_PRINTABLE.search(text):
        return _UNSURE
    try:
        scan = yaml.CSafeLoader(text)
        try:
            nodes = depth = documents = 0
            while scan.check_event():
                event = scan.get_event()
                if isinstance(event, (ScalarEvent, AliasEvent)):
                    nodes += 1
                elif isinstance(event, CollectionStartEvent):
                    nodes += 1
                    depth += 1
                    if depth > MAX_DEPTH:
                        return _UNSURE
                elif isinstance(event, CollectionEndEvent):
                    depth -= 1
                elif isinstance(event, DocumentStartEvent):
                    documents += 1
                if nodes > max_nodes or documents > 1:
                    return _UNSURE
        finally:
            scan.dispose()
        loader = yaml.CSafeLoader(text)
        try:
            return loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.YAMLError:
        return _UNSURE


def _fatal(problem: YamlProblem) -> ParsedYaml:
    return ParsedYaml(None, LineMap(), [problem], True)


# --------------------------------------------------------------------------------------------
# Writing

# A flat collection is written on one line when its flow form is at most this long.
_FLOW_WIDTH = 60
# Mappings this shallow are always block style: the top level, its sections (nodes, ui) and
# each node's body, so that every node and every setting gets its own diffable line.
_BLOCK_MAPPING_DEPTH = 2
_LINE_BREAKS = re.compile("[\r\x85\u2028\u2029]")


class _GraphDumper(yaml.SafeDumper):
    """SafeDumper for plain data only, with the layout choices of graph files."""

    yaml_representers: dict = {}
    yaml_multi_representers: dict = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._depth = 0

    def ignore_aliases(self, data: Any) -> bool:
        return True  # a person reads graph files: never write anchors or aliases

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        # Indent list items under their key, as people write them.
        super().increase_indent(flow, False)

    def _nested(self, tag: str, data: Any, flow: bool, *, mapping: bool) -> Node:
        self._depth += 1
        try:
            if mapping:
                return self.represent_mapping(tag, data, flow_style=flow)
            return self.represent_sequence(tag, data, flow_style=flow)
        finally:
            self._depth -= 1

    def represent_plain_dict(self, data: dict) -> Node:
        flow = not data or (self._depth > _BLOCK_MAPPING_DEPTH and _fits_one_line(data))
        return self._nested(_MAP_TAG, data, flow, mapping=True)

    def represent_plain_list(self, data: list | tuple) -> Node:
        flow = not data or (self._depth > 0 and _fits_one_line(data))
        return self._nested(_SEQ_TAG, list(data), flow, mapping=False)

    def represent_text(self, data: str) -> Node:
        # Multi-line text as a literal block. Other line-break characters would be normalised
        # by a block scalar, and PyYAML folds them in single quotes: only double quotes, which
        # escape them, keep them as they are.
        if _LINE_BREAKS.search(data):
            style = '"'
        elif "\n" in data:
            style = "|"
        else:
            style = None
        return self.represent_scalar(_YAML_TAG + "str", data, style=style)

    def represent_unsupported(self, data: Any) -> Node:
        raise TypeError(
            f"cannot write a {type(data).__name__} ({data!r:.80}) to a graph file: convert it to "
            "plain str, int, float, bool, None, list or dict first"
        )


def _is_one_line_scalar(value: Any) -> bool:
    return value is None or type(value) in (bool, int, float) or (
        type(value) is str and "\n" not in value
    )


def _is_flat(data: dict | list | tuple) -> bool:
    values = list(data.values()) + list(data) if isinstance(data, dict) else data
    return all(_is_one_line_scalar(value) for value in values)


def _fits_one_line(data: dict | list | tuple) -> bool:
    if not _is_flat(data):
        return False
    flow = yaml.dump(
        dict(data) if isinstance(data, dict) else list(data),
        Dumper=yaml.SafeDumper,
        default_flow_style=True,
        allow_unicode=True,
        sort_keys=False,
        width=1_000_000,
    )
    return len(flow.rstrip("\n")) <= _FLOW_WIDTH


_GraphDumper.add_representer(type(None), yaml.SafeDumper.represent_none)
_GraphDumper.add_representer(bool, yaml.SafeDumper.represent_bool)
_GraphDumper.add_representer(int, yaml.SafeDumper.represent_int)
_GraphDumper.add_representer(float, yaml.SafeDumper.represent_float)
_GraphDumper.add_representer(str, _GraphDumper.represent_text)
_GraphDumper.add_representer(dict, _GraphDumper.represent_plain_dict)
_GraphDumper.add_representer(list, _GraphDumper.represent_plain_list)
_GraphDumper.add_representer(tuple, _GraphDumper.represent_plain_list)
_GraphDumper.add_representer(None, _GraphDumper.represent_unsupported)


def dump_yaml(data: Any) -> str:
    """Write plain data as the YAML of a graph file: the same data always gives the same text.

    Keys keep their order. The top level, its sections and each node's body are block style;
    short flat lists and mappings below them (``[0, 0]``, ``{path: coins.png}``) stay on one
    line; multi-line text is a literal block; strings that would read as another type are
    quoted. Tuples are written as lists. Anything but str, int, float, bool, None, list, tuple
    and dict raises TypeError; data that contains itself raises ValueError.
    """
    try:
        return yaml.dump(
            data,
            Dumper=_GraphDumper,
            sort_keys=False,
            allow_unicode=True,
            default_flow_style=False,
            width=1_000_000,  # never fold long text: one value, one line, clean diffs
        )
    except RecursionError:
        raise ValueError("cannot write data that contains itself to a graph file") from None
