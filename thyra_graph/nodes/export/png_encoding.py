"""PNG files from arrays: grey (8/16-bit), RGB, indexed colour, and fast binary masks.

Full images go through OpenCV's libpng. A binary mask of one object is encoded here from its
bounding box alone: PNG compresses rows with zlib, and a zlib stream may be assembled from
independently compressed pieces, so the all-black rows above and below the object come from
a cache of pre-compressed pieces and only the object's band of rows is compressed. A 4K mask
of a small object then costs about a millisecond instead of compressing 8 MB of zeros.
"""

from __future__ import annotations

import functools
import struct
import zlib

import numpy as np

from thyra_graph.engine.declaration import NodeError

SIGNATURE = b"\x89PNG\r\n\x1a\n"
_ADLER_MOD = 65521
# Masks and label maps are long runs of one value: zlib's run-length strategy compresses them
# smaller than the default strategy, several times faster (the level does not matter to it).
_LEVEL, _STRATEGY = 9, zlib.Z_RLE


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _header(width: int, height: int, bit_depth: int, color_type: int) -> bytes:
    return SIGNATURE + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0))


def encode_with_opencv(array: np.ndarray) -> bytes:
    """A grey (H×W uint8/uint16) or colour (H×W×3 uint8, **BGR**) array as PNG bytes."""
    import cv2

    ok, encoded = cv2.imencode(".png", np.ascontiguousarray(array))
    if not ok:
        raise NodeError(f"OpenCV could not encode a {array.dtype} array of shape {array.shape} as PNG")
    return encoded.tobytes()


def encode_gray(label_map: np.ndarray) -> bytes:
    """An 8- or 16-bit single-channel PNG holding the values as they are."""
    if label_map.dtype not in (np.uint8, np.uint16):
        raise ValueError(f"grey PNGs hold uint8 or uint16, got {label_map.dtype}")
    return encode_with_opencv(label_map)


def encode_rgb(rgb: np.ndarray) -> bytes:
    """An 8-bit RGB PNG from an H×W×3 uint8 RGB array."""
    return encode_with_opencv(rgb[:, :, ::-1])


def encode_indexed(indices: np.ndarray, palette: np.ndarray) -> bytes:
    """An 8-bit indexed-colour PNG: pixel values stay ``indices``, viewers show ``palette``."""
    if indices.dtype != np.uint8 or indices.ndim != 2:
        raise ValueError("indexed PNGs hold an H×W uint8 array")
    palette = np.asarray(palette, dtype=np.uint8).reshape(-1, 3)[:256]
    height, width = indices.shape
    rows = np.zeros((height, width + 1), dtype=np.uint8)  # filter byte 0 (none) before each row
    rows[:, 1:] = indices
    return (_header(width, height, 8, 3) + _chunk(b"PLTE", palette.tobytes())
            + _chunk(b"IDAT", _compress(rows.tobytes())) + _chunk(b"IEND", b""))


class BinaryMaskEncoder:
    """8-bit grey PNGs (0 = background, 255 = object) of W×H masks, encoded from their boxes."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = int(width), int(height)
        self._row_bytes = self.width + 1  # filter byte + pixels
        self._head = _header(self.width, self.height, 8, 0)

    def encode(self, crop: np.ndarray, y0: int, x0: int) -> bytes:
        """The PNG of a mask that is ``crop`` (bool, h×w) at row ``y0``, column ``x0`` and empty elsewhere."""
        h, w = crop.shape
        band = np.zeros((h, self._row_bytes), dtype=np.uint8)
        band[:, 1 + x0:1 + x0 + w] = crop.view(np.uint8) * np.uint8(255)
        band_bytes = band.tobytes()
        below = self.height - y0 - h
        pieces = [*self._zero_rows(y0), _deflate_piece(band_bytes), *self._zero_rows(below), _FINAL_BLOCK]
        adler = _adler_of_zeros(1, y0 * self._row_bytes)
        adler = zlib.adler32(band_bytes, adler)
        adler = _adler_of_zeros(adler, below * self._row_bytes)
        stream = _ZLIB_HEADER + b"".join(pieces) + struct.pack(">I", adler)
        return self._head + _chunk(b"IDAT", stream) + _chunk(b"IEND", b"")

    def _zero_rows(self, count: int) -> list[bytes]:
        """Compressed pieces for ``count`` all-black rows: one cached piece per set bit of count."""
        pieces, power = [], 0
        while count:
            if count & 1:
                pieces.append(_zero_rows_piece(self._row_bytes, power))
            count >>= 1
            power += 1
        return pieces


# zlib header for deflate with a 32 KiB window (0x78) and the "default level" flag, chosen so
# that the 16-bit header is a multiple of 31 as RFC 1950 requires.
_ZLIB_HEADER = b"\x78\x9c"
# The last deflate block: empty, fixed Huffman, BFINAL set (what a finished stream ends with).
_FINAL_BLOCK = b"\x03\x00"


def _compress(data: bytes) -> bytes:
    """A complete zlib stream of ``data``."""
    compressor = zlib.compressobj(_LEVEL, zlib.DEFLATED, 15, 9, _STRATEGY)
    return compressor.compress(data) + compressor.flush()


def _deflate_piece(data: bytes) -> bytes:
    """Raw deflate blocks for ``data`` that may be followed by other pieces: a fresh compressor
    (no reference to earlier data) ended by a sync flush (byte-aligned, not final)."""
    compressor = zlib.compressobj(_LEVEL, zlib.DEFLATED, -15, 9, _STRATEGY)
    return compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)


@functools.lru_cache(maxsize=256)
def _zero_rows_piece(row_bytes: int, power: int) -> bytes:
    compressor = zlib.compressobj(_LEVEL, zlib.DEFLATED, -15, 9, _STRATEGY)
    remaining = row_bytes << power
    block = bytes(min(remaining, 1 << 20))  # fed in blocks: no frame-sized buffer of zeros
    pieces = []
    while remaining:
        step = min(remaining, len(block))
        pieces.append(compressor.compress(block[:step] if step < len(block) else block))
        remaining -= step
    pieces.append(compressor.flush(zlib.Z_SYNC_FLUSH))
    return b"".join(pieces)


def _adler_of_zeros(adler: int, count: int) -> int:
    """Adler-32 continued over ``count`` zero bytes, without making them (A stays, B grows by count·A)."""
    a, b = adler & 0xFFFF, adler >> 16
    return (((b + count * a) % _ADLER_MOD) << 16) | a
