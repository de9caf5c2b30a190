"""Builders of hostile input files: small on disk, huge (or deep) once read.

Each writes its file without ever holding the decoded size in memory, so tests and
benchmarks can make a 30000×30000 image in a fraction of a second and a few hundred KB.
"""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path

BOMB_SIDE = 30000  # 30000×30000 = 900 Mpx: 2.7 GB as the RGB array io.load_image returns


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_bomb(path: Path, side: int = BOMB_SIDE) -> Path:
    """A valid 1-bit grey PNG of side×side black pixels (~110 KB for 30000)."""
    row = b"\0" * (1 + (side + 7) // 8)  # filter byte + packed bits
    compressor = zlib.compressobj(9)
    rows = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", rows)
                     + _png_chunk(b"IEND", b""))
    return path


def tiff_bomb(path: Path, side: int = BOMB_SIDE) -> Path:
    """A valid 1-bit TIFF of side×side black pixels in one Deflate strip (~110 KB for 30000)."""
    row = b"\0" * ((side + 7) // 8)
    compressor = zlib.compressobj(9)
    strip = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    entries = [  # (tag, type SHORT=3/LONG=4, value), sorted by tag as TIFF requires
        (256, 4, side), (257, 4, side), (258, 3, 1), (259, 3, 8), (262, 3, 1),
        (273, 4, 0), (277, 3, 1), (278, 4, side), (279, 4, len(strip)),
    ]
    ifd_size = 2 + 12 * len(entries) + 4
    data_offset = 8 + ifd_size
    ifd = struct.pack("<H", len(entries))
    for tag, kind, value in entries:
        value = data_offset if tag == 273 else value
        packed = struct.pack("<HH", value, 0) if kind == 3 else struct.pack("<I", value)
        ifd += struct.pack("<HHI", tag, kind, 1) + packed
    ifd += struct.pack("<I", 0)
    path.write_bytes(b"II*\0" + struct.pack("<I", 8) + ifd + strip)
    return path


def jpeg_bomb(path: Path, side: int = BOMB_SIDE) -> Path:
    """A tiny real JPEG whose frame header (SOF0) is rewritten to claim side×side pixels.

    Decoders allocate the claimed size and fill what the data does not cover.
    """
    import cv2
    import numpy as np

    ok, encoded = cv2.imencode(".jpg", np.zeros((16, 16, 3), np.uint8))
    assert ok
    data = bytearray(encoded.tobytes())
    sof = data.index(b"\xff\xc0")
    data[sof + 5:sof + 9] = struct.pack(">HH", side, side)  # after marker, length, precision
    path.write_bytes(bytes(data))
    return path


def y4m_bomb(path: Path, side: int = 15000) -> Path:
    """A raw YUV4MPEG2 video whose header declares side×side frames (15000² = 225 Mpx).

    FFmpeg itself refuses frames over ~268 Mpx, so the default side stays just under that.
    """
    header = f"YUV4MPEG2 W{side} H{side} F25:1 Ip A1:1 C420jpeg\n".encode()
    path.write_bytes(header + b"FRAME\n" + b"\0" * 4096)
    return path


def nested_json(path: Path, depth: int, *, inside: str = "images") -> Path:
    """A COCO-shaped JSON file whose ``inside`` list nests ``depth`` levels deep."""
    path.write_text('{"%s": ' % inside + "[" * depth + "]" * depth + ', "annotations": []}', encoding="utf-8")
    return path


def coco_file(path: Path, images: list[dict], annotations: list[dict] | None = None) -> Path:
    """A COCO instances file with the given image entries (and annotations)."""
    document = {"images": images, "annotations": annotations or [], "categories": [{"id": 1, "name": "thing"}]}
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


REPO = Path(__file__).resolve().parents[2]

# VmHWM where there is /proc: ru_maxrss of a forked-then-exec'd child starts at the parent's RSS.
_REPORT_PEAK = """
import resource as _resource, sys as _sys
try:
    _hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM:")][0]
    _peak_mb = int(_hwm.split()[1]) / 1024
except (OSError, IndexError):
    _peak_mb = _resource.getrusage(_resource.RUSAGE_SELF).ru_maxrss / (1024 * 1024 if _sys.platform == "darwin" else 1024)
print("PEAK_MB", _peak_mb, file=_sys.stderr)
"""


def refused_in_fresh_process(call: str, env: dict[str, str] | None = None) -> tuple[str, float]:
    """Run ``call`` (Python that should raise NodeError) in a new interpreter.

    Returns the NodeError's message and the interpreter's peak resident memory in MB, so a
    test can show that a refused bomb never allocated its decoded size. Fails if ``call``
    succeeds or raises anything but NodeError.
    """
    import os
    import subprocess
    import sys

    code = ("from thyra_graph.engine.declaration import NodeError\n"
            "try:\n" + "".join(f"    {line}\n" for line in call.strip().splitlines())
            + "    print('NOT REFUSED')\n"
            "except NodeError as exc:\n    print('REFUSED', exc)\n" + _REPORT_PEAK)
    environment = dict(os.environ, **(env or {}))
    environment["PYTHONPATH"] = os.pathsep.join([str(REPO), environment.get("PYTHONPATH", "")])
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=environment, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("REFUSED "), done.stdout + done.stderr
    peak = float(done.stderr.rsplit("PEAK_MB", 1)[1].split()[0])
    return done.stdout[len("REFUSED "):].strip(), peak
