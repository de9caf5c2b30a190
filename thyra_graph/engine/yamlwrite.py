"""Writing graph files: new data in the readable layout, and a file as read with edits applied.

:func:`dump_yaml` writes a graph made from scratch. :class:`YamlDocument` writes back a file that
was read, changing only the lines of what was edited: comments, blank lines, key order, flow or
block style, quoting and hand alignment of the rest survive (``git diff`` shows the edit).
"""

from __future__ import annotations

import io
import re
import threading
from difflib import SequenceMatcher
from typing import Any, Iterator

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.reader import Reader
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString

from .yamlfile import LineMap, round_trip_yaml

# A flat collection is written on one line when its flow form is at most this long.
_FLOW_WIDTH = 60
# Mappings this shallow are always block style: the top level, its sections (nodes, ui) and
# each node's body, so that every node and every setting gets its own diffable line.
_BLOCK_MAPPING_DEPTH = 2
_LINE_BREAKS = re.compile("[\r\x85\u2028\u2029]")


def dump_yaml(data: Any) -> str:
    """Write plain data as the YAML of a graph file: the same data always gives the same text.

    Keys keep their order. The top level, its sections and each node's body are block style;
    short flat lists and mappings below them (``[0, 0]``, ``{path: coins.png}``) stay on one
    line; multi-line text is a literal block; strings that would read as another type are
    quoted. Tuples are written as lists. Anything but str, int, float, bool, None, list, tuple
    and dict raises TypeError; data that contains itself raises ValueError.
    """
    return _dump(_styled(data, 0, set()))


def _dump(document: Any) -> str:
    stream = io.StringIO()
    _writer().dump(document, stream)
    return stream.getvalue()


_writers = threading.local()


def _writer() -> YAML:
    """This thread's writer: building one costs more than writing a short line with it."""
    if not hasattr(_writers, "yaml"):
        _writers.yaml = round_trip_yaml()
    return _writers.yaml


def _styled(value: Any, depth: int, path: set[int]) -> Any:
    """``value`` as ruamel's tree with the layout choices of graph files (see dump_yaml)."""
    if isinstance(value, (dict, list, tuple)):
        if id(value) in path:
            raise ValueError("cannot write data that contains itself to a graph file")
        inner = path | {id(value)}
        if isinstance(value, dict):
            styled: Any = CommentedMap((_styled(k, depth + 1, inner), _styled(v, depth + 1, inner)) for k, v in value.items())
            flow = not value or (depth > _BLOCK_MAPPING_DEPTH and _fits_one_line(styled))
        else:
            styled = CommentedSeq(_styled(v, depth + 1, inner) for v in value)
            flow = not value or (depth > 0 and _fits_one_line(styled))
        if flow:
            styled.fa.set_flow_style()
        else:
            styled.fa.set_block_style()
        return styled
    if isinstance(value, str):
        # A block scalar would normalise these line breaks and cannot hold unprintable
        # characters; double quotes escape both.
        if _LINE_BREAKS.search(value) or Reader.NON_PRINTABLE.search(value):
            return DoubleQuotedScalarString(value)
        return LiteralScalarString(value) if "\n" in value else str(value)
    if value is None or isinstance(value, (bool, int, float)):
        return value
    raise TypeError(f"cannot write a {type(value).__name__} ({value!r:.80}) to a graph file: convert it to plain str, int, float, bool, None, list or dict first")


def _fits_one_line(styled: CommentedMap | CommentedSeq) -> bool:
    parts = [*styled.keys(), *styled.values()] if isinstance(styled, CommentedMap) else list(styled)
    if any(isinstance(part, (CommentedMap, CommentedSeq, LiteralScalarString)) for part in parts):
        return False  # nested collections and block text are written over several lines
    if sum(len(str(part)) + 2 for part in parts if part is not None) > _FLOW_WIDTH:
        return False  # too long however it is written
    styled.fa.set_flow_style()
    return len(_dump(styled).rstrip("\n")) <= _FLOW_WIDTH


def _gone(target: CommentedMap, new: dict) -> list:
    """The keys written in ``target`` that ``new`` no longer has (merged keys live in their anchor)."""
    return [k for k in target if k in target._ok and k not in new]


def renamed(target: CommentedMap, new: dict) -> dict:
    """``{new key: old key}`` when one key written in ``target`` is gone from ``new`` and one
    key of ``new`` is not in ``target``: saving takes that as a rename. Else ``{}``."""
    gone = _gone(target, new)
    added = [k for k in new if k not in target]
    return {added[0]: gone[0]} if len(gone) == len(added) == 1 else {}


def _update_map(target: CommentedMap, new: dict, depth: int) -> None:
    for key, old in renamed(target, new).items():  # keep the body, its comments and place
        position = list(target).index(old)
        comment = target.ca.items.pop(old, None)
        target.insert(position, key, target.pop(old))
        if comment is not None:
            target.ca.items[key] = comment
    for key in _gone(target, new):
        del target[key]
    previous = None
    for key, value in new.items():
        if key not in target:
            position = list(target).index(previous) + 1 if previous in target else 0
            target.insert(position, key, _styled(value, depth + 1, set()))
        elif not _same(target[key], value):
            target[key] = _updated(target[key], value, depth + 1)
        previous = key


def _updated(old: Any, new: Any, depth: int) -> Any:
    shared = getattr(getattr(old, "anchor", None), "value", None) is not None
    if isinstance(old, CommentedMap) and isinstance(new, dict) and not shared:
        _update_map(old, new, depth)
        return old
    if isinstance(old, CommentedSeq) and isinstance(new, (list, tuple)) and len(old) == len(new) and not shared:
        for i, item in enumerate(new):
            if not _same(old[i], item):
                old[i] = _updated(old[i], item, depth + 1)
        return old
    styled = _styled(new, depth, set())
    if isinstance(old, (CommentedMap, CommentedSeq)) and isinstance(styled, (CommentedMap, CommentedSeq)):
        if old.fa.flow_style():  # a list written on one line stays on one line, and so on
            styled.fa.set_flow_style()
        elif old.fa.flow_style() is False:
            styled.fa.set_block_style()
    return styled


def _same(old: Any, new: Any) -> bool:
    """Equal as graph-file values: 2 and 2.0 are the same number, True and 1 are not."""
    return _meaning(old) == _meaning(new)


def _meaning(value: Any) -> Any:
    if isinstance(value, dict):
        return dict, [(key, _meaning(item)) for key, item in value.items()]
    if isinstance(value, (list, tuple)):
        return list, [_meaning(item) for item in value]
    for kind in (bool, (int, float), str):  # bool first: True is an int too
        if isinstance(value, kind):
            return kind, value
    return None, value


class YamlDocument(LineMap):
    """A graph file as read, to be written back with edits: comments and layout kept.

    ruamel keeps comments, order, flow or block style and quoting, but writes its own
    spacing (``key:   {...}`` aligned by hand becomes ``key: {...}``). So the edited tree is
    not written as is: the lines that differ between ruamel's rendering of the file as read
    and of the edited tree are patched into the original text, and every other line keeps its
    bytes. An unedited document gives back exactly the text it was read from. As a
    :class:`LineMap`, it reads its ``tree`` from the text on first use (a run never needs it).
    """

    _rendered: str | None = None  # ruamel's rendering of ``text``, made on the first save

    def update(self, data: dict[str, Any]) -> None:
        """Make the tree hold ``data``, touching only what differs.

        Unchanged values keep their text, comments and style; changed scalars are replaced in
        place; a key that vanished while one appeared at the same level is taken as a rename
        and keeps its body; new keys are written in dump_yaml's layout after their predecessor
        in ``data``. An anchored (shared) value is replaced, never edited, so its aliases keep
        their meaning.
        """
        _update_map(self.tree, data, 0)

    def dumps(self) -> str:
        """The text as read, with the edits made since."""
        if self._rendered is None:
            self._rendered = _dump(round_trip_yaml().load(self.text))
        return _patched(self.text, self._rendered, _dump(self.tree))


def _patched(original: str, before: str, after: str) -> str:
    """``after`` with each line the edit left as it was in ``before`` written as in ``original``.

    ``before`` is ruamel's rendering of ``original``: most lines are equal, some differ in
    spacing or line breaks. A stretch of such lines that an edit touched is written as ruamel
    writes it; every other line of ``original`` keeps its bytes.
    """
    old, base, new = (text.splitlines(keepends=True) for text in (original, before, after))
    kept: dict[int, int] = {}  # base line -> its new line, for the lines no edit touched
    for tag, b1, b2, n1, _ in SequenceMatcher(None, base, new, autojunk=False).get_opcodes():
        if tag == "equal":
            kept.update(zip(range(b1, b2), range(n1, n1 + b2 - b1)))
    pieces, written = [], 0  # written: how many new lines are accounted for
    for b1, b2, o1, o2 in _stretches(base, old):
        targets = [kept.get(b) for b in range(b1, b2)]
        if targets:
            if None in targets or targets[-1] - targets[0] != len(targets) - 1:
                continue  # edited: its new lines are written before the next stretch that is not
            pieces += new[written:targets[0]]
            written = targets[-1] + 1
        pieces += old[o1:o2]
    return "".join(pieces + new[written:])


def _stretches(base: list[str], old: list[str]) -> Iterator[tuple[int, int, int, int]]:
    """Stretches ``base[b1:b2]`` and ``old[o1:o2]`` that stand for each other, in order: one
    line each where the lines pair up one to one."""
    for tag, b1, b2, o1, o2 in SequenceMatcher(None, base, old, autojunk=False).get_opcodes():
        if tag in ("equal", "replace") and b2 - b1 == o2 - o1:
            yield from ((b, b + 1, o1 + b - b1, o1 + b - b1 + 1) for b in range(b1, b2))
        else:
            yield b1, b2, o1, o2
