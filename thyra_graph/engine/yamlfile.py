"""Reading graph files: YAML in, plain data and lines out, on ruamel.yaml.

:func:`parse_yaml` reads a file into plain data (dict/list/str/int/float/bool/None) for
checking and building, and a :class:`LineMap` that gives the line of every key. It never raises
on bad input: problems are sentences with the line and the fix. The data is read by libyaml
(``ruamel.yaml.clib``) with a strict safe constructor; ruamel's pure-Python reader takes over
where libyaml is missing or stops (its error messages are clearer, and libyaml, a YAML 1.1
reader, stops at some YAML 1.2). ruamel's round-trip tree, with the lines and comments, is made
only when asked for (a diagnostic, a save): a run never waits for it.

Choices a reader of graph files may want to know:

- YAML 1.2: ``yes``/``on`` are text, ``017`` is 17; dates stay text. A ``%YAML`` directive
  for another version is refused, so that every graph file reads by the same rules.
- Only the standard tags (str, int, float, bool, null, seq, map) are allowed, and only on a
  value they fit; any other tag (``!!python/...``, ``!foo``, ``!!binary``) is refused before
  anything is constructed, so a graph file never runs code.
- Before loading, the event stream is measured: more than ``max_nodes`` values once aliases are
  expanded (an "alias bomb"), more than MAX_DEPTH levels, an alias inside its own anchor, an
  anchor defined twice or a second document is refused with its line.
- Duplicate keys: the FIRST value is kept and a problem names both lines. A key that is a list
  or mapping is a problem and its entry is left out.
- Merge keys (``<<: *defaults``) work; merged keys have the lines where they are written.
- An alias gives an independent copy of its anchored value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import RoundTripConstructor, SafeConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent, CollectionEndEvent, CollectionStartEvent, DocumentStartEvent, MappingStartEvent, ScalarEvent,
)
from ruamel.yaml.nodes import MappingNode, ScalarNode
from ruamel.yaml.reader import ReaderError
from ruamel.yaml.resolver import VersionedResolver

try:
    from _ruamel_yaml import CParser  # ruamel.yaml.clib: libyaml, 7 times faster than pure Python
except ImportError:  # pragma: no cover - the constraints install it
    CParser = None

# Graph files are a few levels deep; this bound keeps the composers and the copies here far
# from Python's recursion limit whatever the input.
MAX_DEPTH = 100

_YAML_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = {_YAML_TAG + t for t in ("str", "int", "float", "bool", "null")}


@dataclass(frozen=True)
class YamlProblem:
    """One thing wrong with a YAML text."""

    line: int | None  # 1-based line, None if unknown
    message: str  # one readable sentence with the fix, no traceback


class _Resolver(VersionedResolver):
    # Graph files are YAML 1.2 (other versions are refused). Answering the version directly
    # saves ruamel's per-scalar lookup of it, a third of the construction time.
    @property
    def processing_version(self) -> Any:
        return (1, 2)


class _Constructor(SafeConstructor):
    """The standard types as builtins (timestamps stay text); duplicate keys and keys that are
    lists or mappings are reported in ``problems`` and left out instead of raising."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.problems: list[YamlProblem] = []
        self._checked: set[int] = set()  # the mappings flattened (nodes have no room for a mark)

    def flatten_mapping(self, node: Any) -> None:
        """Merge keys as YAML defines them, after leaving out (and reporting) the keys a mapping
        cannot hold. A merged mapping is flattened first, through this method, so what it
        brings is already clean; each mapping is checked once, however often it is merged."""
        if id(node) in self._checked:
            return
        super().flatten_mapping(node)  # node.value: the merged pairs (earlier mappings last), then its own
        self._checked.add(id(node))
        merged = len(getattr(node, "merge", None) or [])
        own, lines = [], {}
        for key_node, value_node in node.value[merged:]:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, ScalarNode):
                kind = "mapping" if isinstance(key_node, MappingNode) else "list"
                self.problems.append(YamlProblem(line, f"the mapping key on line {line} is itself a {kind}, which graph files cannot hold: write the key as a plain name (the entry was left out)"))
                continue
            key = self.construct_object(key_node)
            if key in lines:
                self.problems.append(YamlProblem(
                    line,
                    f"the key {key_node.value!r} appears twice in the same mapping, on lines {lines[key]} and "
                    f"{line}, but only one may be kept: remove or rename one of them (the one on line "
                    f"{lines[key]} is used)",
                ))
                continue
            lines[key] = line
            own.append((key_node, value_node))
        node.value[merged:] = own

    def construct_mapping(self, node: Any, deep: bool = False) -> dict:
        """Its own keys first, then merged keys it does not write (of a merge list, the earlier
        mapping wins)."""
        self.flatten_mapping(node)
        merged = len(getattr(node, "merge", None) or [])
        mapping = {self.construct_object(k): self.construct_object(v, deep=deep) for k, v in node.value[merged:]}
        extra: dict = {}
        for key_node, value_node in node.value[:merged]:  # later pairs win: they come from earlier mappings
            key = self.construct_object(key_node)
            if key not in mapping:
                extra[key] = self.construct_object(value_node, deep=deep)
        return {**mapping, **extra}


class _CopyingConstructor(_Constructor):
    """For a text with aliases: a new object at each use of a node, so that an alias gives a
    copy, never its anchor's object, and editing one place of the data never changes another."""

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        self.constructed_objects.pop(node, None)
        return super().construct_object(node, deep)


class _RoundTripConstructor(RoundTripConstructor):
    """ruamel's round-trip constructor, with timestamps left as text as graph files read them."""


# A bare '<<' or '=' as a value is text; '<<' as a key is a merge (flatten_mapping sees it).
for _tag in ("merge", "value", "timestamp"):
    _Constructor.add_constructor(_YAML_TAG + _tag, SafeConstructor.construct_yaml_str)
_RoundTripConstructor.add_constructor(_YAML_TAG + "timestamp", lambda self, node: self.construct_scalar(node))


def round_trip_yaml() -> YAML:
    """ruamel's round-trip reader and writer, set up for graph files."""
    handler = YAML()
    handler.Constructor = _RoundTripConstructor
    handler.allow_duplicate_keys = True  # the first is kept; parse_yaml reports the others
    handler.preserve_quotes = True
    handler.width = 1_000_000  # never fold long text: one value, one line, clean diffs
    handler.indent(mapping=2, sequence=4, offset=2)  # list items indented under their key
    return handler


class LineMap:
    """Maps key paths of ``text`` to 1-based line numbers, read from ruamel's commented tree of
    it (made on the first question: a run without problems never waits for it)."""

    def __init__(self, text: str | None = None) -> None:
        self.text = text
        self._tree: Any = None
        self._read = False

    @property
    def tree(self) -> Any:
        """ruamel's commented tree of the text, with any edits; None when there is none, or when
        ruamel's reader refuses a text libyaml read (a tab inside a plain value): then lines
        are unknown and a save writes the data in the standard layout."""
        if not self._read and self.text is not None:
            self._read = True  # asked once, whatever the answer
            try:
                self._tree = round_trip_yaml().load(self.text)
            except (YAMLError, ValueError, TypeError):
                self._tree = None
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
            if part in (source.lc.data or {}):  # ruamel has no line table for an empty '{}'
                return source.lc.key(part)[0] + 1, source[part]
    elif isinstance(node, CommentedSeq) and isinstance(part, int) and not isinstance(part, bool):
        if part in (node.lc.data or {}):  # an index the list has
            return node.lc.item(part)[0] + 1, node[part]
    return None


@dataclass
class ParsedYaml:
    """The result of :func:`parse_yaml`."""

    data: Any  # plain Python data (dict/list/str/int/float/bool/None); None when fatal
    lines: LineMap
    problems: list[YamlProblem] = field(default_factory=list)
    fatal: bool = False


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
    try:
        try:
            return _read(text, max_nodes, pure=CParser is None)
        except (YAMLError, ValueError, TypeError):
            if CParser is None:
                raise
            # libyaml reads YAML 1.1 and stops at some YAML 1.2, and it words its errors its
            # own way: the pure-Python reader reads such a text, or explains what is wrong.
            return _read(text, max_nodes, pure=True)
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


def _read(text: str, max_nodes: int, *, pure: bool) -> ParsedYaml:
    """``text`` read by libyaml or by ruamel's pure-Python reader, with what was refused or left
    out; raises the errors of the text that it cannot read."""
    handler = YAML(typ="safe", pure=pure)
    handler.Resolver = _Resolver
    # Every alias is written with a '*'; without one, the cheaper constructor.
    handler.Constructor = _CopyingConstructor if "*" in text else _Constructor
    # Measured before anything is composed: the composers recurse per level.
    refused = _measure(handler.parse(text), max_nodes, _Resolver())
    if refused:
        return ParsedYaml(None, LineMap(), refused, True)
    constructor, parser = handler.get_constructor_parser(text)
    try:
        data = constructor.get_single_data()
    finally:
        parser.dispose()
    return ParsedYaml(data, LineMap(None if data is None else text), constructor.problems)


def _fatal(problem: YamlProblem) -> ParsedYaml:
    return ParsedYaml(None, LineMap(), [problem], True)


def _measure(events: Iterable[Any], max_nodes: int, resolver: Any) -> list[YamlProblem]:
    """What must never be built (see the module docstring), found event by event before
    anything is composed: one problem that stops the reading, or every refused tag. The
    expanded size of each anchor is known when it closes, so an alias costs a lookup: the
    billion-laughs document is measured in the time it takes to read it."""
    frames: list[list[Any]] = []  # open collections: [anchor, values before it, deepest level in it]
    sizes: dict[str, tuple[int, int]] = {}  # anchored collection -> (values, depth) once closed
    anchors: dict[str, int] = {}  # anchor -> line where it is defined
    refused: list[YamlProblem] = []  # every refused tag is reported at once
    total = documents = 0
    for event in events:
        if isinstance(event, CollectionEndEvent):
            anchor, before, deepest = frames.pop()
            if frames and deepest > frames[-1][2]:
                frames[-1][2] = deepest
            if anchor is not None:
                sizes[anchor] = (total - before, deepest - len(frames))
        elif isinstance(event, (ScalarEvent, AliasEvent, CollectionStartEvent)):
            count, depth = 1, 1
            if isinstance(event, AliasEvent):
                if any(frame[0] == event.anchor for frame in frames):
                    line = _line(event)
                    return [YamlProblem(line, f"the alias *{event.anchor} on line {line} is inside the anchored value that contains it (starting on line {anchors[event.anchor]}), which would repeat forever: refer to a value defined elsewhere")]
                count, depth = sizes.get(event.anchor, (1, 1))  # a scalar, or undefined: the composer says so
            else:
                if event.tag is not None:
                    refused += _tag_problems(event, resolver)
                if event.anchor is not None:
                    line = _line(event)
                    if event.anchor in anchors:
                        return [YamlProblem(line, f"YAML error: the anchor &{event.anchor} is defined twice, on lines {anchors[event.anchor]} and {line}: give each anchor a different name")]
                    anchors[event.anchor] = line
            level = len(frames) + depth
            if level > MAX_DEPTH:
                return [YamlProblem(_line(event), f"the YAML document is nested more than {MAX_DEPTH} levels deep (counting what aliases expand to): flatten the structure")]
            total += count
            if total > max_nodes:
                return [YamlProblem(_line(event), f"the YAML document expands to more than {max_nodes:,} values (too many nodes, as in an alias bomb, where aliases repeat aliases): write the values out instead of nesting aliases, or split the data into separate files referred to by path")]
            if frames and level > frames[-1][2]:
                frames[-1][2] = level
            if isinstance(event, CollectionStartEvent):
                frames.append([event.anchor, total - 1, level])
        elif isinstance(event, DocumentStartEvent):
            documents += 1
            line = event.end_mark.line + 1  # the '---' line (libyaml starts at a directive)
            if documents > 1:
                return [YamlProblem(line, f"a graph file holds one YAML document, but a second one starts on line {line}: remove the extra '---' line or split the file in two")]
            if event.version not in (None, (1, 2)):
                return [YamlProblem(line, f"the graph file asks for YAML {event.version[0]}.{event.version[1]} on line {line}, but graph files are YAML 1.2: remove the '%YAML' line")]
    return refused


def _tag_problems(event: Any, resolver: Any) -> list[YamlProblem]:
    """What is wrong with the tag of a tagged value, if anything."""
    tag, line = event.tag, _line(event)
    if tag == "!" and isinstance(event, ScalarEvent):
        return []
    short = "!!" + tag[len(_YAML_TAG):] if tag.startswith(_YAML_TAG) else tag
    if isinstance(event, ScalarEvent) and tag in _SCALAR_TAGS:
        resolved = resolver.resolve(ScalarNode, event.value, (True, False))
        if tag in (_YAML_TAG + "str", resolved) or (tag == _YAML_TAG + "float" and resolved == _YAML_TAG + "int"):
            return []
        return [YamlProblem(line, f"the value {event.value!r} on line {line} cannot be read as '{short}': fix the value or remove the tag")]
    if tag == _YAML_TAG + ("map" if isinstance(event, MappingStartEvent) else "seq") and not isinstance(event, ScalarEvent):
        return []
    if tag in _SCALAR_TAGS or tag in (_YAML_TAG + "map", _YAML_TAG + "seq"):
        return [YamlProblem(line, f"the YAML tag '{short}' on line {line} does not fit the value it marks (a list, mapping or single value): remove the tag")]
    return [YamlProblem(line, f"the YAML tag '{short}' on line {line} is not allowed: YAML tags that construct objects are not allowed in graph files, so remove the tag and write the value as plain text, numbers, lists and mappings")]


def _line(event: Any) -> int:
    return event.start_mark.line + 1


def _syntax_problem(error: MarkedYAMLError) -> YamlProblem:
    """The error as one sentence: what, where (and where the part it is in starts), the fix."""
    problem, context, mark = error.problem or str(error).splitlines()[0], error.context or "", error.problem_mark
    hint = next(hint for clue, hint in _SYNTAX_HINTS if clue in f"{context}: {problem}")
    kind = "YAML syntax error" if type(error).__name__ in ("ScannerError", "ParserError") else "YAML error"
    if mark is None:
        return YamlProblem(None, f"{kind}: {problem}: {hint}")
    where = f"(line {mark.line + 1}, column {mark.column + 1})"
    if context and error.context_mark is not None and error.context_mark.line != mark.line:
        where += f" {context} that starts on line {error.context_mark.line + 1}"
    return YamlProblem(mark.line + 1, f"{kind}: {problem} {where}: {hint}")


# What a syntax error's context and problem say -> the fix to suggest (the first that fits).
_SYNTAX_HINTS = (
    ("quoted scalar", "a quoted value is not closed: add the closing quote"),
    ("'\\t'", "YAML indents with spaces, not tabs: replace the tab with spaces"),
    ("undefined alias", "define the anchor (&name) before the alias (*name) that uses it"),
    ("expected ',' or", "close the '[...]' or '{...}' and separate its items with commas"),
    ("mapping values are not allowed", "check indentation and quoting (a value containing ': ' must be quoted)"),
    ("duplicate merge key", "merge several mappings with one key: '<<: [*first, *second]'"),
    ("for merging", "point the merge key '<<' at a mapping or a list of mappings (such as '<<: *defaults')"),
    ("", "check indentation and quoting"),
)
