"""Between pycolmap reconstructions and Thyra's Cameras / PointCloud.

COLMAP puts the centre of the top-left pixel at (0.5, 0.5); OpenCV and ``Cameras`` at
(0, 0). Every conversion here shifts the principal point by that half pixel, so a model
written and read back, or reconstructed and compared with ground truth, agrees exactly.
Only pinhole models map onto ``Cameras``; distortion parameters of other models are
dropped with a warning by the caller.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from thyra_graph.types import Cameras, PointCloud

# Camera models whose parameters start with the focal length(s) and principal point.
PINHOLE_LIKE = {"SIMPLE_PINHOLE": 1, "PINHOLE": 2, "SIMPLE_RADIAL": 1, "RADIAL": 1, "OPENCV": 2,
                "FULL_OPENCV": 2, "SIMPLE_RADIAL_FISHEYE": 1, "RADIAL_FISHEYE": 1, "OPENCV_FISHEYE": 2}
DISTORTION_FREE = ("SIMPLE_PINHOLE", "PINHOLE")


def to_thyra(reconstruction: Any) -> tuple[Cameras, PointCloud, list[str]]:
    """Registered images (sorted by name) as Cameras, 3D points as a coloured PointCloud,
    and the names of camera models whose distortion was dropped."""
    images = sorted((reconstruction.images[i] for i in reconstruction.reg_image_ids()), key=lambda im: im.name)
    intrinsics, extrinsics, dropped = [], [], set()
    size = None
    for image in images:
        camera = image.camera
        model = camera.model.name
        if model not in PINHOLE_LIKE:
            raise ValueError(f"camera model {model} of image {image.name} is not a pinhole model")
        if model not in DISTORTION_FREE:
            dropped.add(model)
        K = np.array(camera.calibration_matrix(), dtype=np.float64)
        K[0, 2] -= 0.5
        K[1, 2] -= 0.5
        intrinsics.append(K)
        extrinsics.append(np.asarray(image.cam_from_world().matrix(), dtype=np.float64))
        this = (int(camera.width), int(camera.height))
        if size is not None and this != size:
            raise ValueError(f"image {image.name} is {this[0]}×{this[1]} but the others are {size[0]}×{size[1]}")
        size = this
    cameras = Cameras(np.asarray(intrinsics).reshape(-1, 3, 3), np.asarray(extrinsics).reshape(-1, 3, 4),
                      size or (1, 1), [image.name for image in images])
    points3d = reconstruction.points3D
    xyz = np.array([p.xyz for p in points3d.values()], dtype=np.float32).reshape(-1, 3)
    rgb = np.array([p.color for p in points3d.values()], dtype=np.uint8).reshape(-1, 3)
    errors = np.array([p.error for p in points3d.values()], dtype=np.float32)
    # Confidence: higher for points that reproject better (1 at 0 px, 0.5 at 1 px). COLMAP
    # writes -1 for points without observations: no confidence then (0 where only some lack it).
    known = errors >= 0
    confidence = np.where(known, 1.0 / (1.0 + np.maximum(errors, 0.0)), 0.0).astype(np.float32)
    cloud = PointCloud(xyz, rgb, confidence=confidence if known.any() else None)
    return cameras, cloud, sorted(dropped)


def from_thyra(cameras: Cameras, points: PointCloud | None = None) -> Any:
    """A pycolmap Reconstruction holding ``cameras`` (one PINHOLE camera per distinct K) and
    ``points`` (no observations: Thyra clouds do not record which pixels saw each point)."""
    import pycolmap

    reconstruction = pycolmap.Reconstruction()
    width, height = cameras.image_size
    camera_ids: dict[tuple[float, ...], int] = {}
    names = cameras.names or [f"image_{i:06d}.png" for i in range(len(cameras))]
    for index, (K, E, name) in enumerate(zip(cameras.intrinsics, cameras.extrinsics, names)):
        params = (float(K[0, 0]), float(K[1, 1]), float(K[0, 2]) + 0.5, float(K[1, 2]) + 0.5)
        if params not in camera_ids:
            camera = pycolmap.Camera(model="PINHOLE", width=width, height=height, params=list(params),
                                     camera_id=len(camera_ids) + 1)
            reconstruction.add_camera_with_trivial_rig(camera)
            camera_ids[params] = camera.camera_id
        pose = pycolmap.Rigid3d(pycolmap.Rotation3d(np.asarray(E[:3, :3])), np.asarray(E[:3, 3]))
        image = pycolmap.Image(name=name, camera_id=camera_ids[params], image_id=index + 1)
        reconstruction.add_image_with_trivial_frame(image, pose)
    if points is not None and len(points):
        colors = points.colors if points.colors is not None else np.full((len(points), 3), 128, np.uint8)
        for xyz, rgb in zip(points.points.astype(np.float64), colors):
            reconstruction.add_point3D(xyz, pycolmap.Track(), rgb)
    return reconstruction
