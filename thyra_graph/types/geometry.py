"""3D geometry: PointCloud, Mesh and Cameras (world units, right-handed, y down like OpenCV)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from .base import PortType, array_summary, as_array, check_array


def _float32(value: Any) -> Any:
    # Reconstruction models return float64 (or float16); float32 is the documented form.
    # Only floats are converted: anything else is left for validate() to name.
    if isinstance(value, np.ndarray) and value.dtype.kind == "f" and value.dtype != np.float32:
        return value.astype(np.float32)
    return value


def _check_finite(array: np.ndarray, name: str) -> None:
    if not np.isfinite(array).all():
        raise ValueError(f"{name} contains NaN or infinite values; drop invalid entries first "
                         f"(e.g. keep = np.isfinite(points).all(axis=1))")


def _check_rows(array: np.ndarray | None, n: int, name: str, owner: str) -> None:
    if array is not None and len(array) != n:
        raise ValueError(f"{owner} has {n} rows but {len(array)} {name}; give one per row or none")


@dataclass(eq=False)
class PointCloud(PortType):
    """N 3D points (float32), with optional per-point RGB colours (uint8), unit normals and
    a confidence (float32, higher = surer)."""

    points: np.ndarray
    colors: np.ndarray | None = None
    normals: np.ndarray | None = None
    confidence: np.ndarray | None = None

    type_name: ClassVar[str] = "PointCloud"
    color: ClassVar[tuple[int, int, int]] = (90, 200, 160)
    doc: ClassVar[str] = "N 3D points with optional colours, normals and confidence"

    def __post_init__(self) -> None:
        self.points = _float32(self.points)
        self.normals = _float32(self.normals)
        self.confidence = _float32(self.confidence)

    @classmethod
    def coerce(cls, value: Any) -> "PointCloud":
        if isinstance(value, PointCloud):
            return value
        return cls(as_array(value, name="PointCloud points"))

    def __len__(self) -> int:
        return len(self.points)

    def validate(self) -> None:
        points = check_array(self.points, name="PointCloud.points", shape=("N", 3), dtype=np.float32)
        _check_finite(points, "PointCloud.points")
        n = len(points)
        if self.colors is not None:
            colors = check_array(self.colors, name="PointCloud.colors", shape=("N", 3))
            if colors.dtype != np.uint8:
                raise ValueError(f"PointCloud.colors must be uint8 RGB (0-255), got {colors.dtype}; "
                                 "convert 0-1 floats with (colors * 255).round().astype(np.uint8)")
            _check_rows(colors, n, "colors", "PointCloud")
        if self.normals is not None:
            _check_rows(check_array(self.normals, name="PointCloud.normals", shape=("N", 3), dtype=np.float32),
                        n, "normals", "PointCloud")
        if self.confidence is not None:
            _check_rows(check_array(self.confidence, name="PointCloud.confidence", shape=("N",), dtype=np.float32),
                        n, "confidence values", "PointCloud")

    def nbytes(self) -> int:
        extras = sum(a.nbytes for a in (self.colors, self.normals, self.confidence) if a is not None)
        return int(self.points.nbytes + extras) + 64

    def to_record(self):
        arrays = {"points": self.points}
        for name in ("colors", "normals", "confidence"):
            if getattr(self, name) is not None:
                arrays[name] = getattr(self, name)
        return {}, arrays

    @classmethod
    def from_record(cls, meta, arrays):
        return cls(arrays["points"], arrays.get("colors"), arrays.get("normals"), arrays.get("confidence"))

    def summary(self) -> Any:
        summary: dict[str, Any] = {"count": len(self), "points": array_summary(self.points)}
        summary["has"] = [name for name in ("colors", "normals", "confidence") if getattr(self, name) is not None]
        if len(self.points):
            summary["bounds"] = [self.points.min(axis=0).round(4).tolist(), self.points.max(axis=0).round(4).tolist()]
        return summary


@dataclass(eq=False)
class Mesh(PortType):
    """A triangle mesh: V×3 float32 vertices, F×3 int32 faces (vertex indices, counter-clockwise
    seen from outside) and optional V×3 uint8 vertex colours."""

    vertices: np.ndarray
    faces: np.ndarray
    vertex_colors: np.ndarray | None = None

    type_name: ClassVar[str] = "Mesh"
    color: ClassVar[tuple[int, int, int]] = (60, 170, 130)
    doc: ClassVar[str] = "a triangle mesh (vertices, faces, optional vertex colours)"

    def __post_init__(self) -> None:
        self.vertices = _float32(self.vertices)
        # Integer faces from any library (int64 from numpy, uint32 from trimesh/open3d) become
        # int32 when the indices fit; floats are refused by validate rather than rounded.
        faces, limits = self.faces, np.iinfo(np.int32)
        if (isinstance(faces, np.ndarray) and faces.dtype.kind in "iu" and faces.dtype != np.int32
                and (faces.size == 0 or (faces.min() >= limits.min and faces.max() <= limits.max))):
            self.faces = faces.astype(np.int32)

    @classmethod
    def coerce(cls, value: Any) -> "Mesh":
        if isinstance(value, Mesh):
            return value
        if isinstance(value, tuple) and len(value) == 2:
            return cls(as_array(value[0], name="Mesh vertices"), as_array(value[1], name="Mesh faces"))
        raise TypeError(f"expected a Mesh or a (vertices, faces) tuple of arrays, got {type(value).__name__}")

    def validate(self) -> None:
        vertices = check_array(self.vertices, name="Mesh.vertices", shape=("V", 3), dtype=np.float32)
        _check_finite(vertices, "Mesh.vertices")
        faces = check_array(self.faces, name="Mesh.faces", shape=("F", 3), dtype=np.int32)
        outside = faces[(faces < 0) | (faces >= len(vertices))]
        if len(outside):
            raise ValueError(f"Mesh.faces refer to vertex {int(outside[0])} but the mesh has "
                             f"{len(vertices)} vertices (valid indices 0 to {len(vertices) - 1})")
        if self.vertex_colors is not None:
            colors = check_array(self.vertex_colors, name="Mesh.vertex_colors", shape=("V", 3), dtype=np.uint8)
            _check_rows(colors, len(vertices), "vertex colours", "Mesh (vertices)")

    def nbytes(self) -> int:
        colors = 0 if self.vertex_colors is None else self.vertex_colors.nbytes
        return int(self.vertices.nbytes + self.faces.nbytes + colors) + 64

    def to_record(self):
        arrays = {"vertices": self.vertices, "faces": self.faces}
        if self.vertex_colors is not None:
            arrays["vertex_colors"] = self.vertex_colors
        return {}, arrays

    @classmethod
    def from_record(cls, meta, arrays):
        return cls(arrays["vertices"], arrays["faces"], arrays.get("vertex_colors"))

    def summary(self) -> Any:
        return {"vertices": len(self.vertices), "faces": len(self.faces),
                "colored": self.vertex_colors is not None}


@dataclass(eq=False)
class Cameras(PortType):
    """N pinhole cameras: 3×3 intrinsics K, world-to-camera extrinsics [R|t] (3×4, or 4×4
    with a last row 0 0 0 1), the image size (width, height) in pixels and optional names
    (such as the frame each camera saw)."""

    intrinsics: np.ndarray
    extrinsics: np.ndarray
    image_size: tuple[int, int]
    names: list[str] = field(default_factory=list)

    type_name: ClassVar[str] = "Cameras"
    color: ClassVar[tuple[int, int, int]] = (200, 180, 90)
    doc: ClassVar[str] = "N pinhole cameras (intrinsics, world-to-camera extrinsics, image size)"

    def __post_init__(self) -> None:
        # Camera maths wants float64 (poses far from the origin lose millimetres in float32).
        for name in ("intrinsics", "extrinsics"):
            value = getattr(self, name)
            if isinstance(value, np.ndarray) and value.dtype.kind == "f" and value.dtype != np.float64:
                setattr(self, name, value.astype(np.float64))
        if isinstance(self.image_size, (list, tuple, np.ndarray)):
            self.image_size = tuple(int(v) for v in self.image_size)
        self.names = list(self.names)

    def __len__(self) -> int:
        return len(self.intrinsics)

    @property
    def rotations(self) -> np.ndarray:
        """N×3×3 world-to-camera rotations."""
        return self.extrinsics[:, :3, :3]

    @property
    def translations(self) -> np.ndarray:
        """N×3 world-to-camera translations."""
        return self.extrinsics[:, :3, 3]

    def centers(self) -> np.ndarray:
        """N×3 camera centres in world coordinates (C = -Rᵀ t)."""
        return -np.einsum("nji,nj->ni", self.rotations, self.translations)

    def validate(self) -> None:
        intrinsics = check_array(self.intrinsics, name="Cameras.intrinsics", shape=("N", 3, 3), kind="f")
        extrinsics = as_array(self.extrinsics, name="Cameras.extrinsics")
        if extrinsics.ndim != 3 or extrinsics.shape[1:] not in ((3, 4), (4, 4)):
            raise ValueError(f"Cameras.extrinsics must be N×3×4 or N×4×4 world-to-camera matrices, got shape {extrinsics.shape}")
        if extrinsics.dtype.kind != "f":
            raise ValueError(f"Cameras.extrinsics must be a float array, got {extrinsics.dtype}")
        if len(extrinsics) != len(intrinsics):
            raise ValueError(f"Cameras has {len(intrinsics)} intrinsics but {len(extrinsics)} extrinsics")
        for name, array in (("intrinsics", intrinsics), ("extrinsics", extrinsics)):
            if not np.isfinite(array).all():
                raise ValueError(f"Cameras.{name} contains NaN or infinite values")
        if extrinsics.shape[1] == 4 and not np.allclose(extrinsics[:, 3], [0.0, 0.0, 0.0, 1.0]):
            raise ValueError("Cameras.extrinsics given as 4×4 must have a last row of 0 0 0 1")
        size = self.image_size
        if not (isinstance(size, tuple) and len(size) == 2 and all(isinstance(v, int) and v > 0 for v in size)):
            raise ValueError(f"Cameras.image_size must be (width, height) in pixels, two positive ints; got {size!r}")
        if self.names and len(self.names) != len(intrinsics):
            raise ValueError(f"Cameras has {len(intrinsics)} cameras but {len(self.names)} names")
        if not all(isinstance(name, str) for name in self.names):
            raise ValueError("Cameras.names must be strings")

    def nbytes(self) -> int:
        return int(self.intrinsics.nbytes + self.extrinsics.nbytes) + 32 * len(self.names) + 64

    def to_record(self):
        meta = {"image_size": list(self.image_size), "names": list(self.names)}
        return meta, {"intrinsics": self.intrinsics, "extrinsics": self.extrinsics}

    @classmethod
    def from_record(cls, meta, arrays):
        return cls(arrays["intrinsics"], arrays["extrinsics"], tuple(meta["image_size"]), list(meta.get("names", [])))

    def summary(self) -> Any:
        return {"count": len(self), "image_size": list(self.image_size),
                "extrinsics": array_summary(self.extrinsics)}
