"""export.depth: a depth map as float32 metres, as .npy (NumPy) or .tiff (32-bit float TIFF)."""

from __future__ import annotations

import io
from pathlib import Path as FsPath

import numpy as np

from thyra_graph.engine.declaration import Input, NodeError, Output, Param, node
from thyra_graph.nodes.io.paths import OVERWRITE_HELP, OutputFiles
from thyra_graph.nodes.recon.depth_views import depth_layer
from thyra_graph.types import Field, Path

SUFFIXES = (".npy", ".tif", ".tiff")


def encode_depth(depth: np.ndarray, suffix: str) -> bytes:
    """The file bytes of an H×W float32 depth map (NaN where unknown) in the suffix's format."""
    depth = np.ascontiguousarray(depth, dtype=np.float32)
    if suffix == ".npy":
        buffer = io.BytesIO()
        np.save(buffer, depth, allow_pickle=False)
        return buffer.getvalue()
    import cv2

    ok, data = cv2.imencode(".tiff", depth)
    if not ok:
        raise NodeError("export.depth: OpenCV could not encode the depth map as a float TIFF")
    return data.tobytes()


@node(
    "export.depth", title="Save depth", category="export",
    inputs=[Input("depth", Field, help="a depth map (layer 'depth'), e.g. from recon.stereo_depth")],
    params=[
        Param("path", "out/depth.tiff", kind="path", io="write", help="the file to write: .npy or .tiff (float32, one value per pixel of the reference view)"),
        Param("overwrite", False, affects_result=False, help=OVERWRITE_HELP),
    ],
    outputs=[Output("path", Path, help="the depth file written")],
)
def depth(depth: Field, *, path: str, overwrite: bool, ctx) -> Path:
    """Write a depth map as float32 (metres for metric depth; NaN where unknown) to .npy or .tiff.

    Example: ``{type: export.depth, inputs: {depth: stereo.depth}, params: {path: out/depth.tiff}}``
    """
    target = FsPath(path)
    suffix = target.suffix.lower()
    if suffix not in SUFFIXES:
        raise NodeError(f"export.depth: the file {str(target)!r} should end in .npy or .tiff, e.g. out/depth.tiff")
    array, units = depth_layer(depth, "export.depth: the input")
    if units != "metres":
        ctx.warn(f"the depth's units are {units!r}, not metres: the file holds them as they are")
    out = OutputFiles(target, overwrite=overwrite, what="depth file")
    out.claim([target])
    out.write_bytes(target, encode_depth(array, suffix))
    out.commit()
    return Path(str(target))
