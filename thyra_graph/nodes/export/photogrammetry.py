"""export.photogrammetry_masks: per-photo masks named and coloured as Metashape,
RealityCapture or COLMAP expect them, to keep sky, people or clutter out of a reconstruction.

Every convention here uses an 8-bit grey PNG of the photo's size, **white (255) = use these
pixels, black (0) = ignore them**; they differ in how the mask file is named:

- ``metashape``: ``{filename}_mask.png`` (photo name without its suffix), imported with
  *Import Masks → From File*, template ``{filename}_mask.png``. Source: Agisoft's own
  script ``src/automatic_sky_masking.py`` in github.com/agisoft-llc/metashape-scripts, which
  writes sky as 0 and the rest as 255 to ``<name>_mask.png`` and imports them with
  ``generateMasks(path=".../{filename}_mask.png", masking_mode=MaskingModeFile)``.
- ``realitycapture``: ``{photo name with suffix}.mask.png`` (``DSC_0001.jpg.mask.png``), the
  mask layer picked up when dropped in beside the photo. Source: RealityCapture help, "Image
  Layers" (rchelp.capturingreality.com/en-US/tools/imglayers.htm); "Alpha Channel Masks"
  (…/tools/mask.htm) on black and white and on avoiding grey levels.
- ``colmap``: ``{photo name with suffix}.png`` in the folder given as ``ImageReader.mask_path``
  (``image_path/abc/012.jpg`` → ``mask_path/abc/012.jpg.png``); "no features will be
  extracted in regions where the mask image is black (pixel intensity value 0)". Source:
  COLMAP FAQ, "Mask image regions" (colmap.github.io/faq.html#mask-image-regions).
"""

from __future__ import annotations

from pathlib import Path as FsPath
from typing import Any

import numpy as np

from thyra_graph.engine.declaration import NodeError, Output, Param, node
from thyra_graph.nodes.instances.class_refs import matches, parse_class_refs, unmatched_names
from thyra_graph.nodes.io.paths import OVERWRITE_HELP, OutputFiles
from thyra_graph.types import Files, FrameSeries, Image, Instances

from .label_maps import mask_boxes
from .png_encoding import encode_gray
from .sources import IMAGE_NAME_PARAM, SOURCE_INPUTS, ExportItem, check_unique, export_items

CONVENTIONS = ("metashape", "realitycapture", "colmap")
USE, IGNORE = 255, 0


def mask_file_name(item: ExportItem, convention: str) -> str:
    """The mask's file name (COLMAP: relative path) that the tool looks for, for this photo."""
    if convention == "metashape":
        return f"{item.stem}_mask.png"
    if convention == "realitycapture":
        return f"{item.name}.mask.png"
    # COLMAP mirrors the photo's sub-path below image_path.
    return f"{item.file_name.replace(chr(92), '/')}.png"


@node(
    "export.photogrammetry_masks", category="export",
    inputs=list(SOURCE_INPUTS),
    params=[
        Param("path", "out/masks", kind="path", io="write", help="folder to write the masks into (COLMAP: the mask_path folder)"),
        Param("convention", "metashape", choices=CONVENTIONS, help="which software reads the masks: it decides the file names"),
        Param("keep_classes", [], kind="json", items="scalar", help="reconstruct only these classes (ids or names, e.g. [car, tree]); everything else is ignored"),
        Param("drop_classes", [], kind="json", items="scalar", help="ignore these classes (ids or names, e.g. [sky, person]); everything else is used"),
        Param("grow", 0, min=0, max=200, help="widen the ignored (black) area by this many pixels, so object edges give no features"),
        IMAGE_NAME_PARAM,
        Param("overwrite", False, affects_result=False, help=OVERWRITE_HELP),
    ],
    outputs=[Output("path", Files, help="the folder, and every file written")],
)
def photogrammetry_masks(instances: Instances | None = None, series: FrameSeries | None = None,
                         image: Image | None = None, *, path: str, convention: str, keep_classes: Any,
                         drop_classes: Any, grow: int, image_name: str, overwrite: bool, ctx) -> Files:
    """Write exclusion masks for Metashape, RealityCapture or COLMAP: white = use, black = ignore.

    With ``drop_classes`` those objects are black and everything else white (drop sky, people,
    ground); with ``keep_classes`` only those objects are white (reconstruct just the cars);
    with neither, every object is white and the background black (a turntable object).
    Masks are named after the photos, so set ``image_name`` (or connect the image) to the
    photo's own file name.

    Example: ``{type: export.photogrammetry_masks, inputs: {instances: seg.instances, image:
    load.image}, params: {path: out/masks, convention: colmap, drop_classes: [sky, person]}}``
    """
    keep_refs = parse_class_refs(keep_classes, param="keep_classes")
    drop_refs = parse_class_refs(drop_classes, param="drop_classes")
    if keep_refs and drop_refs:
        raise NodeError("set keep_classes or drop_classes, not both: keep makes only those objects usable, drop "
                        "makes everything but them usable")
    folder = FsPath(path)
    items = export_items(instances, series, image, image_name)
    names = [mask_file_name(item, convention) for item in items]
    check_unique(names, what="the mask")
    for refs, param in ((keep_refs, "keep_classes"), (drop_refs, "drop_classes")):
        unknown = set.intersection(*(set(unmatched_names(item.instances, refs)) for item in items)) if items else set()
        if unknown:
            ctx.warn(f"{param}: no object is of class {', '.join(sorted(map(repr, unknown)))}")
    targets = [folder / name for name in names]
    out = OutputFiles(folder, overwrite=overwrite, what="mask")
    out.claim(targets)
    for index, (item, target) in enumerate(zip(items, targets)):
        ctx.progress(index, len(items))
        out.write_bytes(target, encode_gray(usable_pixels(item.instances, keep_refs, drop_refs, grow)))
    ctx.progress(len(items), len(items))
    return Files(str(folder), out.commit())


def usable_pixels(instances: Instances, keep_refs: list, drop_refs: list, grow: int) -> np.ndarray:
    """The H×W mask image: 255 where the reconstruction may use the pixel, 0 where not."""
    chosen = matches(instances, drop_refs if drop_refs else keep_refs) if (drop_refs or keep_refs) \
        else np.ones(len(instances), dtype=bool)
    region = np.zeros(instances.shape, dtype=bool)
    boxes = mask_boxes(instances)
    for i in np.flatnonzero(chosen):
        y0, y1, x0, x1 = boxes[i]
        if y1 > y0:
            region[y0:y1, x0:x1] |= instances.masks[i, y0:y1, x0:x1]
    use = ~region if drop_refs else region
    if grow > 0:
        import cv2

        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1))
        ignored = cv2.dilate((~use).astype(np.uint8), kernel)
        use = ignored == 0
    return np.where(use, np.uint8(USE), np.uint8(IGNORE))
