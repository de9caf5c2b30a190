"""recon.mvs: dense depth for every view from known cameras, on the CPU, without weights.

Classical plane-sweep-free multi-view stereo in three steps:

1. Pairs. Each reference view is paired with its nearest cameras; each pair is rectified from
   the poses (``cv2.stereoRectify``) and matched by semi-global matching (``StereoSGBM``,
   with its left-right check). The disparity is read back at every pixel of the *original*
   reference view through the rectifying homography, so no depth is splatted or resampled.
2. Consistency. A depth survives when at least ``min_consistent`` other views, reprojected,
   see the same surface there (relative depth difference under ``tolerance``).
3. Fusion. Surviving pixels of all views are lifted to world points with their colours and
   merged on a voxel grid (one averaged point per voxel).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from thyra_graph.engine.declaration import Input, NodeError, Output, Param, node
from thyra_graph.types import Cameras, Field, FrameSeries, PointCloud

from .camera_math import camera, depth_to_points, project
from .fuse import auto_voxel
from .views import Views, views_from_frames, views_from_param


@node(
    "recon.mvs", title="Multi-view stereo", category="recon",
    inputs=[
        Input("cameras", Cameras, help="the views' cameras (recon.sfm), names = image file names"),
        Input("frames", FrameSeries, required=False, help="the views as a FrameSeries of Images, in the cameras' order (or use the images param)"),
        Input("points", PointCloud, required=False, help="sparse points (recon.sfm) that bound the depth search; optional"),
    ],
    params=[
        Param("images", None, kind="path", io="read", help="folder or glob of the views, matched to the cameras by file name; used when frames is not connected"),
        Param("neighbours", 2, min=1, max=8, help="views paired with each reference view (the nearest cameras)"),
        Param("depth_range", [], kind="json", items="number", help="[near, far] depth search range in the cameras' units; [] = from the points, or from where the cameras look"),
        Param("block_size", 5, min=3, max=15, step=2, help="SGBM matching window, pixels (odd)"),
        Param("tolerance", 0.01, min=0.001, max=0.2, help="relative depth difference under which two views agree"),
        Param("min_consistent", 1, min=1, max=8, help="other views that must agree with a depth for it to be kept"),
        Param("voxel", 0.0, min=0.0, help="fused cloud's grid, in the cameras' units (0 = about two pixels' footprint at the median depth)"),
        Param("units", "scene", choices=("scene", "metres"), help="what the cameras' unit is: 'metres' for metric cameras, 'scene' for SfM's arbitrary scale"),
    ],
    outputs=[
        Output("depths", FrameSeries, help="per view a Field with layer 'depth' (camera z, the cameras' units; 0 = no depth)"),
        Output("cloud", PointCloud, help="the fused dense cloud in world coordinates, with colours and normals facing the cameras (ready for mesh.poisson)"),
    ],
)
def mvs(cameras: Cameras, frames: FrameSeries | None = None, points: PointCloud | None = None, *,
        images: str | None, neighbours: int, depth_range: list, block_size: int, tolerance: float,
        min_consistent: int, voxel: float, units: str, ctx) -> dict:
    """Dense depth maps and a dense coloured point cloud from posed views (rectified pairs,
    semi-global matching, cross-view consistency), on the CPU.

    Example: ``{type: recon.mvs, inputs: {cameras: sfm.cameras, points: sfm.points},
    params: {images: photos/}}``
    """
    views = _views(cameras, frames, images, ctx.scratch_dir)
    if len(cameras) < 2:
        raise NodeError("recon.mvs: only one camera; dense stereo needs at least two posed views")
    if min_consistent > min(neighbours, len(cameras) - 1):
        raise NodeError(f"param min_consistent: {min_consistent} is more than the views each one is compared with "
                        f"({min(neighbours, len(cameras) - 1)}); lower it or raise neighbours")
    rgb = [views.read(i) for i in range(len(views.names))]
    near, far = _depth_range(cameras, points, depth_range)
    raw = []
    for i in range(len(cameras)):
        ctx.progress(i, 2 * len(cameras))
        raw.append(pair_depth(cameras, rgb, i, _neighbours(cameras, i, neighbours), near, far, block_size, tolerance))
    depths = consistent_depths(cameras, raw, tolerance, min_consistent, neighbours)
    ctx.progress(2 * len(cameras) - 1, 2 * len(cameras))
    cloud = fuse_points(cameras, depths, rgb, voxel)
    if not len(cloud):
        raise NodeError("recon.mvs: no depth survived the consistency check; the views may not overlap, "
                        "the cameras may be wrong, or depth_range excludes the scene (raise tolerance to see more)")
    series = FrameSeries.from_items((i, float(i), Field({"depth": d}, meta={"units": units, "view": cameras.names[i] if cameras.names else i}))
                                    for i, d in enumerate(depths))
    return {"depths": series, "cloud": cloud}


def _views(cameras: Cameras, frames: FrameSeries | None, images: str | None, scratch: Path) -> Views:
    if frames is not None:
        views = views_from_frames(frames, scratch / "images")
        if len(views.names) != len(cameras):
            raise NodeError(f"input frames: {len(views.names)} frames for {len(cameras)} cameras; give one frame per camera, in order")
    elif images:
        found = views_from_param(images)
        by_name = dict(zip(found.names, found.names))
        by_name.update({Path(n).name: n for n in found.names})
        missing = [n for n in cameras.names if n not in by_name]
        if not cameras.names or missing:
            raise NodeError(f"param images: no image for camera {missing[0] if missing else 0!r} in {images}; the cameras' "
                            "names must be the image file names (as recon.sfm and io.load_colmap give them)")
        views = Views(found.folder, [by_name[n] for n in cameras.names], found.size)
    else:
        raise NodeError("recon.mvs: no images; connect frames or set param images to the folder recon.sfm read")
    if views.size != cameras.image_size:
        raise NodeError(f"recon.mvs: the images are {views.size[0]}×{views.size[1]} but the cameras are "
                        f"{cameras.image_size[0]}×{cameras.image_size[1]}; give the images the cameras were computed on")
    return views


def _neighbours(cameras: Cameras, index: int, count: int) -> list[int]:
    """The ``count`` views whose cameras are nearest to view ``index`` and look the same way."""
    centres = cameras.centers()
    axes = cameras.rotations[:, 2, :]
    distance = np.linalg.norm(centres - centres[index], axis=1)
    facing = axes @ axes[index]
    order = [j for j in np.argsort(distance) if j != index and facing[j] > np.cos(np.radians(60)) and distance[j] > 0]
    return [int(j) for j in order[:count]]


def _depth_range(cameras: Cameras, points: PointCloud | None, given: list) -> tuple[float, float]:
    if given:
        try:
            near, far = (float(v) for v in given)
        except (TypeError, ValueError):
            near = far = -1.0
        if not 0 < near < far:
            raise NodeError(f"param depth_range: expected [near, far] with 0 < near < far, got {given!r}; or [] for automatic")
        return near, far
    if points is not None and len(points):
        z = np.concatenate([project(points.points, *camera(cameras, i))[1] for i in range(len(cameras))])
        z = z[z > 0]
        if len(z) >= 10:
            low, high = np.percentile(z, [1, 99])
            return float(low) * 0.7, float(high) * 1.4
    # Where the optical axes pass closest to each other: the scene the views share.
    centres, axes = cameras.centers(), cameras.rotations[:, 2, :]
    A = sum(np.eye(3) - np.outer(a, a) for a in axes)
    b = sum((np.eye(3) - np.outer(a, a)) @ c for a, c in zip(axes, centres))
    target = np.linalg.lstsq(A, b, rcond=None)[0]
    distance = float(np.median(np.linalg.norm(centres - target, axis=1)))
    return 0.4 * distance, 2.5 * distance


def pair_depth(cameras: Cameras, rgb: list[np.ndarray], ref: int, others: list[int], near: float, far: float,
               block_size: int, tolerance: float) -> np.ndarray:
    """View ``ref``'s depth (0 = none) from SGBM against each of ``others``; where two pairs
    give depths, they must agree within ``tolerance`` (then they are averaged)."""
    total = np.zeros(rgb[ref].shape[:2], np.float64)
    count = np.zeros(rgb[ref].shape[:2], np.int32)
    disagree = np.zeros(rgb[ref].shape[:2], bool)
    for other in others:
        depth = _rectified_depth(cameras, rgb, ref, other, near, far, block_size)
        valid = depth > 0
        mean = np.divide(total, count, out=np.zeros_like(total), where=count > 0)
        both = valid & (count > 0)
        disagree |= both & (np.abs(depth - mean) > tolerance * mean)
        total[valid] += depth[valid]
        count[valid] += 1
    depth = np.divide(total, count, out=np.zeros_like(total), where=count > 0)
    depth[disagree] = 0.0
    return depth.astype(np.float32)


def _rectified_depth(cameras: Cameras, rgb: list[np.ndarray], ref: int, other: int, near: float, far: float,
                     block_size: int) -> np.ndarray:
    import cv2

    width, height = cameras.image_size
    K1, E1 = camera(cameras, ref)
    K2, E2 = camera(cameras, other)
    R = E2[:, :3] @ E1[:, :3].T
    T = (E2[:, 3] - R @ E1[:, 3]).reshape(3, 1)
    no_distortion = np.zeros(5)
    R1, R2, P1, P2, _Q, _roi1, _roi2 = cv2.stereoRectify(K1, no_distortion, K2, no_distortion, (width, height), R, T,
                                                         flags=cv2.CALIB_ZERO_DISPARITY, alpha=1)
    focal, baseline = P1[0, 0], -P2[0, 3] / P2[0, 0]
    ref_is_left = baseline > 0
    baseline = abs(baseline)
    maps = [cv2.initUndistortRectifyMap(K, no_distortion, Rr, P[:, :3], (width, height), cv2.CV_32FC1)
            for K, Rr, P in ((K1, R1, P1), (K2, R2, P2))]
    a, b = (cv2.remap(image, *m, cv2.INTER_LINEAR) for image, m in zip((rgb[ref], rgb[other]), maps))
    low = max(0, int(np.floor(focal * baseline / far)))
    span = int(np.ceil((focal * baseline / near - low) / 16.0)) * 16
    span = int(min(max(span, 16), 16 * ((width - low) // 16)))
    channels = 3
    matcher = cv2.StereoSGBM_create(minDisparity=low, numDisparities=span, blockSize=block_size,
                                    P1=8 * channels * block_size ** 2, P2=32 * channels * block_size ** 2,
                                    disp12MaxDiff=1, uniquenessRatio=10, speckleWindowSize=100, speckleRange=2,
                                    mode=cv2.STEREO_SGBM_MODE_SGBM_3WAY)
    if not ref_is_left:
        # SGBM measures the left view: mirror both so the reference becomes the left one.
        a, b = a[:, ::-1], b[:, ::-1]
    # SGBM leaves the first minDisparity + numDisparities columns empty: pad them on, crop after.
    pad = low + span
    a, b = (cv2.copyMakeBorder(np.ascontiguousarray(x), 0, 0, pad, 0, cv2.BORDER_CONSTANT) for x in (a, b))
    disparity = matcher.compute(a, b)[:, pad:].astype(np.float32) / 16.0
    if not ref_is_left:
        disparity = disparity[:, ::-1]
    disparity[disparity < low - 0.5] = np.nan  # SGBM marks unmatched pixels minDisparity - 1
    # Every original pixel's place in the rectified reference view (a pure rotation: homography).
    u, v = np.meshgrid(np.arange(width, dtype=np.float64), np.arange(height, dtype=np.float64))
    rays = np.stack([u, v, np.ones_like(u)], axis=-1) @ np.linalg.inv(K1).T
    rect = rays @ R1.T
    rect_uv = rect[..., :2] / rect[..., 2:3] * focal + P1[:2, 2]
    sampled = cv2.remap(disparity, rect_uv[..., 0].astype(np.float32), rect_uv[..., 1].astype(np.float32),
                        cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT, borderValue=np.nan)
    # Depth along the rectified axis, then along the original one (the ray is the same).
    with np.errstate(divide="ignore", invalid="ignore"):
        depth = focal * baseline / sampled / rect[..., 2]
    depth[~np.isfinite(depth) | (depth < near) | (depth > far)] = 0.0
    return depth


def consistent_depths(cameras: Cameras, raw: list[np.ndarray], tolerance: float, min_consistent: int,
                      neighbours: int) -> list[np.ndarray]:
    """Each view's depths that at least ``min_consistent`` neighbouring views confirm."""
    width, height = cameras.image_size
    kept = []
    for i, depth in enumerate(raw):
        K, E = camera(cameras, i)
        world, flat = depth_to_points(depth, K, E)
        votes = np.zeros(len(flat), np.int32)
        for j in _neighbours(cameras, i, max(neighbours, min_consistent)):
            uv, z = project(world, *camera(cameras, j))
            u, v = np.round(uv[:, 0]), np.round(uv[:, 1])
            inside = (z > 0) & (u >= 0) & (u < width) & (v >= 0) & (v < height)
            seen = np.zeros(len(flat))
            seen[inside] = raw[j][v[inside].astype(int), u[inside].astype(int)]
            votes += (seen > 0) & (np.abs(seen - z) <= tolerance * np.maximum(z, 1e-12))
        out = np.zeros(depth.size, np.float32)
        good = votes >= min_consistent
        out[flat[good]] = depth.ravel()[flat[good]]
        kept.append(out.reshape(depth.shape))
    return kept


def fuse_points(cameras: Cameras, depths: list[np.ndarray], rgb: list[np.ndarray], voxel: float) -> PointCloud:
    """All views' depths as one coloured cloud with normals facing the cameras (what Poisson
    meshing needs), one averaged point per ``voxel`` cell."""
    points, colours, normals = [], [], []
    for i, depth in enumerate(depths):
        world, flat = depth_to_points(depth, *camera(cameras, i))
        points.append(world)
        colours.append(rgb[i].reshape(-1, 3)[flat])
        normals.append(_normals(depth, world, flat, cameras.centers()[i]))
    xyz, rgb_all, normal_all = np.concatenate(points), np.concatenate(colours).astype(np.float64), np.concatenate(normals)
    if not len(xyz):
        return PointCloud(np.zeros((0, 3), np.float32))
    size = voxel or auto_voxel(depths, float(cameras.intrinsics[0, 0, 0]))
    cells = np.floor((xyz - xyz.min(axis=0)) / size).astype(np.int64)
    extent = cells.max(axis=0) + 1
    # One integer per voxel: a 1-D unique is many times faster than a row-wise one.
    keys = (cells[:, 0] * extent[1] + cells[:, 1]) * extent[2] + cells[:, 2]
    _, cell, counts = np.unique(keys, return_inverse=True, return_counts=True)

    def mean(values: np.ndarray) -> np.ndarray:
        total = np.zeros((len(counts), values.shape[1]))
        np.add.at(total, cell, values)
        return total / counts[:, None]

    colour = np.clip(mean(rgb_all) + 0.5, 0, 255).astype(np.uint8)
    normal = mean(normal_all)
    normal /= np.maximum(np.linalg.norm(normal, axis=1, keepdims=True), 1e-12)
    return PointCloud(mean(xyz).astype(np.float32), colour, normal.astype(np.float32), counts.astype(np.float32))


def _normals(depth: np.ndarray, world: np.ndarray, flat: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """Unit normals of the points ``world`` (from pixels ``flat`` of ``depth``), from the
    neighbouring pixels' points, turned towards the camera at ``centre``."""
    height, width = depth.shape
    grid = np.full((height * width, 3), np.nan)
    grid[flat] = world
    grid = grid.reshape(height, width, 3)
    du = np.full_like(grid, np.nan)
    dv = np.full_like(grid, np.nan)
    du[:, 1:-1] = grid[:, 2:] - grid[:, :-2]
    dv[1:-1] = grid[2:] - grid[:-2]
    normal = np.cross(du, dv).reshape(-1, 3)[flat]
    # Where a neighbour is missing (edges, holes), face the camera.
    towards = centre - world
    bad = ~np.isfinite(normal).all(axis=1) | (np.linalg.norm(normal, axis=1) == 0)
    normal[bad] = towards[bad]
    normal *= np.sign(np.einsum("ij,ij->i", normal, towards))[:, None]
    return normal / np.maximum(np.linalg.norm(normal, axis=1, keepdims=True), 1e-12)
