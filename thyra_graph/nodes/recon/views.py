"""The views a reconstruction works on: image files from a folder or glob, or a FrameSeries.

SfM and MVS accept either form; both end up as one folder of image files with stable names
(COLMAP reads files, and camera names are the file names), all of one size.
"""

from __future__ import annotations

import glob as globbing
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from thyra_graph.engine.declaration import NodeError
from thyra_graph.types import FrameSeries, Image

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp")
# More views than this is a mistake (a whole video without sampling), not a reconstruction.
MAX_VIEWS = 5000


@dataclass
class Views:
    """Image files under ``folder`` named ``names`` (relative paths, '/'-separated), all
    ``size`` = (width, height) pixels."""

    folder: Path
    names: list[str]
    size: tuple[int, int]

    def path(self, index: int) -> Path:
        return self.folder / self.names[index]

    def read(self, index: int) -> np.ndarray:
        """View ``index`` as H×W×3 RGB uint8."""
        import cv2

        data = cv2.imdecode(np.fromfile(str(self.path(index)), dtype=np.uint8), cv2.IMREAD_COLOR)
        if data is None:
            raise NodeError(f"cannot decode image {self.path(index)}; is it a PNG/JPEG/TIFF file?")
        return cv2.cvtColor(data, cv2.COLOR_BGR2RGB)


def views_from_param(images: str, *, param: str = "images") -> Views:
    """The image files a folder or a glob pattern (already resolved to an absolute path) names."""
    pattern = Path(images)
    if pattern.is_dir():
        folder, files = pattern, sorted(p for p in pattern.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    else:
        folder = Path(images.split("*")[0].split("?")[0].split("[")[0])
        folder = folder if folder.is_dir() else folder.parent
        files = sorted(Path(p) for p in globbing.glob(images, recursive=True)
                       if Path(p).suffix.lower() in IMAGE_SUFFIXES and Path(p).is_file())
    if not files:
        raise NodeError(f"param {param}: no image files (PNG, JPEG, TIFF, BMP, WebP) at {images}; give a "
                        "folder of photos or a glob such as views/*.jpg (relative to the graph file)")
    if len(files) > MAX_VIEWS:
        raise NodeError(f"param {param}: {len(files)} images at {images}, more than {MAX_VIEWS}; sample the "
                        "video or photo set first (io.sample_frames)")
    names = [p.relative_to(folder).as_posix() for p in files]
    return Views(folder, names, _common_size([folder / n for n in names], param))


def views_from_frames(frames: FrameSeries, folder: Path, *, input: str = "frames") -> Views:
    """Write a FrameSeries of Images into ``folder`` as PNG files (lossless: features and
    stereo see exactly the frames) named by each image's ``name`` meta or its frame index."""
    import cv2

    if frames.item_type is not Image:
        raise NodeError(f"input {input}: expected a FrameSeries of Image, got one of {frames.item_type.type_name}")
    if not len(frames):
        raise NodeError(f"input {input}: the FrameSeries is empty; a reconstruction needs at least two views")
    folder.mkdir(parents=True, exist_ok=True)
    names, sizes = [], set()
    for frame, _time, image in frames:
        name = str(image.meta.get("name") or f"frame_{frame:06d}.png")
        name = Path(name).name if Path(name).suffix.lower() in (".png",) else f"{Path(name).name}.png"
        if name in names:
            name = f"frame_{frame:06d}.png"
        data = image.data if image.data.ndim == 3 else np.repeat(image.data[..., None], 3, axis=2)
        sizes.add((data.shape[1], data.shape[0]))
        cv2.imwrite(str(folder / name), cv2.cvtColor(np.ascontiguousarray(data[..., :3]), cv2.COLOR_RGB2BGR))
        names.append(name)
    if len(sizes) > 1:
        raise NodeError(f"input {input}: the frames have different sizes ({', '.join(f'{w}×{h}' for w, h in sorted(sizes))}); "
                        "one camera model needs one size: resize them to one size first (image.resize)")
    return Views(folder, names, sizes.pop())


def _common_size(files: list[Path], param: str) -> tuple[int, int]:
    import cv2

    sizes: dict[tuple[int, int], str] = {}
    for file in files:
        data = cv2.imdecode(np.fromfile(str(file), dtype=np.uint8), cv2.IMREAD_GRAYSCALE)
        if data is None:
            raise NodeError(f"param {param}: cannot decode image {file}; is it a PNG/JPEG/TIFF file?")
        sizes.setdefault((data.shape[1], data.shape[0]), file.name)
    if len(sizes) > 1:
        listing = ", ".join(f"{w}×{h} ({name})" for (w, h), name in sorted(sizes.items()))
        raise NodeError(f"param {param}: the images have different sizes: {listing}; one camera model "
                        "needs one size: resize them to one size first")
    return next(iter(sizes))
