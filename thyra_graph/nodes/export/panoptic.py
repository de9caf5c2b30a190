"""export.panoptic: COCO panoptic PNGs (segment id = R + 256·G + 256²·B) and their JSON."""

from __future__ import annotations

from pathlib import Path as FsPath
from typing import Any

import numpy as np

from thyra_graph.engine.declaration import NodeError, Output, Param, node
from thyra_graph.nodes.instances.class_refs import parse_class_refs
from thyra_graph.nodes.io.paths import OVERWRITE_HELP, OutputFiles
from thyra_graph.types import Files, FrameSeries, Image, Instances

from .classes import ClassTable
from .coco import INFO
from .label_maps import mask_boxes, nonempty, paint
from .png_encoding import encode_rgb
from .sources import IMAGE_NAME_PARAM, SOURCE_INPUTS, ExportItem, check_unique, export_items, warn_empty


@node(
    "export.panoptic", title="COCO panoptic", category="export",
    inputs=list(SOURCE_INPUTS),
    params=[
        Param("path", "out/panoptic.json", kind="path", io="write",
              help="the COCO panoptic JSON; the PNGs go into the folder of the same name without .json"),
        IMAGE_NAME_PARAM,
        Param("stuff_classes", [], kind="json", items="scalar", help="classes that are amorphous 'stuff' (ids or names, e.g. [sky, road]): one segment per image each"),
        Param("overwrite", False, affects_result=False, help=OVERWRITE_HELP),
    ],
    outputs=[Output("path", Files, help="the JSON file, and every file written")],
)
def panoptic(instances: Instances | None = None, series: FrameSeries | None = None, image: Image | None = None,
             *, path: str, image_name: str, stuff_classes: Any, overwrite: bool, ctx) -> Files:
    """Write a COCO panoptic export: a PNG per image and one JSON describing every segment.

    Each pixel's colour encodes its segment id (id = R + 256·G + 256²·B, 0 = unlabeled);
    ``segments_info`` gives each segment's category, area, bbox and iscrowd, and categories
    say ``isthing``. Every object of a thing class is a segment of its own; all objects of a
    stuff class in an image form one segment. Where objects overlap, the higher score wins
    the pixel (equal scores: the object listed first); a segment left with no pixel is dropped.

    Example: ``{type: export.panoptic, inputs: {instances: seg.instances, image: load.image},
    params: {path: out/panoptic.json, stuff_classes: [sky]}}``
    """
    target = FsPath(path)
    if target.suffix.lower() != ".json":
        raise NodeError(f"the panoptic JSON {str(target)!r} should end in .json, e.g. out/panoptic.json "
                        "(its PNGs go into out/panoptic/)")
    folder = target.with_suffix("")
    items = export_items(instances, series, image, image_name)
    table = ClassTable.of(items, stuff=parse_class_refs(stuff_classes, param="stuff_classes"))
    check_unique([item.stem for item in items], what="the panoptic PNG")
    pngs = [folder / f"{item.stem}.png" for item in items]
    out = OutputFiles(target, overwrite=overwrite, what="panoptic file")
    out.claim([*pngs, target])
    images, annotations = [], []
    empty = hidden = 0
    for image_id, (item, png) in enumerate(zip(items, pngs), start=1):
        ctx.progress(image_id - 1, len(items))
        id_map, segments, empties, covered = segment_map(item, table)
        empty += empties
        hidden += covered
        out.write_bytes(png, encode_rgb(id_to_rgb(id_map)))
        images.append(item.coco_image(image_id))
        annotations.append({"image_id": image_id, "file_name": png.name, "segments_info": segments})
    warn_empty(ctx, empty)
    if hidden:
        ctx.warn(f"{hidden} segment(s) were entirely covered by higher-scored objects and were left out")
    categories = [{"id": c.id, "name": c.name, "supercategory": c.name, "isthing": int(c.isthing), "color": list(c.color)}
                  for c in table.classes]
    out.write_json(target, {"info": dict(INFO), "licenses": [], "images": images, "annotations": annotations,
                            "categories": categories})
    ctx.progress(len(items), len(items))
    return Files(str(target), out.commit())


def segment_map(item: ExportItem, table: ClassTable) -> tuple[np.ndarray, list[dict], int, int]:
    """The image's segment-id map, its segments_info, and how many objects were empty or hidden."""
    instances = item.instances
    boxes = mask_boxes(instances)
    present = nonempty(boxes)
    segment_of = np.zeros(len(instances), dtype=np.int64)
    categories: dict[int, int] = {}  # segment id → category id
    stuff_segment: dict[int, int] = {}  # category id → its one segment in this image
    export_ids = table.export_ids(instances.class_ids)
    for index in np.flatnonzero(present):
        klass = table[int(instances.class_ids[index])]
        if klass.isthing:
            segment = len(categories) + 1
        else:
            segment = stuff_segment.setdefault(klass.id, len(categories) + 1)
        segment_of[index] = segment
        categories[segment] = int(export_ids[index])
    id_map = paint(instances, segment_of, dtype=np.int32, boxes=boxes)
    areas = np.bincount(id_map.ravel(), minlength=len(categories) + 1)
    segments, hidden = [], 0
    for segment, category in categories.items():
        if not areas[segment]:
            hidden += 1
            continue
        members = np.flatnonzero(segment_of == segment)
        y0, y1 = boxes[members, 0].min(), boxes[members, 1].max()
        x0, x1 = boxes[members, 2].min(), boxes[members, 3].max()
        region = id_map[y0:y1, x0:x1] == segment
        rows, cols = np.flatnonzero(region.any(axis=1)), np.flatnonzero(region.any(axis=0))
        bbox = [int(x0 + cols[0]), int(y0 + rows[0]), int(cols[-1] - cols[0] + 1), int(rows[-1] - rows[0] + 1)]
        segments.append({"id": segment, "category_id": category, "area": int(areas[segment]), "bbox": bbox, "iscrowd": 0})
    return id_map, segments, int((~present).sum()), hidden


def id_to_rgb(id_map: np.ndarray) -> np.ndarray:
    """Segment ids as COCO panoptic colours: R = id % 256, G = id // 256 % 256, B = id // 256²."""
    ids = id_map.astype(np.uint32)
    return np.stack([ids & 0xFF, (ids >> 8) & 0xFF, (ids >> 16) & 0xFF], axis=-1).astype(np.uint8)


def rgb_to_id(rgb: np.ndarray) -> np.ndarray:
    """The inverse of :func:`id_to_rgb` (panopticapi's ``rgb2id``)."""
    rgb = rgb.astype(np.uint32)
    return rgb[..., 0] + 256 * rgb[..., 1] + 256 * 256 * rgb[..., 2]
