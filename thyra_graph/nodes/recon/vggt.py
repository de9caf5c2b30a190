"""recon.vggt: cameras, depth and a point cloud from a few photos in one pass of VGGT (optional backend).

VGGT (facebookresearch/vggt) is not on PyPI and not in transformers: it installs from its git
repository, and its weights are a gated download. The node is therefore listed as unavailable
until ``vggt`` imports, and reads weights only through ``locate_model`` (a local folder, a
THYRA_MODELS_DIR entry or the Hugging Face cache).

The decoding of VGGT's outputs is our own (:func:`decode_pose_encoding`, :func:`reconstruction`),
so it is tested on arrays shaped and encoded exactly as VGGT returns them:

- ``pose_enc`` S×9 (batch dropped): translation (3), rotation quaternion XYZW (4), field of view
  vertical then horizontal (2), radians; camera-from-world in OpenCV axes, the ``Cameras``
  convention; the principal point is the image centre;
- ``depth`` S×h×w×1 camera-space z and ``depth_conf`` S×h×w (higher = surer);
- ``world_points`` S×h×w×3 and ``world_points_conf`` S×h×w.

VGGT normalises the scene's scale (the first camera at the origin, mean point distance about one),
so every output is in relative units, never metres.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from thyra_graph.engine.declaration import Input, NodeError, Output, Param, node
from thyra_graph.types import Cameras, Field, FrameSeries, Image, PointCloud

from ..models.device import pick_device, pick_dtype
from ..models.loading import ModelIdentity, load_model, unload_model
from ..models.params import runtime_params
from ..models.weights import locate_model
from ..models.needs import hub_models
from .camera_math import depth_to_points

DEFAULT_MODEL = "facebook/VGGT-1B"
INSTALL = "pip install 'vggt @ git+https://github.com/facebookresearch/vggt' (it pins numpy<2: use a separate environment if that clashes)"
HOW_TO_GET = (
    "The weights are gated on Hugging Face: accept the licence at https://huggingface.co/facebook/VGGT-1B "
    "(non-commercial) or https://huggingface.co/facebook/VGGT-1B-Commercial, then `hf download facebook/VGGT-1B`, "
    "or put the downloaded folder under THYRA_MODELS_DIR (as <dir>/facebook--VGGT-1B) and give its id or path in 'model'")
POINT_SOURCES = ("depth", "point_map")
PATCH = 14  # VGGT's image sides must be multiples of its ViT patch


def decode_pose_encoding(pose_enc: np.ndarray, image_size_hw: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """``(extrinsics S×3×4, intrinsics S×3×3)`` from VGGT's S×9 ``absT_quaR_FoV`` encoding for
    images of ``image_size_hw`` pixels (the size VGGT saw)."""
    from scipy.spatial.transform import Rotation

    pose_enc = np.asarray(pose_enc, dtype=np.float64).reshape(-1, 9)
    height, width = image_size_hw
    rotations = Rotation.from_quat(pose_enc[:, 3:7]).as_matrix()  # scipy's order is x, y, z, w too
    extrinsics = np.concatenate([rotations, pose_enc[:, :3, None]], axis=2)
    intrinsics = np.zeros((len(pose_enc), 3, 3))
    intrinsics[:, 0, 0] = (width / 2) / np.tan(pose_enc[:, 8] / 2)
    intrinsics[:, 1, 1] = (height / 2) / np.tan(pose_enc[:, 7] / 2)
    intrinsics[:, 0, 2], intrinsics[:, 1, 2], intrinsics[:, 2, 2] = width / 2, height / 2, 1.0
    return extrinsics, intrinsics


def model_size(height: int, width: int, resolution: int) -> tuple[int, int]:
    """The ``(h, w)`` VGGT runs at: the longer side ``resolution``, the other scaled and rounded to a multiple of 14."""
    if width >= height:
        return max(PATCH, round(height * resolution / width / PATCH) * PATCH), resolution
    return resolution, max(PATCH, round(width * resolution / height / PATCH) * PATCH)


@dataclass
class Reconstruction:
    """VGGT's answer mapped back onto the input images' pixel grid."""

    cameras: Cameras
    depths: list[np.ndarray]  # H×W camera-space z, relative units
    confidences: list[np.ndarray]  # H×W
    cloud: PointCloud


#: What runs the network: S×3×h×w float32 RGB in [0, 1] → VGGT's output arrays (batch dropped).
Predictor = Callable[[np.ndarray], dict[str, np.ndarray]]


def reconstruction(images: list[np.ndarray], predict: Predictor, *, names: list[str], resolution: int = 518,
                   points_from: str = "depth", keep_percent: float = 50.0, min_confidence: float = 1.0) -> Reconstruction:
    """Run ``predict`` on the images resized for VGGT, decode cameras, depth and points, and map
    them back to the images' own size. The cloud keeps the ``keep_percent`` most confident pixels
    (and none below ``min_confidence``; VGGT's confidences start at 1)."""
    import cv2

    height, width = images[0].shape[:2]
    h, w = model_size(height, width, resolution)
    batch = np.stack([cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA if w < width else cv2.INTER_CUBIC)
                      for image in images]).astype(np.float32) / 255.0
    out = predict(np.ascontiguousarray(batch.transpose(0, 3, 1, 2)))
    extrinsics, intrinsics = decode_pose_encoding(out["pose_enc"], (h, w))
    # The same cameras seen at the input size: focal lengths and principal point scale with the image.
    scale = np.diag([width / w, height / h, 1.0])
    intrinsics = scale @ intrinsics
    intrinsics[:, 0, 2], intrinsics[:, 1, 2] = width / 2, height / 2
    cameras = Cameras(intrinsics, extrinsics, (width, height), names)
    depths = [cv2.resize(np.asarray(d, np.float32).reshape(h, w), (width, height), interpolation=cv2.INTER_NEAREST)
              for d in out["depth"]]
    conf_key = "depth_conf" if points_from == "depth" else "world_points_conf"
    confidences = [cv2.resize(np.asarray(c, np.float32), (width, height), interpolation=cv2.INTER_NEAREST)
                   for c in out["depth_conf"]]
    source_conf = np.asarray(out[conf_key], np.float32).reshape(len(images), h, w)
    threshold = max(float(np.percentile(source_conf, 100.0 - keep_percent)), min_confidence)
    points, colors, conf = [], [], []
    for index, image in enumerate(images):
        small = cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA if w < width else cv2.INTER_CUBIC)
        keep = source_conf[index] >= threshold
        if points_from == "depth":
            depth = np.asarray(out["depth"][index], np.float64).reshape(h, w)
            view_points, flat = depth_to_points(depth, np.linalg.inv(scale) @ intrinsics[index], extrinsics[index], mask=keep)
        else:
            world = np.asarray(out["world_points"][index], np.float64).reshape(h * w, 3)
            flat = np.flatnonzero(keep.ravel() & np.isfinite(world).all(axis=1))
            view_points = world[flat]
        points.append(view_points)
        colors.append(small.reshape(-1, 3)[flat])
        conf.append(source_conf[index].ravel()[flat])
    cloud = PointCloud(np.concatenate(points).astype(np.float32), np.concatenate(colors).astype(np.uint8),
                       confidence=np.concatenate(conf).astype(np.float32))
    return Reconstruction(cameras, depths, confidences, cloud)


def load_vggt(ctx, *, model: str, device: str, precision: str) -> tuple[Predictor, tuple, str]:
    """A predictor running VGGT ``model`` (loaded once per process), its resource key and device."""
    try:
        import torch
        from vggt.models.vggt import VGGT
    except ImportError as exc:
        raise NodeError(f"recon.vggt needs the vggt package ({exc.name} is missing): {INSTALL}") from None
    path = locate_model(model, ctx=ctx, what="the VGGT model", how_to_get=HOW_TO_GET,
                        allow_patterns=("*.json", "*.safetensors"))
    where = pick_device(device)
    dtype = pick_dtype(where, precision)
    key = ModelIdentity.of("vggt", path, backend="vggt", device=where)

    def load():
        try:
            return VGGT.from_pretrained(str(path)).to(where).eval()
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise NodeError(f"cannot load the VGGT model {model!r} from {str(path)!r}: {reason}. {HOW_TO_GET}") from None

    network = load_model(ctx, key, load)

    def predict(batch: np.ndarray) -> dict[str, np.ndarray]:
        with torch.inference_mode(), torch.autocast(device_type=where.split(":")[0], dtype=dtype,
                                                    enabled=dtype != torch.float32):
            out = network(torch.from_numpy(batch).to(where))
        names = ("pose_enc", "depth", "depth_conf", "world_points", "world_points_conf")
        return {name: out[name][0].float().cpu().numpy() for name in names}

    return predict, key, where


def views_of(frames: FrameSeries) -> tuple[list[np.ndarray], list[str]]:
    """The RGB images of ``frames`` (at least two, all one size) and a name for each."""
    images = [item for item in frames.items]
    if len(images) < 2 or not all(isinstance(image, Image) for image in images):
        raise NodeError(f"recon.vggt needs a FrameSeries of at least two images; got {len(images)} item(s) of "
                        f"{', '.join(sorted({type(i).__name__ for i in images})) or 'nothing'}")
    rgb = [image.as_uint8_rgb() for image in images]
    sizes = sorted({image.shape[1::-1] for image in rgb})
    if len(sizes) > 1:
        raise NodeError(f"recon.vggt: the views have different sizes ({', '.join(f'{w}×{h}' for w, h in sizes)}); "
                        "resize them to one size first (image.resize)")
    return rgb, [f"frame_{int(frame):06d}" for frame in frames.frames]


@node(
    "recon.vggt", title="VGGT", category="recon", device="gpu", requires=("torch", "vggt"), install=INSTALL,
    models=hub_models("model", backend="vggt", files=("*.json", "*.safetensors"), gated=True),
    inputs=[Input("frames", FrameSeries, help="the views of one scene (2 to a few dozen photos or frames), one size")],
    params=[
        Param("model", DEFAULT_MODEL, help="VGGT weights: Hugging Face id or local folder (THYRA_MODELS_DIR is searched); never downloaded without a licence"),
        Param("resolution", 518, min=PATCH, max=1036, step=PATCH, help="longer image side VGGT runs at, a multiple of 14 (518 is what it was trained at)"),
        Param("points_from", "depth", choices=POINT_SOURCES, help="depth: unproject the depth maps through the cameras (more accurate); point_map: VGGT's own point head"),
        Param("keep_percent", 50.0, min=1.0, max=100.0, step=5.0, help="the point cloud keeps this percentage of the most confident pixels"),
        *runtime_params(),
    ],
    outputs=[
        Output("cameras", Cameras, help="one camera per view (world = first camera's frame, relative scale), at the input size"),
        Output("depths", FrameSeries, help="per view a Field: layer 'depth' (camera z, units 'relative') and 'confidence'"),
        Output("cloud", PointCloud, help="coloured points of the most confident pixels, with their confidence (relative units)"),
    ],
)
def vggt(frames: FrameSeries, *, model: str, resolution: int, points_from: str, keep_percent: float, device: str,
         precision: str, unload: bool, ctx) -> dict:
    """Cameras, depth maps and a point cloud from a few views in one network pass (VGGT; optional).

    Scale is normalised, not metric: align to known geometry with recon.align_depth, or scale
    the result by a known distance. Needs the vggt package and its gated weights (see the error
    message for the commands).

    Example: ``{type: recon.vggt, inputs: {frames: views.frames}, params: {keep_percent: 40}}``
    """
    if resolution % PATCH:
        raise NodeError(f"recon.vggt: resolution must be a multiple of {PATCH}, got {resolution}; use {round(resolution / PATCH) * PATCH}")
    rgb, names = views_of(frames)
    predict, key, where = load_vggt(ctx, model=model, device=device, precision=precision)
    try:
        result = reconstruction(rgb, predict, names=names, resolution=resolution, points_from=points_from,
                                keep_percent=keep_percent)
    finally:
        if unload:
            unload_model(ctx, key)
    fields = [Field({"depth": d, "confidence": c}, meta={"units": "relative", "model": model})
              for d, c in zip(result.depths, result.confidences)]
    if not len(result.cloud):
        raise NodeError("recon.vggt: no pixel passed the confidence filter; raise keep_percent")
    return {"cameras": result.cameras,
            "depths": FrameSeries(frames.frames.copy(), frames.times.copy(), fields, Field),
            "cloud": result.cloud}
