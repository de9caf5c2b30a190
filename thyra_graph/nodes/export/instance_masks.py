"""export.instance_masks: one black-and-white PNG per object, and an index of them."""

from __future__ import annotations

from pathlib import Path as FsPath

import numpy as np

from thyra_graph.engine.declaration import Output, Param, node
from thyra_graph.nodes.io.paths import OVERWRITE_HELP, OutputFiles
from thyra_graph.types import Files, FrameSeries, Image, Instances

from .classes import ClassTable
from .label_maps import mask_boxes, nonempty
from .png_encoding import BinaryMaskEncoder
from .sources import IMAGE_NAME_PARAM, SOURCE_INPUTS, check_unique, export_items, safe_file_part, warn_empty

INDEX_FILE = "index.json"


@node(
    "export.instance_masks", category="export",
    inputs=list(SOURCE_INPUTS),
    params=[
        Param("path", "out/instances", kind="path", io="write", help="folder to write: {image}_{instance:03d}_{class}.png per object, and index.json"),
        IMAGE_NAME_PARAM,
        Param("overwrite", False, affects_result=False, help=OVERWRITE_HELP),
    ],
    outputs=[Output("path", Files, help="the folder, and every file written")],
)
def instance_masks(instances: Instances | None = None, series: FrameSeries | None = None, image: Image | None = None,
                   *, path: str, image_name: str, overwrite: bool, ctx) -> Files:
    """Write one binary PNG per object (0 = background, 255 = object), full image size.

    Files are named ``{image}_{instance:03d}_{class}.png``, numbering objects from 1 in their
    order (as image.overlay numbers them); ``index.json`` lists each file with its image,
    class, score, label, box (x, y, w, h) and area.

    Example: ``{type: export.instance_masks, inputs: {instances: seg.instances}, params: {path: out/objects}}``
    """
    folder = FsPath(path)
    items = export_items(instances, series, image, image_name)
    table = ClassTable.of(items)
    check_unique([item.stem for item in items], what="masks named")
    plan = []  # (item, object index, number, target)
    empty = 0
    for item in items:
        boxes = mask_boxes(item.instances)
        empty += int((~nonempty(boxes)).sum())
        for index in np.flatnonzero(nonempty(boxes)):
            klass = table[int(item.instances.class_ids[index])]
            name = f"{item.stem}_{index + 1:03d}_{safe_file_part(klass.name)}.png"
            plan.append((item, int(index), folder / name))
    out = OutputFiles(folder, overwrite=overwrite, what="instance mask")
    out.claim([target for _, _, target in plan] + [folder / INDEX_FILE])
    warn_empty(ctx, empty)
    records = []
    encoders: dict[tuple[int, int], BinaryMaskEncoder] = {}
    for done, (item, index, target) in enumerate(plan):
        if done % 64 == 0:
            ctx.progress(done, len(plan))
        height, width = item.shape
        encoder = encoders.get((width, height)) or encoders.setdefault((width, height), BinaryMaskEncoder(width, height))
        y0, y1, x0, x1 = (int(v) for v in mask_boxes(item.instances)[index])
        crop = item.instances.masks[index, y0:y1, x0:x1]
        out.write_bytes(target, encoder.encode(crop, y0, x0))
        records.append(_record(item, index, target.name, table, (x0, y0, x1 - x0, y1 - y0), int(crop.sum())))
    out.write_json(folder / INDEX_FILE, {
        "format": "one 8-bit PNG per object: 0 = background, 255 = object; bbox is [x, y, width, height]",
        "classes": table.to_json(background=False),
        "masks": records,
    }, indent=1)
    ctx.progress(len(plan), len(plan))
    return Files(str(folder), out.commit())


def _record(item, index: int, file_name: str, table: ClassTable, bbox: tuple[int, int, int, int], area: int) -> dict:
    instances = item.instances
    klass = table[int(instances.class_ids[index])]
    record = {
        "file": file_name, "image": item.file_name, "instance": index + 1,
        "class_id": klass.id, "class": klass.name, "score": round(float(instances.scores[index]), 6),
        "bbox": list(bbox), "area": area,
    }
    if instances.labels and instances.labels[index]:
        record["label"] = instances.labels[index]
    if item.frame is not None:
        record["frame_index"] = item.frame
    if item.time is not None:
        record["timestamp"] = round(item.time, 6)
    return record
