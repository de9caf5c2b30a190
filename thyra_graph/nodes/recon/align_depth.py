"""recon.align_depth: a relative depth map scaled (and shifted) onto known geometry.

A monocular network's relative output is right only up to an affine map: ``target = s·pred + b``
where ``pred`` is the network's value and ``target`` is depth (for a relative depth layer) or
inverse depth (for an ``inverse_depth`` layer, what DPT / Depth Anything give). The pairs come from
SfM points projected into the view, or from a known depth map (NaN where unknown); RANSAC over
two-pixel samples, then least squares on the inliers, so wrong matches and occluded points
do not pull the fit.
"""

from __future__ import annotations

import numpy as np

from thyra_graph.engine.declaration import Input, NodeError, Output, Param, node
from thyra_graph.types import Cameras, Field, PointCloud, Table

from .camera_math import camera, project

UNITS_CHOICES = ("relative", "metres")


def prediction_of(depth: Field) -> tuple[np.ndarray, bool]:
    """The map to align and whether it is inverse depth (layer ``inverse_depth``) or depth (``depth``)."""
    if "inverse_depth" in depth.layers:
        return np.asarray(depth["inverse_depth"], np.float64), True
    if "depth" in depth.layers:
        return np.asarray(depth["depth"], np.float64), False
    raise NodeError(f"recon.align_depth: the 'depth' input has layers {', '.join(depth.layers)} but no 'depth' or "
                    "'inverse_depth' layer; connect the depth output of recon.depth, recon.vggt or recon.stereo_depth")


def pairs_from_points(points: PointCloud, cameras: Cameras, view: int, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """``(flat pixel indices, depths)`` of the points that project inside view ``view`` in front of it."""
    if not 0 <= view < len(cameras):
        raise NodeError(f"recon.align_depth: param 'view' is {view} but the cameras hold {len(cameras)} views "
                        f"(valid: 0 to {len(cameras) - 1})")
    height, width = shape
    if tuple(cameras.image_size) != (width, height):
        raise NodeError(f"recon.align_depth: the depth map is {width}×{height} but the cameras are for "
                        f"{cameras.image_size[0]}×{cameras.image_size[1]} images; estimate depth on the images the "
                        "cameras were made from (or resize the depth map to them)")
    K, E = camera(cameras, view)
    uv, z = project(np.asarray(points.points, np.float64), K, E)
    inside = (z > 0) & np.isfinite(uv).all(axis=1)
    cols, rows = np.floor(uv[inside] + 0.5).astype(np.int64).T
    keep = (cols >= 0) & (cols < width) & (rows >= 0) & (rows < height)
    return rows[keep] * width + cols[keep], z[inside][keep]


def fit_affine(pred: np.ndarray, target_depth: np.ndarray, *, inverse: bool, shift: bool, threshold: float,
               iterations: int = 500, seed: int = 0) -> tuple[float, float, np.ndarray]:
    """``(scale, shift, inliers)`` of ``target = scale·pred + shift`` (target = 1/depth when ``inverse``).

    A pair is an inlier when the depth it implies is within ``threshold`` (relative) of the known
    depth. Deterministic: the random samples come from a fixed seed.
    """
    target = 1.0 / target_depth if inverse else target_depth
    rng = np.random.default_rng(seed)
    n = len(pred)
    best = np.zeros(n, bool)
    for _ in range(iterations):
        sample = rng.choice(n, size=2 if shift else 1, replace=False)
        s, b = _solve(pred[sample], target[sample], shift)
        inliers = _inliers(pred, target_depth, s, b, inverse=inverse, threshold=threshold)
        if inliers.sum() > best.sum():
            best = inliers
    if best.sum() < (2 if shift else 1):
        raise NodeError("recon.align_depth: no consistent scale could be found between the depth map and the known "
                        f"depths (no two pairs agree within threshold {threshold:g}); check that the cameras and points "
                        "belong to these images and the view index is right, or raise 'threshold'")
    for _ in range(3):  # refit on the inliers, which may gain a few pairs the sample missed
        s, b = _solve(pred[best], target[best], shift)
        best = _inliers(pred, target_depth, s, b, inverse=inverse, threshold=threshold) | best
    s, b = _solve(pred[best], target[best], shift)
    return s, b, _inliers(pred, target_depth, s, b, inverse=inverse, threshold=threshold)


def _solve(pred: np.ndarray, target: np.ndarray, shift: bool) -> tuple[float, float]:
    design = np.column_stack([pred, np.ones_like(pred)]) if shift else pred[:, None]
    solution, *_ = np.linalg.lstsq(design, target, rcond=None)
    return float(solution[0]), float(solution[1]) if shift else 0.0


def _inliers(pred: np.ndarray, depth: np.ndarray, s: float, b: float, *, inverse: bool, threshold: float) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        value = s * pred + b
        implied = 1.0 / value if inverse else value
        return (implied > 0) & (np.abs(implied - depth) <= threshold * depth)


@node(
    "recon.align_depth", category="recon",
    inputs=[
        Input("depth", Field, help="the map to align: layer 'inverse_depth' (relative models) or 'depth' (e.g. VGGT's relative depth)"),
        Input("points", PointCloud, required=False, help="3D points seen in this view (e.g. recon.sfm's sparse points); needs 'cameras'"),
        Input("cameras", Cameras, required=False, help="the cameras of the points; 'view' picks this depth map's camera"),
        Input("reference", Field, required=False, help="a known depth map on the same grid (layer 'depth', NaN where unknown), instead of points"),
    ],
    params=[
        Param("view", 0, min=0, help="which of the cameras took the image the depth map was made from (0 = first)"),
        Param("shift", True, help="fit a shift as well as a scale (relative models have both; turn off for scale-only maps)"),
        Param("threshold", 0.05, min=1e-4, max=1.0, step=0.01, help="a pair agrees with a fit when its depth is within this fraction of the known one"),
        Param("min_pairs", 10, min=2, help="fewest known depths inside the view needed to fit"),
        Param("units", "relative", choices=UNITS_CHOICES, help="units of the points and cameras: metres when they are metric (a reference map's units are used as they are)"),
    ],
    outputs=[
        Output("depth", Field, help="layer 'depth': camera-space z in the known geometry's units; NaN where the fit gives no point in front"),
        Output("report", Table, help="scale, shift, pairs, inliers and the median relative error of the inliers"),
    ],
)
def align_depth(depth: Field, points: PointCloud | None = None, cameras: Cameras | None = None,
                reference: Field | None = None, *, view: int, shift: bool, threshold: float, min_pairs: int,
                units: str) -> dict:
    """Scale and shift a relative depth map so it agrees with known 3D points or a known depth map.

    Inverse depth (DPT, Depth Anything) is fitted in inverse space and then inverted, so the
    result is true depth; a robust fit (RANSAC) ignores points that are occluded in this view or
    badly matched.

    Example: ``{type: recon.align_depth, inputs: {depth: mono.depth, points: sfm.points,
    cameras: sfm.cameras}, params: {view: 2}}``
    """
    pred, inverse = prediction_of(depth)
    if reference is not None:
        if points is not None:
            raise NodeError("recon.align_depth: connect either 'reference' or 'points' + 'cameras', not both")
        if "depth" not in reference.layers:
            raise NodeError(f"recon.align_depth: the 'reference' input has no 'depth' layer (it has "
                            f"{', '.join(reference.layers)}); connect a depth map such as recon.stereo_depth's")
        known = np.asarray(reference["depth"], np.float64)
        if known.shape != pred.shape:
            raise NodeError(f"recon.align_depth: the reference depth map is {known.shape[1]}×{known.shape[0]} but the "
                            f"depth map to align is {pred.shape[1]}×{pred.shape[0]}; give maps on the same pixel grid")
        flat = np.flatnonzero(np.isfinite(known) & (known > 0))
        known_depth, out_units = known.ravel()[flat], str(reference.meta.get("units", units))
    elif points is not None and cameras is not None:
        flat, known_depth = pairs_from_points(points, cameras, view, pred.shape)
        out_units = units
    else:
        raise NodeError("recon.align_depth needs known geometry: connect 'points' and 'cameras' (e.g. from recon.sfm) "
                        "or a 'reference' depth map")
    values = pred.ravel()[flat]
    usable = np.isfinite(values)
    values, known_depth = values[usable], known_depth[usable]
    if len(values) < min_pairs:
        raise NodeError(f"recon.align_depth: only {len(values)} known depths fall inside the view (min_pairs is "
                        f"{min_pairs}); check 'view' and that the points are seen by that camera, or lower min_pairs")
    s, b, inliers = fit_affine(values, known_depth, inverse=inverse, shift=shift, threshold=threshold)
    with np.errstate(divide="ignore", invalid="ignore"):
        mapped = s * pred + b
        aligned = 1.0 / mapped if inverse else mapped
    aligned = np.where(np.isfinite(aligned) & (aligned > 0), aligned, np.nan).astype(np.float32)
    fitted = aligned.ravel()[flat[usable][inliers]]
    error = float(np.median(np.abs(fitted - known_depth[inliers]) / known_depth[inliers]))
    facts = {"scale": s, "shift": b, "fitted": "inverse depth" if inverse else "depth"}
    report = Table({"scale": np.array([s]), "shift": np.array([b]), "pairs": np.array([len(values)]),
                    "inliers": np.array([int(inliers.sum())]), "median_relative_error": np.array([error])})
    return {"depth": Field({"depth": aligned}, dx=depth.dx, dy=depth.dy, meta={"units": out_units, **facts}),
            "report": report}
