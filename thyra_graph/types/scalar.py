"""Small values: Any, Number, Text, Path, and Files (what a sink wrote)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path as _FsPath
from typing import Any as _Any, ClassVar

import numpy as np

from .base import PortType


class Any(PortType):
    """Accepts every value; used for inputs that pass values through untouched."""

    type_name: ClassVar[str] = "Any"
    doc: ClassVar[str] = "any value"

    @classmethod
    def coerce(cls, value: _Any) -> PortType:
        if isinstance(value, PortType):
            return value
        raise TypeError(f"an Any output must be a Thyra port value, got {type(value).__name__}")


@dataclass(eq=True)
class Number(PortType):
    """A single int or float (a count, an area, a score)."""

    value: int | float
    unit: str = ""

    type_name: ClassVar[str] = "Number"
    color: ClassVar[tuple[int, int, int]] = (230, 200, 60)
    doc: ClassVar[str] = "a single number (count, area, score)"

    @classmethod
    def coerce(cls, value: _Any) -> "Number":
        if isinstance(value, Number):
            return value
        if isinstance(value, (bool, np.bool_)):
            return cls(int(value))
        if isinstance(value, (int, np.integer)):
            return cls(int(value))
        if isinstance(value, (float, np.floating)):
            return cls(float(value))
        raise TypeError(f"expected a Number (int or float), got {type(value).__name__}")

    def __post_init__(self) -> None:
        # numpy scalars (np.int64 from .sum(), np.float32 from a model) are not JSON; keep the
        # Python equivalent so the record stays JSON-safe. np.bool_ is left for validate.
        if isinstance(self.value, (np.integer, np.floating)):
            self.value = self.value.item()

    def validate(self) -> None:
        if not isinstance(self.value, (int, float)) or isinstance(self.value, bool):
            raise TypeError(f"Number.value must be int or float, got {type(self.value).__name__}")

    def to_record(self):
        return {"value": self.value, "unit": self.unit}, {}

    @classmethod
    def from_record(cls, meta, arrays):
        return cls(meta["value"], meta.get("unit", ""))

    def summary(self) -> _Any:
        return self.value

    def __int__(self) -> int:
        return int(self.value)

    def __float__(self) -> float:
        return float(self.value)


@dataclass(eq=True)
class Text(PortType):
    """A string: a label, a description, a report."""

    text: str

    type_name: ClassVar[str] = "Text"
    color: ClassVar[tuple[int, int, int]] = (200, 200, 200)
    doc: ClassVar[str] = "a piece of text"

    @classmethod
    def coerce(cls, value: _Any) -> "Text":
        if isinstance(value, Text):
            return value
        if isinstance(value, str):
            return cls(value)
        raise TypeError(f"expected Text (str), got {type(value).__name__}")

    def validate(self) -> None:
        if not isinstance(self.text, str):
            raise TypeError("Text.text must be a str")

    def nbytes(self) -> int:
        return 64 + len(self.text.encode("utf-8"))

    def to_record(self):
        return {"text": self.text}, {}

    @classmethod
    def from_record(cls, meta, arrays):
        return cls(meta["text"])

    def summary(self) -> _Any:
        return self.text if len(self.text) <= 200 else self.text[:197] + "..."


@dataclass(eq=True)
class Path(PortType):
    """A file or folder on disk; sinks output the paths they wrote."""

    path: str

    type_name: ClassVar[str] = "Path"
    color: ClassVar[tuple[int, int, int]] = (150, 120, 90)
    doc: ClassVar[str] = "a file or folder on disk"

    @classmethod
    def coerce(cls, value: _Any) -> "Path":
        if isinstance(value, Path):
            return value
        if isinstance(value, (str, os.PathLike)):
            return cls(os.fspath(value))
        raise TypeError(f"expected a Path (str or pathlib.Path), got {type(value).__name__}")

    def validate(self) -> None:
        if not isinstance(self.path, str) or not self.path:
            raise ValueError("Path.path must be a non-empty string")

    def to_record(self):
        return {"path": self.path}, {}

    @classmethod
    def from_record(cls, meta, arrays):
        return cls(meta["path"])

    def summary(self) -> _Any:
        return {"path": self.path}

    def files(self) -> list[str]:
        return [self.path]

    def as_path(self) -> _FsPath:
        return _FsPath(self.path)


@dataclass(eq=True)
class Files(Path):
    """What a sink wrote when it writes several files: the main path (an output folder or an
    index file) and every file written, so deleting any one of them makes the sink run again."""

    written: list[str] = field(default_factory=list)

    type_name: ClassVar[str] = "Files"
    color: ClassVar[tuple[int, int, int]] = (170, 135, 95)
    doc: ClassVar[str] = "the files a sink wrote: a folder or index file plus every file in it"

    @classmethod
    def coerce(cls, value: _Any) -> "Files":
        if isinstance(value, Files):
            return value
        raise TypeError(f"expected Files (a main path and the list of files written), got {type(value).__name__}")

    def __post_init__(self) -> None:
        self.written = [os.fspath(p) for p in self.written]

    def validate(self) -> None:
        super().validate()
        if not all(isinstance(p, str) and p for p in self.written):
            raise ValueError("Files.written must be a list of non-empty path strings")

    def nbytes(self) -> int:
        return 64 + len(self.path) + sum(len(p) + 8 for p in self.written)

    def to_record(self):
        return {"path": self.path, "written": list(self.written)}, {}

    @classmethod
    def from_record(cls, meta, arrays):
        return cls(meta["path"], list(meta.get("written", [])))

    def summary(self) -> _Any:
        return {"path": self.path, "files": len(self.written)}

    def files(self) -> list[str]:
        # Only the files: a folder's mtime changes whenever anything in it does (another
        # sink writing beside this one), which would make this sink look stale for nothing.
        return list(self.written)
