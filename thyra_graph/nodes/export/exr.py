"""export.exr: soft masks and alpha as 16-bit-float or 32-bit-float OpenEXR files."""

from __future__ import annotations

from pathlib import Path as FsPath

import numpy as np

from thyra_graph.engine.declaration import Input, NodeError, Output, Param, node
from thyra_graph.nodes.io.paths import OVERWRITE_HELP, OutputFiles
from thyra_graph.types import Files, FrameSeries, Image, Instances

from .classes import ClassTable
from .label_maps import mask_boxes
from .sources import (
    DEFAULT_IMAGE_NAME, IMAGE_NAME_PARAM, SOURCE_INPUTS, ExportItem, check_image_name, check_unique, export_items,
    safe_file_part,
)

INSTALL_HINT = "pip install OpenEXR (or pip install 'thyra-graph[exr]')"


@node(
    "export.exr", title="Save EXR masks", category="export",
    inputs=[*SOURCE_INPUTS,
            Input("soft", Image, required=False, help="instead of objects: a soft mask, a grey float image with values 0..1 (e.g. a model's probabilities)")],
    params=[
        Param("path", "out/exr", kind="path", io="write", help="folder to write: {image}.exr per image"),
        IMAGE_NAME_PARAM,
        Param("channels", "alpha", choices=("alpha", "instances"),
              help="alpha: one channel A, 1 on every object; instances: one channel per object, named {instance:03d}_{class}"),
        Param("precision", "half", choices=("half", "float"), help="half: 16-bit float (smaller, what most tools expect); float: 32-bit"),
        Param("feather", 0.0, min=0, max=100, step=0.5, help="soften the edges of hard masks with a blur of this many pixels (0 = hard edges)"),
        Param("overwrite", False, affects_result=False, help=OVERWRITE_HELP),
    ],
    outputs=[Output("path", Files, help="the folder, and every file written")],
    requires=("OpenEXR",),
)
def exr(instances: Instances | None = None, series: FrameSeries | None = None, image: Image | None = None,
        soft: Image | None = None, *, path: str, image_name: str, channels: str, precision: str, feather: float,
        overwrite: bool, ctx) -> Files:
    """Write masks as float EXR images: an alpha channel, or one channel per object.

    For soft weighting (RealityCapture) and compositing; values run from 0 (background) to 1
    (object). Hard masks can be feathered; a ``soft`` input is written as it is. Needs the
    OpenEXR package (``pip install OpenEXR``); without it only this node is unavailable.

    Example: ``{type: export.exr, inputs: {instances: seg.instances, image: load.image},
    params: {path: out/alpha, feather: 2}}``
    """
    try:
        import OpenEXR
    except ImportError:
        raise NodeError(f"export.exr needs the OpenEXR package, which is not installed: {INSTALL_HINT}") from None
    folder = FsPath(path)
    dtype = np.float16 if precision == "half" else np.float32
    if soft is not None:
        items, layers = _soft_source(soft, instances, series, image, image_name, dtype)
    else:
        items = export_items(instances, series, image, image_name)
        table = ClassTable.of(items)
        layers = (_channels(item, table, channels, feather, dtype) for item in items)
    check_unique([item.stem for item in items], what="the EXR")
    targets = [folder / f"{item.stem}.exr" for item in items]
    out = OutputFiles(folder, overwrite=overwrite, what="EXR file")
    out.claim(targets)
    header = {"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage}
    for index, (target, planes) in enumerate(zip(targets, layers)):
        ctx.progress(index, len(targets))
        with out.writing(target) as temporary:
            OpenEXR.File(header, planes).write(str(temporary))
    ctx.progress(len(targets), len(targets))
    return Files(str(folder), out.commit())


def _channels(item: ExportItem, table: ClassTable, layout: str, feather: float, dtype) -> dict[str, np.ndarray]:
    instances = item.instances
    if layout == "alpha":
        alpha = np.zeros(instances.shape, dtype=np.float32)
        boxes = mask_boxes(instances)
        for i, (y0, y1, x0, x1) in enumerate(boxes):
            if y1 > y0:
                alpha[y0:y1, x0:x1][instances.masks[i, y0:y1, x0:x1]] = 1.0
        return {"A": _soften(alpha, feather).astype(dtype)}
    planes = {}
    for i in range(len(instances)):
        name = f"{i + 1:03d}_{safe_file_part(table[int(instances.class_ids[i])].name)}"
        planes[name] = _soften(instances.masks[i].astype(np.float32), feather).astype(dtype)
    if not planes:  # an image without objects still gets a (fully transparent) file
        planes["A"] = np.zeros(instances.shape, dtype=dtype)
    return planes


def _soften(alpha: np.ndarray, feather: float) -> np.ndarray:
    if feather <= 0:
        return alpha
    import cv2

    return np.clip(cv2.GaussianBlur(alpha, (0, 0), sigmaX=feather, sigmaY=feather), 0.0, 1.0)


def _soft_source(soft: Image, instances, series, image, image_name: str, dtype):
    if instances is not None or series is not None:
        raise NodeError("connect either objects (instances or series) or a soft mask, not both")
    data = soft.data
    if data.ndim == 3:
        if data.shape[2] != 1 and not all(np.array_equal(data[:, :, 0], data[:, :, c]) for c in range(1, data.shape[2])):
            raise NodeError("the soft mask has colour channels that differ: connect a grey image (one value per pixel)")
        data = data[:, :, 0]
    values = data.astype(np.float32) / 255.0 if data.dtype == np.uint8 else data.astype(np.float32)
    if values.size and (np.nanmin(values) < 0 or np.nanmax(values) > 1):
        raise NodeError(f"the soft mask holds values from {np.nanmin(values):g} to {np.nanmax(values):g}; "
                        "alpha must run from 0 to 1: scale it first")
    source = image if image is not None else soft
    name = image_name or (FsPath(str(source.meta["path"])).name if source.meta.get("path") else DEFAULT_IMAGE_NAME)
    height, width = values.shape
    return [ExportItem(Instances.empty(height, width), check_image_name(name))], [{"A": values.astype(dtype)}]
