"""Table: named columns of equal length (per-object measurements, per-frame counts)."""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path as FsPath
from typing import Any, ClassVar, Iterator, Mapping, Sequence

import numpy as np

from .base import PortType

Column = np.ndarray | list[str]

_NUMERIC_KINDS = "biuf"  # bool, int, unsigned, float: what NPZ and CSV both carry faithfully


def _as_column(values: Any) -> Any:
    """Canonical column form: text as list[str], everything else as a 1-D ndarray."""
    if isinstance(values, np.ndarray):
        # numpy string arrays become lists so a text column has exactly one form.
        return values.tolist() if values.dtype.kind == "U" else values
    if isinstance(values, (list, tuple)):
        if values and all(isinstance(v, str) for v in values):
            return list(values)
        if any(isinstance(v, str) for v in values):
            return list(values)  # mixed: left for validate() to name
        return np.asarray(values)
    return values


@dataclass(eq=False)
class Table(PortType):
    """Ordered named columns of equal length: each a 1-D numeric numpy array or a list of str.

    Example: ``Table({"label": ["bird", "cat"], "area": np.array([120, 48])})``.
    """

    columns: dict[str, Column]

    type_name: ClassVar[str] = "Table"
    color: ClassVar[tuple[int, int, int]] = (180, 180, 120)
    doc: ClassVar[str] = "named columns of equal length (numbers or text)"

    def __post_init__(self) -> None:
        self.columns = {name: _as_column(values) for name, values in dict(self.columns).items()}

    @classmethod
    def coerce(cls, value: Any) -> "Table":
        if isinstance(value, Table):
            return value
        if isinstance(value, Mapping):
            return cls(dict(value))
        if isinstance(value, (list, tuple)) and all(isinstance(row, Mapping) for row in value):
            return cls.from_rows(value)
        raise TypeError(f"expected a Table, a dict of columns or a list of row dicts, got {type(value).__name__}")

    @classmethod
    def from_rows(cls, rows: Sequence[Mapping[str, Any]]) -> "Table":
        """A table from row dicts; columns in first-seen order, every row must have every column."""
        names: list[str] = []
        for row in rows:
            names.extend(name for name in row if name not in names)
        for i, row in enumerate(rows):
            missing = [name for name in names if name not in row]
            if missing:
                raise ValueError(f"Table row {i} has no value for column(s) {', '.join(map(repr, missing))}")
        return cls({name: [row[name] for row in rows] for name in names})

    @property
    def names(self) -> list[str]:
        return list(self.columns)

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0

    def __getitem__(self, name: str) -> Column:
        try:
            return self.columns[name]
        except KeyError:
            raise KeyError(f"Table has no column {name!r}; its columns are {', '.join(self.columns) or 'none'}") from None

    def rows(self) -> Iterator[dict[str, Any]]:
        """Each row as a dict of plain Python values (str, int, float, bool)."""
        columns = [(name, values.tolist() if isinstance(values, np.ndarray) else values)
                   for name, values in self.columns.items()]
        for i in range(len(self)):
            yield {name: values[i] for name, values in columns}

    def to_csv(self, path: str | os.PathLike[str]) -> FsPath:
        """Write the table as UTF-8 CSV with a header row; returns the path written."""
        path = FsPath(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(self.names)
            for row in self.rows():
                writer.writerow(row.values())
        return path

    def validate(self) -> None:
        length = None
        for name, values in self.columns.items():
            if not isinstance(name, str) or not name:
                raise ValueError(f"Table column names must be non-empty strings, got {name!r}")
            if isinstance(values, list):
                bad = next((v for v in values if not isinstance(v, str)), None)
                if bad is not None:
                    raise ValueError(f"Table column {name!r} mixes text with {type(bad).__name__} values; "
                                     "a column is either all str or a numeric array")
            elif isinstance(values, np.ndarray):
                if values.ndim != 1:
                    raise ValueError(f"Table column {name!r} must be 1-D, got shape {values.shape}")
                if values.dtype.kind not in _NUMERIC_KINDS:
                    raise ValueError(f"Table column {name!r} has dtype {values.dtype}; columns hold numbers "
                                     "(bool, int, float) or text (a list of str)")
            else:
                raise TypeError(f"Table column {name!r} must be a numpy array or a list of str, "
                                f"got {type(values).__name__}")
            if length is None:
                length, first = len(values), name
            elif len(values) != length:
                raise ValueError(f"Table column {name!r} has {len(values)} rows but column {first!r} has {length}; "
                                 "all columns must have the same length")

    def nbytes(self) -> int:
        total = 64
        for values in self.columns.values():
            if isinstance(values, np.ndarray):
                total += int(values.nbytes)
            else:
                total += sum(len(v.encode("utf-8")) + 8 for v in values)
        return total

    def to_record(self):
        # Text goes to the JSON metadata, numbers to NPZ; arrays are keyed by position so column
        # names may hold any character.
        specs: list[dict[str, Any]] = []
        arrays: dict[str, np.ndarray] = {}
        for i, (name, values) in enumerate(self.columns.items()):
            if isinstance(values, np.ndarray):
                specs.append({"name": name, "kind": "array"})
                arrays[f"col{i}"] = values
            else:
                specs.append({"name": name, "kind": "text", "values": list(values)})
        return {"columns": specs}, arrays

    @classmethod
    def from_record(cls, meta, arrays):
        columns: dict[str, Column] = {}
        for i, spec in enumerate(meta["columns"]):
            columns[spec["name"]] = arrays[f"col{i}"] if spec["kind"] == "array" else list(spec["values"])
        return cls(columns)

    def summary(self) -> Any:
        return {"columns": self.names, "rows": len(self)}
