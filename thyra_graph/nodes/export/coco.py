"""export.coco: a COCO instances file (images, annotations, categories) for training and
evaluation tools (pycocotools, Detectron2, MMDetection, CVAT, Label Studio, FiftyOne)."""

from __future__ import annotations

from pathlib import Path as FsPath
from typing import Any

import numpy as np

from thyra_graph.engine.declaration import NodeError, Output, Param, node
from thyra_graph.nodes.io.limits import load_json_limited
from thyra_graph.nodes.io.paths import OVERWRITE_HELP, OutputFiles
from thyra_graph.types import FrameSeries, Image, Instances, Path

from . import coco_rle
from .classes import ClassTable
from .label_maps import mask_boxes, nonempty
from .sources import IMAGE_NAME_PARAM, SOURCE_INPUTS, ExportItem, export_items, warn_empty

INFO = {"description": "exported by Thyra", "version": "1.0"}


@node(
    "export.coco", title="Save COCO", category="export",
    inputs=list(SOURCE_INPUTS),
    params=[
        Param("path", "out/coco.json", kind="path", io="write", help="the COCO JSON file to write"),
        IMAGE_NAME_PARAM,
        Param("segmentation", "rle", choices=("rle", "polygon"),
              help="rle: exact masks, holes kept (pycocotools RLE); polygon: outlines, editable in annotation tools, holes filled"),
        Param("scores", False, help="add each object's score (for prediction files evaluated with COCOeval)"),
        Param("merge", False, help="add these images to the COCO file already there (images of the same file_name are replaced)"),
        Param("overwrite", False, affects_result=False, help=OVERWRITE_HELP),
    ],
    outputs=[Output("path", Path, help="the COCO file written")],
)
def coco(instances: Instances | None = None, series: FrameSeries | None = None, image: Image | None = None,
         *, path: str, image_name: str, segmentation: str, scores: bool, merge: bool, overwrite: bool, ctx) -> Path:
    """Write objects as a COCO instances JSON: images, annotations and categories.

    Each object is one annotation with its mask (``segmentation``), ``area`` (pixels),
    ``bbox`` [x, y, width, height] and ``iscrowd`` 0. A series writes one COCO image per frame
    with ``frame_index`` and ``timestamp`` (seconds). ``merge`` builds one dataset over several
    images or runs (a graph per image, or several branches writing one file).

    Example: ``{type: export.coco, inputs: {instances: seg.instances, image: load.image},
    params: {path: out/coco.json}}``
    """
    target = FsPath(path)
    if target.suffix.lower() != ".json":
        raise NodeError(f"the COCO file {str(target)!r} should end in .json, e.g. out/coco.json")
    items = export_items(instances, series, image, image_name)
    out = OutputFiles(target, overwrite=overwrite, what="COCO file")
    out.claim([target])
    document = coco_document(items, ClassTable.of(items), segmentation=segmentation, scores=scores, ctx=ctx)
    if merge and target.exists():
        document = merge_documents(_read_existing(target), document)
    out.write_json(target, document)
    out.commit()
    return Path(str(target))


def coco_document(items: list[ExportItem], table: ClassTable, *, segmentation: str = "rle", scores: bool = False,
                  ctx=None) -> dict[str, Any]:
    """The COCO instances document of ``items`` (image and annotation ids count from 1)."""
    images, annotations = [], []
    empty = 0
    for image_id, item in enumerate(items, start=1):
        if ctx is not None:
            ctx.progress(image_id - 1, len(items))
        images.append(item.coco_image(image_id))
        height, width = item.shape
        instances = item.instances
        boxes = mask_boxes(instances)
        empty += int((~nonempty(boxes)).sum())
        category_ids = table.export_ids(instances.class_ids)
        for index in np.flatnonzero(nonempty(boxes)):
            y0, y1, x0, x1 = (int(v) for v in boxes[index])
            crop = instances.masks[index, y0:y1, x0:x1]
            if segmentation == "rle":
                mask = coco_rle.encode(crop, y0, x0, height, width)
            else:
                mask = polygons(crop, y0, x0)
            annotation = {
                "id": len(annotations) + 1, "image_id": image_id, "category_id": int(category_ids[index]),
                "segmentation": mask, "area": int(crop.sum()), "bbox": [x0, y0, x1 - x0, y1 - y0], "iscrowd": 0,
            }
            if scores:
                annotation["score"] = round(float(instances.scores[index]), 6)
            annotations.append(annotation)
    if ctx is not None:
        warn_empty(ctx, empty)
    categories = [{"id": c.id, "name": c.name, "supercategory": c.name} for c in table.classes]
    return {"info": dict(INFO), "licenses": [], "images": images, "annotations": annotations, "categories": categories}


def polygons(crop: np.ndarray, y0: int, x0: int) -> list[list[float]]:
    """The outer outlines of the mask's regions as COCO polygons [x1, y1, x2, y2, ...].

    Outlines run along pixel edges (marching squares at level 0.5, corners cut by half a
    pixel), in COCO's coordinates where pixel (x, y) covers [x, x+1) × [y, y+1), so
    pycocotools draws them back almost exactly; holes cannot be expressed and are filled.
    """
    from skimage import measure

    padded = np.pad(crop, 1).astype(np.uint8)
    result = []
    for contour in measure.find_contours(padded, 0.5):
        contour = measure.approximate_polygon(contour, tolerance=0.01)  # drops only collinear points
        # pixel-centre coordinates of the padded crop → COCO corner coordinates of the image
        xs = contour[:, 1] + (x0 - 1 + 0.5)
        ys = contour[:, 0] + (y0 - 1 + 0.5)
        signed_area = 0.5 * float(np.sum(xs * np.roll(ys, -1) - np.roll(xs, -1) * ys))
        if signed_area <= 0:  # the outline of a hole runs the other way round
            continue
        result.append([round(float(v), 2) for v in np.stack([xs, ys], axis=1)[:-1].ravel()])
    return result


def _read_existing(target: FsPath) -> dict[str, Any]:
    try:
        document = load_json_limited(target, what="COCO")
    except (OSError, NodeError) as exc:
        raise NodeError(f"merge: cannot read the COCO file {str(target)!r} already there ({exc}); "
                        "turn merge off to replace it, or write to another path") from None
    if not isinstance(document, dict) or not all(isinstance(document.get(k), list) for k in ("images", "annotations")):
        raise NodeError(f"merge: {str(target)!r} is not a COCO instances file (no 'images' and 'annotations' lists); "
                        "turn merge off to replace it, or write to another path")
    return document


def merge_documents(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """``old`` with ``new``'s images added; old images of the same file_name are replaced.

    Ids already in ``old`` stay; new images and annotations continue its numbering.
    """
    replaced = {image["file_name"] for image in new["images"]}
    kept_images = [image for image in old["images"] if image.get("file_name") not in replaced]
    kept_ids = {image.get("id") for image in kept_images}
    kept_annotations = [a for a in old["annotations"] if a.get("image_id") in kept_ids]
    categories = {c["id"]: c for c in old.get("categories", []) if isinstance(c, dict) and "id" in c}
    for category in new["categories"]:
        known = categories.get(category["id"])
        if known is not None and known.get("name") != category["name"]:
            raise NodeError(f"merge: category {category['id']} is {known.get('name')!r} in the file already there but "
                            f"{category['name']!r} here; rename or renumber with instances.remap so both agree")
        categories.setdefault(category["id"], category)
    next_image = max([0, *(i.get("id", 0) for i in old["images"] if isinstance(i.get("id"), int))]) + 1
    next_annotation = max([0, *(a.get("id", 0) for a in old["annotations"] if isinstance(a.get("id"), int))]) + 1
    renumber = {}
    for offset, image in enumerate(new["images"]):
        renumber[image["id"]] = next_image + offset
    images = kept_images + [{**image, "id": renumber[image["id"]]} for image in new["images"]]
    annotations = kept_annotations + [
        {**a, "id": next_annotation + offset, "image_id": renumber[a["image_id"]]}
        for offset, a in enumerate(new["annotations"])]
    return {**old, "images": images, "annotations": annotations,
            "categories": [categories[k] for k in sorted(categories)]}
