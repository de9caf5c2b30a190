"""Port types: the values that flow along edges. Plain data; no Qt, no torch at import.

A connection is legal when the output type is the input type, a declared subtype of it
(Python subclassing), or the input accepts ``Any``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from .annotations import Boxes, Instances, Points
from .base import PortType
from .density import DensityMap
from .density_model import DensityModel
from .field import Field
from .field_sequence import FieldSequence
from .geometry import Cameras, Mesh, PointCloud
from .image import Image, Mask
from .scalar import Any, Files, Number, Path, Text
from .series import FrameSeries
from .table import Table
from .video import Video, VideoDecodeError

# One subtype relation only: Files (what a multi-file sink wrote) is a Path, its main folder or
# index file. Otherwise none is a faithful stand-in for another (a DensityMap is not an RGB
# Image, a Mesh is not a PointCloud), so every connection needs the exact type.
ALL_TYPES: tuple[type[PortType], ...] = (
    Any, Number, Text, Path, Files, Image, Mask, Points, Boxes, Instances, DensityMap, DensityModel, Video,
    FrameSeries, PointCloud, Mesh, Cameras, Field, FieldSequence, Table,
)

_BY_NAME: dict[str, type[PortType]] = {t.type_name: t for t in ALL_TYPES}
# The type table of the registry a value is being decoded for (set by ``port_types``), so a
# container's item type (FrameSeries of a plugin type) resolves like the container itself.
_TABLE: ContextVar[Callable[[str], type[PortType]] | None] = ContextVar("thyra_port_types", default=None)


class UnknownPortType(KeyError):
    """No port type of this name is known here (a typo, or a plugin that is not loaded)."""


def builtin_type(name: str) -> type[PortType]:
    """The built-in port type called ``name``; :class:`UnknownPortType` for any other name."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise UnknownPortType(f"unknown port type {name!r}; known: {', '.join(sorted(_BY_NAME))}") from None


def type_by_name(name: str) -> type[PortType]:
    """The port type called ``name`` (as written in declarations and error messages).

    Built-in types, or inside :func:`port_types` the types of that table (plugins' included).
    """
    table = _TABLE.get()
    return table(name) if table is not None else builtin_type(name)


@contextmanager
def port_types(table: Callable[[str], type[PortType]]) -> Iterator[None]:
    """Within the block, :func:`type_by_name` looks names up in ``table`` (a registry's)."""
    token = _TABLE.set(None if table is type_by_name else table)  # itself: would recurse
    try:
        yield
    finally:
        _TABLE.reset(token)


def type_names() -> list[str]:
    return sorted(_BY_NAME)


def is_compatible(output: type[PortType], input: type[PortType]) -> bool:
    """Whether an output of type ``output`` may feed an input of type ``input``."""
    return input is Any or output is input or issubclass(output, input)


__all__ = [
    "PortType", "ALL_TYPES", "type_by_name", "builtin_type", "port_types", "UnknownPortType", "type_names",
    "is_compatible",
    "Any", "Number", "Text", "Path", "Files", "Image", "Mask", "Points", "Boxes", "Instances",
    "DensityMap", "DensityModel", "Video", "VideoDecodeError", "FrameSeries", "PointCloud", "Mesh", "Cameras",
    "Field", "FieldSequence", "Table",
]
