"""Reading graph files: YAML in, plain data and lines out, on ruamel.yaml's round-trip mode.

:func:`parse_yaml` reads a file into two views: plain data (dict/list/str/int/float/bool/None)
for checking and building, and ruamel's commented tree, which
:class:`~thyra_graph.engine.yamlwrite.YamlDocument` edits on save so that comments and layout
survive. It never raises on bad input: problems are sentences with the line and the fix.
A plain file (no anchors, tags or merge keys: most graph files) is read by libyaml
(:mod:`.yamlfast`), and its lines and commented tree are made only when asked for (a
diagnostic, a save); a run never waits for the pure-Python round-trip reader.

Choices a reader of graph files may want to know:

- YAML 1.2 (ruamel's default): ``yes``/``on`` are text, ``017`` is 17; dates stay text.
- Only the standard tags (str, int, float, bool, null, seq, map) are allowed, and only on a
  value they fit; any other tag (``!!python/...``, ``!foo``, ``!!binary``) is refused before
  anything is constructed, so a graph file never runs code.
- Before loading, the event stream is measured: more than ``max_nodes`` values once aliases are
  expanded (an "alias bomb"), more than MAX_DEPTH levels, an alias inside its own anchor, an
  anchor defined twice or a second document is refused with its line.
- Duplicate keys: the FIRST value is kept (ruamel's choice) and a problem names both lines.
- Merge keys (``<<: *defaults``) work; merged keys have the lines where they are written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent, CollectionEndEvent, CollectionStartEvent, DocumentStartEvent, MappingStartEvent, ScalarEvent,
)
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.reader import ReaderError

from .yamlfast import NOT_PLAIN, read_plain

# Graph files are a few levels deep; this bound keeps ruamel's recursive composer and the
# conversions here far from Python's recursion limit whatever the input.
MAX_DEPTH = 100

_YAML_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = {_YAML_TAG + t for t in ("str", "int", "float", "bool", "null")}


@dataclass(frozen=True)
class YamlProblem:
    """One thing wrong with a YAML text."""

    line: int | None  # 1-based line, None if unknown
    message: str  # one readable sentence with the fix, no traceback


class _Refused(Exception):
    def __init__(self, *problems: YamlProblem) -> None:
        super().__init__(problems[0].message)
        self.problems = list(problems)


class _Constructor(RoundTripConstructor):
    """ruamel's round-trip constructor that reports duplicate keys instead of raising."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.duplicates: list[YamlProblem] = []

    def check_mapping_key(self, node: Any, key_node: Any, mapping: Any, key: Any, value: Any) -> bool:
        if key not in mapping:
            return True
        first = mapping.lc.key(key)[0] + 1 if key in mapping.lc.data else None
        line = key_node.start_mark.line + 1
        self.duplicates.append(YamlProblem(
            line,
            f"the key {key_node.value!r} appears twice in the same mapping, on lines {first} and "
            f"{line}, but only one may be kept: remove or rename one of them (the one on line "
            f"{first} is used)",
        ))
        return False


_Constructor.add_constructor(_YAML_TAG + "timestamp", lambda self, node: self.construct_scalar(node))


def round_trip_yaml() -> YAML:
    """ruamel's round-trip reader and writer, set up for graph files."""
    handler = YAML()
    handler.Constructor = _Constructor
    handler.preserve_quotes = True
    handler.width = 1_000_000  # never fold long text: one value, one line, clean diffs
    handler.indent(mapping=2, sequence=4, offset=2)  # list items indented under their key
    return handler


def _line(event: Any) -> int:
    return event.start_mark.line + 1


class LineMap:
    """Maps key paths to 1-based line numbers, read from ruamel's commented tree (made from
    ``text`` on the first question when the fast reader read the file)."""

    def __init__(self, tree: Any = None, *, text: str | None = None) -> None:
        self._tree = tree
        self._text = text

    @property
    def tree(self) -> Any:
        if self._text is not None:
            self._tree, self._text = _parse_round_trip(self._text, None).tree, None
        return self._tree

    def line(self, *path: Any) -> int | None:
        """The line of the key or list item at ``path``, else of its closest known ancestor.

        ``lines.line("nodes", "load", "params", "path")`` is the line of ``path:``; a path that
        goes past what the file holds gives the line of the deepest part that exists, and
        ``lines.line()`` the line where the document starts.
        """
        node = self.tree
        if node is None:
            return None
        best = node.lc.line + 1 if isinstance(node, (CommentedMap, CommentedSeq)) else 1
        for part in path:
            found = _child_line(node, part)
            if found is None:
                break
            best, node = found
        return best


def _child_line(node: Any, part: Any) -> tuple[int, Any] | None:
    if isinstance(node, CommentedMap):
        merged = getattr(getattr(node, "merge", None), "value", [])
        for source in [node, *merged]:  # own keys win, then earlier merged mappings
            try:
                if part in source.lc.data:
                    return source.lc.key(part)[0] + 1, source[part]
            except TypeError:  # an unhashable part names no key
                return None
    elif isinstance(node, CommentedSeq) and isinstance(part, int) and not isinstance(part, bool):
        if 0 <= part < len(node) and part in node.lc.data:
            return node.lc.item(part)[0] + 1, node[part]
    return None


@dataclass
class ParsedYaml:
    """The result of :func:`parse_yaml`."""

    data: Any  # plain Python data (dict/list/str/int/float/bool/None); None when fatal
    lines: LineMap
    problems: list[YamlProblem] = field(default_factory=list)
    fatal: bool = False
    fast: bool = False  # read by the fast reader: the commented tree is made on the first use of ``tree``

    @property
    def tree(self) -> Any:
        """ruamel's commented tree, which saving edits; None when fatal."""
        return self.lines.tree


def parse_yaml(text: str, *, max_nodes: int = 100_000, max_chars: int = 10_000_000) -> ParsedYaml:
    """Read one YAML document as plain data, with the line of every key and list item.

    Never raises on bad input: every problem is in ``problems``; ``fatal`` means ``data`` is
    None. An empty document (or only comments) gives ``data=None`` without a problem.

    >>> parsed = parse_yaml("nodes:\\n  load: {type: io.load_image}\\n")
    >>> parsed.data, parsed.lines.line("nodes", "load", "type")
    ({'nodes': {'load': {'type': 'io.load_image'}}}, 2)
    """
    if len(text) > max_chars:
        return _fatal(YamlProblem(
            None,
            f"the file is {len(text):,} characters long, more than the {max_chars:,} a graph file "
            "may hold: keep large data in separate files and refer to them by path",
        ))
    data = read_plain(text, max_nodes=max_nodes, max_depth=MAX_DEPTH)
    if data is not NOT_PLAIN:
        return ParsedYaml(data, LineMap(text=text), fast=True)
    return _parse_round_trip(text, max_nodes)


def _parse_round_trip(text: str, max_nodes: int | None) -> ParsedYaml:
    """``max_nodes`` None: the fast reader has read ``text`` already, within the bounds."""
    handler = round_trip_yaml()
    try:
        if max_nodes is not None:
            _measure(handler.parse(text), max_nodes, handler.resolver)
        document = handler.load(text)
    except _Refused as refused:
        return ParsedYaml(None, LineMap(), refused.problems, True)
    except ReaderError as error:
        line = text.count("\n", 0, error.position) + 1
        return _fatal(YamlProblem(
            line,
            f"YAML syntax error: the character #x{error.character:04x} on line {line} is not "
            "allowed in YAML: remove it or write it as an escape in a double-quoted string",
        ))
    except MarkedYAMLError as error:
        return _fatal(_syntax_problem(error))
    except (YAMLError, ValueError, TypeError) as error:  # a constructor's complaint without a mark
        return _fatal(YamlProblem(None, f"YAML error: {str(error).splitlines()[0]}: check the file's values"))
    problems = list(handler.constructor.duplicates)
    if document is None:
        return ParsedYaml(None, LineMap(), problems)
    return ParsedYaml(_plain(document, problems, set()), LineMap(document), problems)


def _fatal(problem: YamlProblem) -> ParsedYaml:
    return ParsedYaml(None, LineMap(), [problem], True)


def _measure(events: Iterable[Any], max_nodes: int, resolver: Any) -> None:
    """Refuse, event by event before anything is composed, what must never be built (see the
    module docstring). The expanded size of each anchor is known when it closes, so an alias
    costs a lookup: the billion-laughs document is measured in the time it takes to read it."""
    frames: list[list[Any]] = []  # open collections: [anchor, expanded values, depth]
    sizes: dict[str, tuple[int, int]] = {}  # anchor -> (values, depth) once closed
    anchors: dict[str, int] = {}  # anchor -> line where it is defined
    refused: list[YamlProblem] = []  # every refused tag is reported at once
    total = documents = 0
    for event in events:
        line = _line(event)
        if isinstance(event, DocumentStartEvent):
            documents += 1
            if documents > 1:
                raise _Refused(YamlProblem(line, f"a graph file holds one YAML document, but a second one starts on line {line}: remove the extra '---' line or split the file in two"))
        elif isinstance(event, CollectionEndEvent):
            anchor, count, depth = frames.pop()
            _add(frames, count, depth + 1)
            if anchor is not None:
                sizes[anchor] = (count, depth + 1)
        elif isinstance(event, (ScalarEvent, AliasEvent, CollectionStartEvent)):
            count, depth = 1, 1
            if isinstance(event, AliasEvent):
                if event.anchor in anchors and event.anchor not in sizes:
                    raise _Refused(YamlProblem(line, f"the alias *{event.anchor} on line {line} is inside the anchored value that contains it (starting on line {anchors[event.anchor]}), which would repeat forever: refer to a value defined elsewhere"))
                count, depth = sizes.get(event.anchor, (1, 1))  # an undefined alias: the composer says so
            else:
                refused += _tag_problems(event, resolver)
                if event.anchor in anchors:
                    raise _Refused(YamlProblem(line, f"YAML error: the anchor &{event.anchor} is defined twice, on lines {anchors[event.anchor]} and {line}: give each anchor a different name"))
                if event.anchor is not None:
                    anchors[event.anchor] = line
            if len(frames) + depth > MAX_DEPTH:
                raise _Refused(YamlProblem(line, f"the YAML document is nested more than {MAX_DEPTH} levels deep (counting what aliases expand to): flatten the structure"))
            total += count
            if total > max_nodes:
                raise _Refused(YamlProblem(line, f"the YAML document expands to more than {max_nodes:,} values (too many nodes, as in an alias bomb, where aliases repeat aliases): write the values out instead of nesting aliases, or split the data into separate files referred to by path"))
            if isinstance(event, CollectionStartEvent):
                frames.append([event.anchor, 1, 0])
            else:
                _add(frames, count, depth)
                if isinstance(event, ScalarEvent) and event.anchor is not None:
                    sizes[event.anchor] = (1, 1)
    if refused:
        raise _Refused(*refused)


def _add(frames: list[list[Any]], count: int, depth: int) -> None:
    if frames:
        frames[-1][1] += count
        frames[-1][2] = max(frames[-1][2], depth)


def _tag_problems(event: Any, resolver: Any) -> list[YamlProblem]:
    tag = event.tag
    if tag is None or (tag == "!" and isinstance(event, ScalarEvent)):
        return []
    short = "!!" + tag[len(_YAML_TAG):] if tag.startswith(_YAML_TAG) else tag
    if isinstance(event, ScalarEvent) and tag in _SCALAR_TAGS:
        resolved = resolver.resolve(ScalarNode, event.value, (True, False))
        if tag in (_YAML_TAG + "str", resolved) or (tag == _YAML_TAG + "float" and resolved == _YAML_TAG + "int"):
            return []
        return [YamlProblem(_line(event), f"the value {event.value!r} on line {_line(event)} cannot be read as '{short}': fix the value or remove the tag")]
    if tag == _YAML_TAG + ("map" if isinstance(event, MappingStartEvent) else "seq") and not isinstance(event, ScalarEvent):
        return []
    if tag in _SCALAR_TAGS or tag in (_YAML_TAG + "map", _YAML_TAG + "seq"):
        return [YamlProblem(_line(event), f"the YAML tag '{short}' on line {_line(event)} does not fit the value it marks (a list, mapping or single value): remove the tag")]
    return [YamlProblem(_line(event), f"the YAML tag '{short}' on line {_line(event)} is not allowed: YAML tags that construct objects are not allowed in graph files, so remove the tag and write the value as plain text, numbers, lists and mappings")]


def _syntax_problem(error: MarkedYAMLError) -> YamlProblem:
    problem = error.problem or str(error).splitlines()[0]
    mark, context, context_mark = error.problem_mark, error.context, error.context_mark
    if mark is None:
        return YamlProblem(None, f"YAML syntax error: {problem}: {_syntax_hint(problem)}")
    line = mark.line + 1
    where = f"(line {line}, column {mark.column + 1})"
    if context and context_mark is not None and context_mark.line != mark.line:
        where += f" {context} that starts on line {context_mark.line + 1}"
    hint = _syntax_hint(problem)
    if "while scanning a quoted scalar" in (context or ""):
        hint = "a quoted value is not closed: add the closing quote"
    kind = "YAML syntax error" if type(error).__name__ in ("ScannerError", "ParserError") else "YAML error"
    return YamlProblem(line, f"{kind}: {problem} {where}: {hint}")


# What a syntax error's problem says -> the fix to suggest (the first that fits).
_SYNTAX_HINTS = (
    ("'\\t'", "YAML indents with spaces, not tabs: replace the tab with spaces"),
    ("undefined alias", "define the anchor (&name) before the alias (*name) that uses it"),
    ("expected ',' or", "close the '[...]' or '{...}' and separate its items with commas"),
    ("mapping values are not allowed", "check indentation and quoting (a value containing ': ' must be quoted)"),
    ("duplicate merge key", "merge several mappings with one key: '<<: [*first, *second]'"),
    ("for merging", "point the merge key '<<' at a mapping or a list of mappings (such as '<<: *defaults')"),
)


def _syntax_hint(problem: str) -> str:
    return next((hint for clue, hint in _SYNTAX_HINTS if clue in problem), "check indentation and quoting")


def _plain(value: Any, problems: list[YamlProblem], path: set[int]) -> Any:
    """Plain builtin data: aliases become independent copies, ruamel's scalar types builtins."""
    if isinstance(value, CommentedMap):
        path = path | {id(value)}
        result = {}
        for key, item in value.items():
            if isinstance(key, (tuple, CommentedMap, CommentedSeq)) or not _hashable(key):
                line = value.lc.key(key)[0] + 1 if key in value.lc.data else None
                problems.append(YamlProblem(line, f"the mapping key on line {line} is itself a {'mapping' if isinstance(key, dict) else 'list'}, which graph files cannot hold: write the key as a plain name (the entry was left out)"))
                continue
            result[_plain(key, problems, path)] = _plain(item, problems, path)
        return result
    if isinstance(value, list):
        return [_plain(item, problems, path | {id(value)}) for item in value]
    if isinstance(value, TaggedScalar):  # an explicit standard tag (checked), or a bare '<<' or '='
        tag = str(value.tag)
        if tag in _SCALAR_TAGS - {_YAML_TAG + "str"}:
            read = round_trip_yaml().load(value.value)
            return float(read) if tag == _YAML_TAG + "float" else _plain(read, problems, path)
        return str(value.value)
    for kind in (bool, int, float, str):  # bool before int: True is an int too
        if isinstance(value, kind):
            return kind(value)
    return value  # None


def _hashable(key: Any) -> bool:
    return key is None or isinstance(key, (bool, int, float, str))
