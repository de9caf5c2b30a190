"""The fast reader: plain graph files read by libyaml, as plain data, without comments or lines.

Most graph files use no anchors, tags or merge keys. For them, the round-trip reader's
pure-Python scanner was what a run waited for (about 7 times slower than libyaml on a 2,000-node
file). :func:`read_plain` reads such a file with ruamel's C parser (``ruamel.yaml.clib``) and a
strict constructor. It answers :data:`NOT_PLAIN` for anything else: an anchor, alias, tag, merge
key, duplicate key, non-scalar key, second document, ``%YAML`` directive, a value or depth past
the bounds, any syntax error, or a missing C extension. :func:`~thyra_graph.engine.yamlfile.parse_yaml`
then reads the text with the round-trip reader, which explains every problem with its line.
Where both answer, they agree: a test holds the two readers to the same data.

>>> read_plain("nodes:\\n  blur: {type: image.blur, params: {sigma: 2}}\\n", max_nodes=100)
{'nodes': {'blur': {'type': 'image.blur', 'params': {'sigma': 2}}}}
>>> read_plain("a: &x 1\\nb: *x\\n", max_nodes=100) is NOT_PLAIN
True
"""

from __future__ import annotations

from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.constructor import SafeConstructor
from ruamel.yaml.error import YAMLError
from ruamel.yaml.events import (
    AliasEvent, CollectionEndEvent, CollectionStartEvent, DocumentStartEvent, ScalarEvent,
)
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.resolver import VersionedResolver

try:
    from _ruamel_yaml import CParser  # ruamel.yaml.clib
except ImportError:  # pragma: no cover - the constraints install it; without it every file takes the slow path
    CParser = None

NOT_PLAIN = object()  # the answer for a text the round-trip reader must read


class _NotPlain(Exception):
    pass


class _Resolver(VersionedResolver):
    # Graph files are YAML 1.2 (a %YAML directive goes to the round-trip reader). Answering the
    # version directly saves ruamel's per-scalar lookup of it, a third of the construction time.
    @property
    def processing_version(self) -> Any:
        return (1, 2)


class _Constructor(SafeConstructor):
    """The standard types (the events hold no tags, so only implicit ones reach it); timestamps
    stay text, as in the round-trip reader."""

    def check_mapping_key(self, node: Any, key_node: Any, mapping: Any, key: Any, value: Any) -> bool:
        if key in mapping or not isinstance(key_node, ScalarNode):
            raise _NotPlain
        return True


_Constructor.add_constructor("tag:yaml.org,2002:timestamp", SafeConstructor.construct_yaml_str)


def read_plain(text: str, *, max_nodes: int, max_depth: int = 100) -> Any:
    """``text`` as plain data when it is a plain single document, else :data:`NOT_PLAIN`."""
    if CParser is None:
        return NOT_PLAIN
    handler = YAML(typ="safe", pure=False)
    handler.Resolver = _Resolver
    handler.Constructor = _Constructor
    try:
        # Measured before anything is composed: the composer recurses per level.
        if not _plain_events(handler.parse(text), max_nodes, max_depth):
            return NOT_PLAIN
        return handler.load(text)
    except (_NotPlain, YAMLError, ValueError, TypeError, RecursionError):
        return NOT_PLAIN


def _plain_events(events: Any, max_nodes: int, max_depth: int) -> bool:
    values = depth = documents = 0
    for event in events:
        if isinstance(event, ScalarEvent):
            values += 1
            if event.anchor is not None or event.tag is not None or (event.implicit[0] and event.value in ("<<", "=")):
                return False
        elif isinstance(event, CollectionStartEvent):
            values += 1
            depth += 1
            if depth > max_depth or event.anchor is not None or event.tag is not None:
                return False
        elif isinstance(event, CollectionEndEvent):
            depth -= 1
        elif isinstance(event, AliasEvent):
            return False
        elif isinstance(event, DocumentStartEvent):
            documents += 1
            if documents > 1 or event.version is not None or event.tags:
                return False
        if values > max_nodes:
            return False
    return True
