"""Image files in and out: PNG, JPEG, TIFF, BMP, WebP (whatever OpenCV decodes)."""

from __future__ import annotations

from pathlib import Path as FsPath

import numpy as np

from thyra_graph.engine.declaration import Input, NodeError, Output, Param, node
from thyra_graph.types import Image, Path

from .limits import check_image_header
from .paths import OVERWRITE_HELP, OutputFiles, existing_file

WRITABLE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp")


@node(
    "io.load_image", category="io",
    params=[
        Param("path", "image.png", kind="path", io="read", help="the image file to read (PNG, JPEG, TIFF, BMP, WebP)"),
        Param("stretch", "auto", choices=("auto", True, False),
              help="map the darkest..brightest value to 0-255: true, false, or auto (16-bit and float images "
                   "that use under 10 % of their range, which would otherwise load nearly black)"),
        Param("max_pixels", None, kind="int", min=0, optional=True, affects_result=False,
              help="refuse larger images before decoding; empty = $THYRA_MAX_IMAGE_PIXELS or 89.5 million, 0 = no limit"),
    ],
    outputs=[Output("image", Image, help="the image as H×W×3 RGB uint8")],
)
def load_image(*, path: str, stretch: bool | str = "auto", max_pixels: int | None = None, ctx=None) -> Image:
    """Read an image file as 8-bit RGB.

    Grey images are repeated into three channels, an alpha channel is dropped, 16-bit and
    float images are brought to 0-255, and the EXIF orientation of photos is applied. The size
    is read from the file's header first: an image over ``max_pixels`` is refused undecoded.

    Example: ``{type: io.load_image, params: {path: samples/coins.png}}``
    """
    import cv2

    file = existing_file(path, what="image")
    check_image_header(file, max_pixels, param="max_pixels")
    decoded = decode_image_file(file)
    if stretch == "auto":
        stretch = uses_little_range(decoded)
        if stretch and ctx is not None:
            ctx.warn(f"{file.name} is a {decoded.dtype} image that uses only {100 * range_share(decoded):.1f} % of its "
                     "range: stretched its darkest..brightest values to 0-255 (set stretch: false to keep the "
                     "full-range scaling)")
    data = _to_uint8(decoded, stretch=bool(stretch))
    if data.ndim == 2:
        data = np.repeat(data[:, :, None], 3, axis=2)
    else:
        data = cv2.cvtColor(data, cv2.COLOR_BGR2RGB)
    return Image(np.ascontiguousarray(data), {"path": str(file)})


def decode_image_file(file: FsPath) -> np.ndarray:
    """Decode a whole image file with OpenCV (BGR order, any depth); errors name the file.

    Call :func:`~thyra_graph.nodes.io.limits.check_image_header` first: decoding allocates
    whatever size the header claims.
    """
    import cv2

    # np.fromfile + imdecode rather than imread: imread cannot open non-ASCII paths on Windows.
    # ANYDEPTH|ANYCOLOR keeps 16-bit data and applies EXIF orientation (UNCHANGED would not).
    try:
        data = cv2.imdecode(np.fromfile(str(file), dtype=np.uint8), cv2.IMREAD_ANYDEPTH | cv2.IMREAD_ANYCOLOR)
    except cv2.error as exc:
        reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else "OpenCV error"
        raise NodeError(f"{str(file)!r} could not be decoded as an image ({reason}): the file is corrupt, "
                        "truncated or not in a format OpenCV reads (PNG, JPEG, TIFF, BMP, WebP)") from None
    if data is None:
        raise NodeError(
            f"{str(file)!r} could not be decoded as an image: the file is corrupt, truncated or not in a "
            "format OpenCV reads (PNG, JPEG, TIFF, BMP, WebP)")
    return data


# A deep image whose values span less than this share of its type's range is stretched by
# stretch: auto (a 12-bit camera in a 16-bit file spans 6 %: scaled by 65535 it is black).
LITTLE_RANGE = 0.10


def range_share(data: np.ndarray) -> float:
    """The share of its type's range (0-1 for floats) the image's values span."""
    values = data[np.isfinite(data)] if data.dtype.kind == "f" else data
    if values.size == 0:
        return 1.0
    low, high = float(values.min()), float(values.max())
    if data.dtype.kind == "f":
        return (high - low) / 1.0
    return (high - low) / float(np.iinfo(data.dtype).max - np.iinfo(data.dtype).min)


def uses_little_range(data: np.ndarray) -> bool:
    """Whether a 16-bit (or deeper) or float image would load nearly flat without stretching."""
    if data.dtype == np.uint8 or data.dtype == bool:
        return False
    share = range_share(data)
    return 0.0 < share < LITTLE_RANGE


def _to_uint8(data: np.ndarray, *, stretch: bool) -> np.ndarray:
    """Bring any decoded depth to uint8: full-range scaling, or min..max when stretching."""
    if data.dtype == np.uint8 and not stretch:
        return data
    values = data.astype(np.float64)
    if stretch:
        low, high = float(np.nanmin(values)), float(np.nanmax(values))
    elif np.issubdtype(data.dtype, np.floating):
        # Float images are 0..1 by convention; other ranges are stretched rather than clipped flat.
        low, high = (0.0, 1.0) if np.nanmin(values) >= 0 and np.nanmax(values) <= 1 else (
            float(np.nanmin(values)), float(np.nanmax(values)))
    else:
        low, high = 0.0, float(np.iinfo(data.dtype).max)
    scale = 255.0 / (high - low) if high > low else 0.0
    return np.clip(np.nan_to_num((values - low) * scale + 0.5), 0, 255).astype(np.uint8)


@node(
    "io.save_image", category="io",
    inputs=[Input("image", Image)],
    params=[
        Param("path", "out/image.png", kind="path", io="write", help="where to write; the suffix picks the format (.png, .jpg, .tif, ...)"),
        Param("quality", 95, min=1, max=100, help="JPEG/WebP quality (ignored by lossless formats)"),
        Param("overwrite", False, affects_result=False, help=OVERWRITE_HELP),
    ],
    outputs=[Output("path", Path, help="the file written")],
)
def save_image(image: Image, *, path: str, quality: int, overwrite: bool) -> Path:
    """Write an image to a file, creating its folder; the format follows the file suffix.

    Re-running replaces the file this node wrote before; a file of the same name that Thyra
    did not write is left alone (the node fails and says so) unless ``overwrite`` is set.

    Example: ``{type: io.save_image, inputs: {image: overlay.image}, params: {path: out/overlay.png}}``
    """
    import cv2

    target = FsPath(path).expanduser()
    suffix = target.suffix.lower()
    out = OutputFiles(target, overwrite=overwrite, what="image")
    if suffix not in WRITABLE_SUFFIXES:
        raise NodeError(
            f"cannot tell which image format to write for {str(target)!r}: end the path with one of "
            f"{', '.join(WRITABLE_SUFFIXES)}")
    data = image.data
    if np.issubdtype(data.dtype, np.floating) or (data.ndim == 3 and data.shape[2] != 3):
        data = image.as_uint8_rgb()
    if data.ndim == 3:
        data = cv2.cvtColor(data, cv2.COLOR_RGB2BGR)
    options = {".jpg": [cv2.IMWRITE_JPEG_QUALITY, quality], ".jpeg": [cv2.IMWRITE_JPEG_QUALITY, quality],
               ".webp": [cv2.IMWRITE_WEBP_QUALITY, quality]}.get(suffix, [])
    out.claim([target])
    ok, encoded = cv2.imencode(suffix, data, options)
    if not ok:
        raise NodeError(f"OpenCV could not encode the image as {suffix} for {str(target)!r}")
    # Encoded in memory and written by Python: imwrite cannot write non-ASCII paths on Windows.
    out.write_bytes(target, encoded.tobytes())
    out.commit()
    return Path(str(target))
