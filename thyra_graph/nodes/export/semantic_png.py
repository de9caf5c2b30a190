"""export.semantic_png: one PNG per image whose pixels are class ids, and the class map."""

from __future__ import annotations

from pathlib import Path as FsPath

import numpy as np

from thyra_graph.engine.declaration import Input, NodeError, Output, Param, node
from thyra_graph.nodes.io.paths import OVERWRITE_HELP, OutputFiles
from thyra_graph.types import Files, FrameSeries, Image, Instances

from .classes import ClassTable, ExportClass, class_color
from .label_maps import mask_boxes, nonempty, paint
from .png_encoding import encode_gray, encode_indexed
from .sources import (
    DEFAULT_IMAGE_NAME, IMAGE_NAME_PARAM, SOURCE_INPUTS, ExportItem, check_image_name, check_unique, export_items,
    warn_empty,
)

CLASS_MAP_FILE = "classes.json"
LIMITS = {8: 255, 16: 65535}


@node(
    "export.semantic_png", title="Semantic PNG", category="export",
    inputs=[*SOURCE_INPUTS,
            Input("class_map", Image, required=False, help="instead of objects: a grey uint8 image whose pixel values are class ids")],
    params=[
        Param("path", "out/semantic", kind="path", io="write", help="folder to write: {image}.png per image, and classes.json"),
        IMAGE_NAME_PARAM,
        Param("bit_depth", 8, choices=(8, 16), help="8: class ids up to 255 (what most tools read); 16: up to 65535"),
        Param("palette_png", False, help="also write {image}_palette.png for viewing: the same ids as an indexed PNG shown in class colours"),
        Param("overwrite", False, affects_result=False, help=OVERWRITE_HELP),
    ],
    outputs=[Output("path", Files, help="the folder, and every file written")],
)
def semantic_png(instances: Instances | None = None, series: FrameSeries | None = None, image: Image | None = None,
                 class_map: Image | None = None, *, path: str, image_name: str, bit_depth: int, palette_png: bool,
                 overwrite: bool, ctx) -> Files:
    """Write semantic masks: an 8-bit PNG per image, each pixel its class id (0 = background).

    ``classes.json`` maps each id to its name and colour, and lists which mask belongs to which
    image. Where objects overlap, the higher score wins the pixel (equal scores: the object
    listed first). Class id 0 (unclassified objects) is written as 1, see the export notes.

    Example: ``{type: export.semantic_png, inputs: {instances: seg.instances, image: load.image},
    params: {path: out/semantic}}``
    """
    folder = FsPath(path)
    if palette_png and bit_depth != 8:
        raise NodeError("palette_png needs bit_depth 8: an indexed PNG has at most 256 colours")
    if class_map is not None:
        items, maps, table = _from_class_map(class_map, instances, series, image, image_name)
    else:
        items = export_items(instances, series, image, image_name)
        table = ClassTable.of(items)
        maps = None
    limit = LIMITS[bit_depth]
    if table.max_id > limit:
        raise NodeError(
            f"class id {table.max_id} ({len(table)} classes) does not fit a {bit_depth}-bit PNG, which holds ids up to "
            f"{limit}: " + ("set bit_depth: 16 (ids up to 65535), or " if bit_depth == 8 else "")
            + "renumber the classes with instances.remap")
    check_unique([item.stem for item in items], what="the mask")
    targets = [folder / f"{item.stem}.png" for item in items]
    palettes = [folder / f"{item.stem}_palette.png" for item in items] if palette_png else []
    out = OutputFiles(folder, overwrite=overwrite, what="semantic mask")
    out.claim([*targets, *palettes, folder / CLASS_MAP_FILE])
    dtype = np.uint8 if bit_depth == 8 else np.uint16
    palette = np.array([class_color(i) for i in range(256)], dtype=np.uint8)
    empty = 0
    for index, (item, target) in enumerate(zip(items, targets)):
        ctx.progress(index, len(items))
        if maps is not None:
            label_map = maps[index].astype(dtype)
        else:
            boxes = mask_boxes(item.instances)
            empty += int((~nonempty(boxes)).sum())
            label_map = paint(item.instances, table.export_ids(item.instances.class_ids), dtype=dtype, boxes=boxes)
        out.write_bytes(target, encode_gray(label_map))
        if palette_png:
            out.write_bytes(palettes[index], encode_indexed(label_map, palette))
    warn_empty(ctx, empty)
    out.write_json(folder / CLASS_MAP_FILE, {
        "format": "semantic PNG: each pixel holds its class id, 0 = background",
        "bit_depth": bit_depth,
        "overlap": "where objects overlap the higher score wins (equal scores: the first object)",
        "classes": table.to_json(background=True),
        "masks": [_entry(item, target.name) for item, target in zip(items, targets)],
    }, indent=1)
    ctx.progress(len(items), len(items))
    return Files(str(folder), out.commit())


def _entry(item, mask_name: str) -> dict:
    entry = {"mask": mask_name, "image": item.file_name}
    if item.frame is not None:
        entry["frame_index"] = item.frame
    if item.time is not None:
        entry["timestamp"] = round(item.time, 6)
    return entry


def _from_class_map(class_map: Image, instances, series, image, image_name: str):
    if instances is not None or series is not None:
        raise NodeError("connect either objects (instances or series) or a class_map, not both")
    data = class_map.data
    if data.dtype != np.uint8:
        raise NodeError(f"the class_map must hold uint8 class ids, got {data.dtype}: a float image is not a map of ids")
    if data.ndim == 3:
        if not all(np.array_equal(data[:, :, 0], data[:, :, c]) for c in range(1, data.shape[2])):
            raise NodeError("the class_map has colour channels that differ: it must be a grey image of class ids "
                            "(a colour-coded map needs its colours turned into ids first)")
        data = data[:, :, 0]
    name = image_name or (FsPath(str(image.meta["path"])).name if image is not None and image.meta.get("path")
                          else FsPath(str(class_map.meta.get("path", DEFAULT_IMAGE_NAME))).name)
    height, width = data.shape
    item = ExportItem(Instances.empty(height, width), check_image_name(name))
    ids = [int(i) for i in np.unique(data) if i != 0]
    table = ClassTable([ExportClass(i, i, f"class_{i}", class_color(i)) for i in ids])
    return [item], [data], table
