"""recon.sfm: camera poses and a sparse point cloud from overlapping photos (pycolmap).

COLMAP's CPU pipeline: SIFT features per image (none where a mask is black), matching
(every pair, or neighbours in order for video frames), geometric verification and
incremental mapping with bundle adjustment. The defaults also work for two views
(two-view tracks kept, a small initial triangulation angle, models of two images allowed).
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from thyra_graph.engine.declaration import Input, NodeError, Output, Param, node
from thyra_graph.types import Cameras, FrameSeries, Instances, Mask, PointCloud, Table

from .colmap_model import to_thyra
from .views import Views, views_from_frames, views_from_param

MATCHING = ("exhaustive", "sequential")


@node(
    "recon.sfm", title="Structure from motion", category="recon",
    inputs=[
        Input("frames", FrameSeries, required=False, help="the views as a FrameSeries of Images (or use the images param)"),
        Input("ignore", FrameSeries, required=False, help="per view, a Mask or Instances whose pixels get no features (sky, people, moving objects)"),
    ],
    params=[
        Param("images", None, kind="path", io="read", help="a folder of photos or a glob (views/*.jpg), relative to the graph file; used when frames is not connected"),
        Param("intrinsics", [], kind="json", items="number", help="known pinhole intrinsics [fx, fy, cx, cy] in pixels shared by all views (OpenCV: top-left pixel centre at 0, 0); [] = estimate"),
        Param("matching", "exhaustive", choices=MATCHING, help="match every pair of views, or only neighbours in order (video frames)"),
        Param("overlap", 10, min=1, max=100, when={"matching": "sequential"}, help="sequential matching: how many following frames each frame is matched with"),
        Param("mask_folder", None, kind="path", io="read", help="COLMAP masks (<image name>.png, black = no features), as export.photogrammetry_masks writes them (optional)"),
        Param("max_features", 8192, min=256, max=65536, help="most SIFT features per view"),
        Param("min_triangulation_angle", 4.0, min=0.5, max=30, help="smallest angle (degrees) between the rays of the first pair of views"),
    ],
    outputs=[
        Output("cameras", Cameras, help="the registered views' cameras (world-to-camera, OpenCV axes, arbitrary scale), names = image file names"),
        Output("points", PointCloud, help="sparse 3D points with colours, in the cameras' units; confidence = 1 / (1 + reprojection error px)"),
        Output("report", Table, help="per view: registered or not, features, observed points, and the model's mean reprojection error"),
    ],
)
def sfm(frames: FrameSeries | None = None, ignore: FrameSeries | None = None, *, images: str | None, intrinsics: Any,
        matching: str, overlap: int, mask_folder: str | None, max_features: int, min_triangulation_angle: float, ctx) -> dict:
    """Find the camera of every view and a sparse point cloud, by structure from motion.

    The result's scale and position are arbitrary (COLMAP's): align them to known
    measurements or use them as they are for meshing. Views that could not be placed are
    listed in the report and left out of ``cameras``.

    Example: ``{type: recon.sfm, params: {images: photos/, matching: exhaustive}}``
    """
    work = ctx.scratch_dir
    if frames is not None:
        views = views_from_frames(frames, work / "images")
    elif images:
        views = views_from_param(images)
    else:
        raise NodeError("recon.sfm: no views; connect frames (a FrameSeries of Images) or set param images "
                        "to a folder of photos or a glob such as views/*.jpg")
    if len(views.names) < 2:
        raise NodeError(f"recon.sfm: only one view ({views.names[0]}); structure from motion needs at least two "
                        "overlapping views of the scene")
    known = _intrinsics(intrinsics)
    masks = None
    if ignore is not None:
        if mask_folder:
            raise NodeError("recon.sfm: both input ignore and param mask_folder are set; use one of them")
        masks = _write_masks(ignore, views, work / "masks")
    elif mask_folder:
        masks = Path(mask_folder)
        if not masks.is_dir():
            raise NodeError(f"param mask_folder: {mask_folder} is not a folder; give the folder export.photogrammetry_masks "
                            "wrote with convention colmap, or leave it unset")
    cameras, points, report = run_sfm(views, work, intrinsics=known, matching=matching, overlap=overlap,
                                      mask_folder=masks, max_features=max_features,
                                      min_triangulation_angle=min_triangulation_angle, warn=ctx.warn)
    return {"cameras": cameras, "points": points, "report": report}


def run_sfm(views: Views, work: Path, *, intrinsics: list[float] | None = None, matching: str = "exhaustive",
            overlap: int = 10, mask_folder: Path | None = None, max_features: int = 8192,
            min_triangulation_angle: float = 4.0, warn=None) -> tuple[Cameras, PointCloud, Table]:
    """Run COLMAP's pipeline on ``views`` in ``work`` (a fresh folder); see the node's doc."""
    with _colmap_errors_only():
        return _run_sfm(views, work, intrinsics, matching, overlap, mask_folder, max_features,
                        min_triangulation_angle, warn)


@contextmanager
def _colmap_errors_only() -> Iterator[None]:
    """COLMAP logs every step (80 lines for 6 photos) through the node's progress bar; what
    goes wrong reaches the user as the node's own error or warnings instead."""
    import pycolmap

    level = pycolmap.logging.minloglevel
    pycolmap.logging.minloglevel = int(pycolmap.logging.Level.ERROR.value)
    try:
        yield
    finally:
        pycolmap.logging.minloglevel = level


def _run_sfm(views: Views, work: Path, intrinsics: list[float] | None, matching: str, overlap: int,
             mask_folder: Path | None, max_features: int, min_triangulation_angle: float,
             warn) -> tuple[Cameras, PointCloud, Table]:
    import pycolmap

    work.mkdir(parents=True, exist_ok=True)
    database = work / "database.db"
    if database.exists():
        database.unlink()
    reader = pycolmap.ImageReaderOptions()
    if intrinsics is not None:
        fx, fy, cx, cy = intrinsics
        reader.camera_model = "PINHOLE"
        reader.camera_params = f"{fx},{fy},{cx + 0.5},{cy + 0.5}"  # COLMAP: pixel centres at +0.5
    else:
        reader.camera_model = "SIMPLE_PINHOLE"
    if mask_folder is not None:
        reader.mask_path = str(mask_folder)
    extraction = pycolmap.FeatureExtractionOptions()
    extraction.sift.max_num_features = int(max_features)
    extraction.use_gpu = False
    pycolmap.extract_features(database, views.folder, image_names=views.names, camera_mode=pycolmap.CameraMode.SINGLE,
                              reader_options=reader, extraction_options=extraction, device=pycolmap.Device.cpu)
    match_options = pycolmap.FeatureMatchingOptions()
    match_options.use_gpu = False
    if matching == "sequential":
        pairing = pycolmap.SequentialPairingOptions()
        pairing.overlap = int(overlap)
        pairing.loop_detection = False
        pycolmap.match_sequential(database, matching_options=match_options, pairing_options=pairing,
                                  device=pycolmap.Device.cpu)
    else:
        pycolmap.match_exhaustive(database, matching_options=match_options, device=pycolmap.Device.cpu)
    options = pycolmap.IncrementalPipelineOptions()
    options.min_model_size = 2
    options.random_seed = 0
    options.triangulation.ignore_two_view_tracks = False
    options.mapper.init_min_tri_angle = float(min_triangulation_angle)
    if intrinsics is not None:
        options.ba_refine_focal_length = False
        options.ba_refine_principal_point = False
        options.ba_refine_extra_params = False
    models = pycolmap.incremental_mapping(database, views.folder, work / "sparse", options=options)
    features = _feature_counts(database)
    if not models:
        raise NodeError(f"recon.sfm: no views could be placed ({len(views.names)} views, "
                        f"{sum(features.values())} features). The views must overlap (each part of the scene "
                        "seen from two or more views, 60-80 % overlap between neighbours) and be textured; "
                        "with video frames use matching: sequential")
    best = max(models.values(), key=lambda r: r.num_reg_images())
    cameras, points, dropped = to_thyra(best)
    if dropped and warn is not None:
        warn(f"camera model {', '.join(dropped)} has lens distortion that Cameras cannot hold; it was dropped")
    registered = {best.images[i].name: best.images[i] for i in best.reg_image_ids()}
    if len(registered) < len(views.names) and warn is not None:
        missing = [n for n in views.names if n not in registered]
        warn(f"{len(missing)} of {len(views.names)} views could not be placed: {', '.join(missing[:5])}"
             f"{' …' if len(missing) > 5 else ''}")
    error = float(best.compute_mean_reprojection_error())
    report = Table({
        "view": list(views.names),
        "registered": np.array([n in registered for n in views.names]),
        "features": np.array([features.get(n, 0) for n in views.names], dtype=np.int64),
        "points": np.array([registered[n].num_points3D if n in registered else 0 for n in views.names], dtype=np.int64),
        "mean_reprojection_error_px": np.full(len(views.names), error),
    })
    return cameras, points, report


def _intrinsics(value: Any) -> list[float] | None:
    if value in (None, [], ""):
        return None
    try:
        numbers = [float(v) for v in value]
    except (TypeError, ValueError):
        numbers = []
    if len(numbers) != 4 or not all(np.isfinite(numbers)) or numbers[0] <= 0 or numbers[1] <= 0:
        raise NodeError(f"param intrinsics: expected [fx, fy, cx, cy] in pixels (focal lengths > 0), got {value!r}; "
                        "or [] to estimate them")
    return numbers


def _write_masks(ignore: FrameSeries, views: Views, folder: Path) -> Path:
    """Per-view COLMAP masks (white = use, black = no features) from Masks or Instances."""
    import cv2

    if len(ignore) != len(views.names):
        raise NodeError(f"input ignore: {len(ignore)} masks for {len(views.names)} views; give one per view, in order")
    width, height = views.size
    for name, (frame, _time, item) in zip(views.names, ignore):
        if isinstance(item, Mask):
            blocked = np.asarray(item.data, dtype=bool)
        elif isinstance(item, Instances):
            blocked = item.masks.any(axis=0) if len(item) else np.zeros((height, width), bool)
        else:
            raise NodeError(f"input ignore: expected a FrameSeries of Mask or Instances, got {type(item).__name__}")
        if blocked.shape != (height, width):
            raise NodeError(f"input ignore: the mask for frame {frame} is {blocked.shape[1]}×{blocked.shape[0]} but the "
                            f"views are {width}×{height}; give masks of the views' size")
        target = folder / f"{name}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(target), np.where(blocked, 0, 255).astype(np.uint8))
    return folder


def _feature_counts(database: Path) -> dict[str, int]:
    """Keypoints found per image name, from the COLMAP database (for the report)."""
    import sqlite3
    from contextlib import closing

    with closing(sqlite3.connect(database)) as connection:
        rows = connection.execute(
            "SELECT images.name, keypoints.rows FROM images LEFT JOIN keypoints ON images.image_id = keypoints.image_id"
        ).fetchall()
    return {name: int(count or 0) for name, count in rows}
