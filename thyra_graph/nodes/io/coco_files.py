"""Reading COCO instances files back into objects, to review or edit exported annotations."""

from __future__ import annotations

from pathlib import Path as FsPath
from typing import Any

import numpy as np

from thyra_graph.engine.declaration import NodeError, Output, Param, node
from thyra_graph.types import Image, Instances

from .limits import MAX_IMAGE_PIXELS, load_json_limited
from .paths import existing_file

# Annotations hold one full-size mask each; refuse files that would exhaust memory.
MAX_MASK_BYTES = 4 * 1024**3


@node(
    "io.load_coco", title="Load COCO", category="io",
    params=[
        Param("path", "coco.json", kind="path", io="read", help="the COCO instances JSON to read"),
        Param("image", "", help="which image of the file: its file_name or id; empty = the first"),
        Param("image_dir", None, kind="path", io="read", help="folder holding the images; empty = the JSON file's folder"),
    ],
    outputs=[
        Output("instances", Instances, help="one object per annotation: mask, category as class, score if present"),
        Output("image", Image, help="the annotated image (a grey placeholder, with a warning, if its file is missing)"),
    ],
)
def load_coco(*, path: str, image: str, image_dir: str | None, ctx) -> dict:
    """Read one image's annotations from a COCO instances file, with the image itself.

    RLE (compressed or not) and polygon masks are decoded as pycocotools' ``annToMask`` does.
    Categories become classes (id → name); ``score`` becomes the object's score; the COCO
    annotation id and ``iscrowd`` go into ``extra``, the image's frame index and timestamp into the
    image's meta.

    Example: ``{type: io.load_coco, params: {path: out/coco.json, image: coins.png}}``
    """
    from pycocotools import mask as mask_utils

    file = existing_file(path, what="COCO")
    document = _read(file)
    entry = _pick_image(document, image, file)
    width, height = _image_size(entry, file)
    annotations = [a for a in document["annotations"] if isinstance(a, dict) and a.get("image_id") == entry["id"]]
    if len(annotations) * height * width > MAX_MASK_BYTES:
        raise NodeError(f"{len(annotations)} annotations of a {width}×{height} image need "
                        f"{len(annotations) * height * width / 1024**3:.1f} GiB of masks: split the file per image")
    masks = np.zeros((len(annotations), height, width), dtype=bool)
    class_ids, scores, extra = [], [], []
    for i, annotation in enumerate(annotations):
        ctx.progress(i, len(annotations))
        try:
            masks[i] = mask_utils.decode(_rle(annotation.get("segmentation"), height, width, mask_utils)).astype(bool)
        except (TypeError, ValueError, KeyError, IndexError) as exc:
            raise NodeError(f"annotation {annotation.get('id')!r} in {str(file)!r} has a segmentation pycocotools "
                            f"cannot read ({exc}): it must be RLE or a list of polygons") from None
        class_ids.append(int(annotation.get("category_id", 0)))
        scores.append(float(annotation.get("score", 1.0)))
        facts = {"coco_id": annotation.get("id"), "iscrowd": int(annotation.get("iscrowd", 0))}
        extra.append({k: v for k, v in facts.items() if v is not None})
    categories = {int(c["id"]): str(c.get("name", f"class_{c['id']}"))
                  for c in document.get("categories", []) if isinstance(c, dict) and "id" in c}
    instances = Instances(masks, np.array(class_ids, dtype=np.int32), np.array(scores, dtype=np.float32),
                          classes=categories, extra=extra)
    ctx.progress(len(annotations), len(annotations))
    return {"instances": instances, "image": _load_image(entry, file, image_dir, ctx)}


def _read(file: FsPath) -> dict[str, Any]:
    try:
        document = load_json_limited(file, what="COCO")
    except OSError as exc:
        raise NodeError(f"{str(file)!r} cannot be read ({exc.strerror or exc}): point 'path' at a COCO instances file") from None
    if not isinstance(document, dict) or not isinstance(document.get("images"), list) \
            or not isinstance(document.get("annotations"), list):
        raise NodeError(f"{str(file)!r} is not a COCO instances file: it needs 'images' and 'annotations' lists "
                        "(a COCO results list holds annotations only: evaluate it against its dataset instead)")
    return document


def _pick_image(document: dict[str, Any], wanted: str, file: FsPath) -> dict[str, Any]:
    images = [i for i in document["images"] if isinstance(i, dict) and {"id", "width", "height"} <= set(i)]
    if not images:
        raise NodeError(f"{str(file)!r} lists no images (with id, width and height): nothing to load")
    if not wanted:
        return images[0]
    for entry in images:
        if str(entry.get("file_name")) == wanted or str(entry["id"]) == wanted.strip():
            return entry
    for entry in images:  # the name alone, when the file lists images inside folders
        if FsPath(str(entry.get("file_name", ""))).name == wanted:
            return entry
    shown = ", ".join(repr(str(i.get("file_name"))) for i in images[:5]) + (" ..." if len(images) > 5 else "")
    raise NodeError(f"no image {wanted!r} in {str(file)!r}: give one of its file names or ids ({shown})")


def _image_size(entry: dict[str, Any], file: FsPath) -> tuple[int, int]:
    """The (width, height) an image entry declares, checked before any mask is allocated."""
    width, height = entry["width"], entry["height"]
    whole = all(isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 and float(v).is_integer()
                for v in (width, height))
    if not whole:
        raise NodeError(f"image {entry['id']!r} in {str(file)!r} has width {width!r} and height {height!r}: "
                        "both must be positive whole numbers of pixels; fix the file")
    bound = MAX_IMAGE_PIXELS.value()
    if bound and width * height > bound:
        raise NodeError(f"image {entry['id']!r} in {str(file)!r} declares {width}×{height} pixels, over the limit of "
                        f"{bound:,} pixels: if you trust the file, raise {MAX_IMAGE_PIXELS.env} (0 = no limit)")
    return int(width), int(height)


def _rle(segmentation: Any, height: int, width: int, mask_utils) -> dict:
    """A compressed RLE of any COCO segmentation, as pycocotools' annToRLE builds it."""
    if isinstance(segmentation, list):  # polygons: several parts of one object
        return mask_utils.merge(mask_utils.frPyObjects(segmentation, height, width))
    if isinstance(segmentation, dict) and isinstance(segmentation.get("counts"), list):
        return mask_utils.frPyObjects(segmentation, height, width)
    if isinstance(segmentation, dict) and isinstance(segmentation.get("counts"), str):
        return {"size": segmentation["size"], "counts": segmentation["counts"].encode("ascii")}
    raise ValueError(f"unknown segmentation of type {type(segmentation).__name__}")


def _load_image(entry: dict[str, Any], file: FsPath, image_dir: str | None, ctx) -> Image:
    from .image_files import load_image

    width, height = _image_size(entry, file)
    meta = {k: entry[k] for k in ("frame_index", "timestamp") if k in entry}
    folder = FsPath(image_dir) if image_dir else file.parent
    name = str(entry.get("file_name", ""))
    candidate = _inside(folder, name, file) if name else None
    if candidate is not None and candidate.is_file():
        loaded = load_image(path=str(candidate), stretch=False)
        if (loaded.height, loaded.width) != (height, width):
            raise NodeError(f"the image {str(candidate)!r} is {loaded.width}×{loaded.height} but the COCO file says "
                            f"{width}×{height}: point image_dir at the images this file annotates")
        return Image(loaded.data, {**loaded.meta, **meta})
    ctx.warn(f"the image {name!r} is not in {str(folder)!r}: showing a grey placeholder; set image_dir to the "
             "folder of the images")
    return Image(np.full((height, width, 3), 128, dtype=np.uint8), {"path": str(candidate or folder), "placeholder": True, **meta})


def _inside(folder: FsPath, name: str, file: FsPath) -> FsPath:
    """``folder / name``, refused when ``name`` leads out of ``folder`` (``..``, an absolute path, a link)."""
    candidate = folder / name
    try:
        inside = candidate.resolve().is_relative_to(folder.resolve())
    except (OSError, RuntimeError):  # a link loop
        inside = False
    if not inside:
        raise NodeError(f"the file_name {name!r} in {str(file)!r} points outside the image folder {str(folder)!r}: "
                        "a COCO file may only name images inside image_dir (give names relative to it, "
                        "without '..' or a leading '/')")
    return candidate
