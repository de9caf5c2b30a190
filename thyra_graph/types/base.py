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
