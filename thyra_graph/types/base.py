"""The contract every port type fulfils: validate, size, safe record, summary.

A port value is a small dataclass. The engine moves values between nodes without looking
inside them; it only asks a value for:

- ``validate()``: raise ``TypeError``/``ValueError`` with a readable message when malformed;
- ``nbytes()``: the memory it holds (the memory cache is bounded in bytes);
- ``to_record()`` / ``from_record()``: a safe serialisation as JSON-friendly metadata plus
  named NumPy arrays (the disk cache stores these as JSON + NPZ, never pickle);
- ``summary()``: a short JSON-friendly description for ``thyra run --json`` and logs;
- ``files()``: paths on disk the value stands for (a sink's written files are checked by the
  cache: a sink is cached only while its files are unchanged).

Node code may return plain values (an ndarray for an Image, an int for a Number); the
engine turns them into the declared type with ``coerce``.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

import numpy as np

Record = tuple[dict[str, Any], dict[str, np.ndarray]]


class PortType:
    """Base class of all port types. Subclasses are dataclasses."""

    #: Name used in declarations, graph files, error messages and the editor.
    type_name: ClassVar[str] = "Any"
    #: Colour hint (RGB) the editor uses for ports of this type.
    color: ClassVar[tuple[int, int, int]] = (160, 160, 160)
    #: One line shown in ``thyra nodes`` and as a tooltip on ports.
    doc: ClassVar[str] = ""

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def coerce(cls, value: Any) -> "PortType":
        """Turn a node's return value into this type (or raise ``TypeError``)."""
        if isinstance(value, cls):
            return value
        raise TypeError(f"expected {cls.type_name}, got {type(value).__name__}")

    # -- the contract ------------------------------------------------------------------------
    def validate(self) -> None:
        """Raise ``TypeError`` or ``ValueError`` naming what is wrong."""

    def nbytes(self) -> int:
        return 64

    def to_record(self) -> Record:
        raise NotImplementedError(f"{self.type_name} values cannot be stored")

    @classmethod
    def from_record(cls, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> "PortType":
        raise NotImplementedError(f"{cls.type_name} values cannot be stored")

    def summary(self) -> Any:
        return self.type_name

    def files(self) -> list[str]:
        return []

    @classmethod
    def storable(cls) -> bool:
        """Whether values of this type have a safe on-disk record."""
        return cls.to_record is not PortType.to_record


def array_summary(array: np.ndarray) -> dict[str, Any]:
    """How ``--json`` shows an array: by shape and dtype, never by content."""
    return {"shape": list(array.shape), "dtype": str(array.dtype)}


def as_array(value: Any, *, name: str) -> np.ndarray:
    """Check that ``value`` is an ndarray; a shared helper for ``coerce`` implementations."""
    if not isinstance(value, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, got {type(value).__name__}")
    return value


def check_json(value: Any, *, name: str) -> None:
    """Raise ``ValueError`` unless ``value`` survives JSON (records keep metadata as JSON)."""
    try:
        json.dumps(value, allow_nan=True)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{name} must hold only JSON-friendly values (numbers, strings, lists, dicts with "
            f"string keys) so it can be cached; {exc}. Convert numpy values with .item() or "
            ".tolist() and paths with str()") from None


_KIND_WORDS = {"f": "a float array", "iu": "an integer array", "b": "a bool array", "u": "an unsigned integer array"}


def check_array(value: Any, *, name: str, shape: tuple[int | str, ...],
                dtype: Any = None, kind: str = "") -> np.ndarray:
    """Shared shape/dtype check for ``validate``, raising a message that names the field.

    ``shape`` is a pattern: ints must match exactly, strings (``"N"``, ``"H"``) match any
    length and only name the axis in the message. ``dtype`` demands an exact dtype; ``kind``
    allows a family (``"f"`` floats, ``"iu"`` integers, ``"b"`` bool).
    """
    array = as_array(value, name=name)
    if array.ndim != len(shape) or any(isinstance(want, int) and got != want for got, want in zip(array.shape, shape)):
        pattern = "×".join(str(axis) for axis in shape) if len(shape) > 1 else f"{shape[0]} (1-D)"
        raise ValueError(f"{name} must have shape {pattern}, got shape {array.shape}")
    if dtype is not None and array.dtype != np.dtype(dtype):
        raise ValueError(f"{name} must be {np.dtype(dtype)}, got {array.dtype} (convert with .astype(np.{np.dtype(dtype)}))")
    if kind and array.dtype.kind not in kind:
        raise ValueError(f"{name} must be {_KIND_WORDS.get(kind, 'of kind ' + kind)}, got {array.dtype}")
    return array
