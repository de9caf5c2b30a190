"""recon.depth: a depth map from one photo, by a monocular depth network (transformers).

Depth networks come in two kinds, and the output says which one ran:

- metric models (ZoeDepth, Depth Pro, GLPN, Depth Anything "metric" checkpoints) give camera-space
  depth in metres: the Field's layer ``depth``, ``meta.units = "metres"``;
- relative models (DPT / MiDaS, Depth Anything V1/V2 base checkpoints) give *inverse* depth up to
  an unknown scale and shift (large = near): layer ``inverse_depth``, ``meta.units = "relative"``.
  It cannot be turned into depth without that scale and shift; recon.align_depth recovers them
  from SfM points or a known depth map and writes a ``depth`` layer.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any

import numpy as np

from thyra_graph.engine.declaration import Input, NodeError, Output, Param, node
from thyra_graph.types import Field, FrameSeries, Image

from ..models.device import pick_device, pick_dtype
from ..models.loading import ModelIdentity, load_model, unload_model
from ..models.params import runtime_params
from ..models.quiet import quiet_transformers
from ..models.weights import locate_model
from ..models.needs import hub_models

DEFAULT_MODEL = "depth-anything/Depth-Anything-V2-Small-hf"
HOW_TO_GET = (
    "Download it once with `hf download depth-anything/Depth-Anything-V2-Small-hf` (relative depth) or "
    "`hf download depth-anything/Depth-Anything-V2-Metric-Indoor-Small-hf` (metres), or put a folder saved with "
    "save_pretrained under THYRA_MODELS_DIR (as <dir>/depth-anything--Depth-Anything-V2-Small-hf) and give its id "
    "or path in 'model'. Any transformers depth-estimation model works (DPT, Depth Anything, ZoeDepth, Depth Pro). "
    "Needs: pip install torch transformers")
#: Architectures whose raw output is metric depth whatever their config says.
METRIC_MODEL_TYPES = ("zoedepth", "depth_pro", "glpn")


def model_is_metric(config: Any) -> bool:
    """True when the network predicts depth in metres, False for relative inverse depth."""
    if getattr(config, "model_type", "") in METRIC_MODEL_TYPES:
        return True
    return getattr(config, "depth_estimation_type", "relative") == "metric"


@dataclass(eq=False)
class DepthModel:
    """A loaded depth network and its image processor."""

    model: Any
    processor: Any
    device: str
    dtype: Any
    key: tuple
    metric: bool

    def predict(self, rgb: np.ndarray) -> np.ndarray:
        """H×W float32 prediction at the image's own size (metres, or relative inverse depth)."""
        import torch

        height, width = rgb.shape[:2]
        inputs = self.processor(images=np.ascontiguousarray(rgb[:, :, :3]), return_tensors="pt")
        inputs = {name: value.to(self.device, self.dtype) if value.is_floating_point() else value.to(self.device)
                  for name, value in inputs.items()}
        with torch.inference_mode():
            outputs = self.model(**inputs)
        post = getattr(self.processor, "post_process_depth_estimation", None)
        if post is None:
            raw = outputs.predicted_depth.float()[None]
            depth = torch.nn.functional.interpolate(raw, size=(height, width), mode="bicubic", align_corners=False)[0, 0]
        else:
            extra = {"source_sizes": [(height, width)]} if "source_sizes" in inspect.signature(post).parameters else {}
            depth = post(outputs, target_sizes=[(height, width)], **extra)[0]["predicted_depth"]
        return depth.float().cpu().numpy().reshape(height, width).astype(np.float32)


def load_depth_model(ctx, *, model: str = DEFAULT_MODEL, device: str = "auto", precision: str = "auto") -> DepthModel:
    """The depth network ``model`` on ``device``, loaded once per process through ``ctx.resources``."""
    try:
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError as exc:
        raise NodeError(f"recon.depth needs torch and transformers ({exc.name} is missing): "
                        "pip install torch transformers") from None
    path = locate_model(model, ctx=ctx, what="the depth model", how_to_get=HOW_TO_GET)
    where = pick_device(device)
    dtype = pick_dtype(where, precision)
    # The identity holds the weight files' sizes and times: weights replaced in place load afresh.
    key = ModelIdentity.of("depth", path, backend="transformers", device=where, dtype=dtype)

    def load() -> DepthModel:
        from transformers import AutoImageProcessor, AutoModelForDepthEstimation

        try:
            with quiet_transformers():
                processor = AutoImageProcessor.from_pretrained(str(path))
                network = AutoModelForDepthEstimation.from_pretrained(str(path), dtype=dtype).to(where).eval()
        except (OSError, ValueError, KeyError) as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise NodeError(f"cannot load the depth model {model!r} from {str(path)!r}: {reason}. {HOW_TO_GET}") from None
        return DepthModel(network, processor, where, dtype, key, model_is_metric(network.config))

    return load_model(ctx, key, load)


def depth_field(prediction: np.ndarray, *, metric: bool, model: str) -> Field:
    """The prediction as a Field whose layer name and units say what it holds (see the module docstring)."""
    if metric:
        return Field({"depth": prediction}, meta={"units": "metres", "model": model})
    return Field({"inverse_depth": prediction}, meta={"units": "relative", "model": model,
                                                      "note": "inverse depth up to scale and shift: recon.align_depth makes it depth"})


def images_of(image: Image | None, frames: FrameSeries | None) -> list[tuple[int, float, Image]]:
    """``(frame, time, image)`` of the one image or of every frame, with a clear error otherwise."""
    if (image is None) == (frames is None):
        raise NodeError("recon.depth needs exactly one of its inputs: connect 'image' (one photo) or 'frames' "
                        "(a FrameSeries of images, e.g. the views of recon.synthetic_scene)")
    if image is not None:
        return [(0, 0.0, image)]
    views = list(zip(frames.frames.tolist(), frames.times.tolist(), frames.items))
    if not views:
        raise NodeError("recon.depth: the 'frames' input is empty; give at least one image")
    wrong = [type(item).__name__ for _, _, item in views if not isinstance(item, Image)]
    if wrong:
        raise NodeError(f"recon.depth: 'frames' must hold images but holds {wrong[0]}; connect a FrameSeries of Image")
    return views


@node(
    "recon.depth", title="Monocular depth", category="recon", device="gpu", requires=("torch", "transformers"),
    models=hub_models("model"),
    inputs=[
        Input("image", Image, required=False, help="one photo (or connect 'frames')"),
        Input("frames", FrameSeries, required=False, help="several photos or video frames, each estimated on its own"),
    ],
    params=[
        Param("model", DEFAULT_MODEL, help="a transformers depth-estimation model: Hugging Face id or local folder (THYRA_MODELS_DIR is searched)"),
        *runtime_params(),
    ],
    outputs=[
        Output("depth", Field, help="the (first) image's map: layer 'depth' in metres (metric models) or 'inverse_depth', relative (others)"),
        Output("depths", FrameSeries, help="one such Field per input image or frame, on each image's pixel grid"),
    ],
)
def depth(image: Image | None = None, frames: FrameSeries | None = None, *, model: str, device: str, precision: str,
          unload: bool, ctx) -> dict:
    """Estimate depth from single photos with a monocular depth network (Depth Anything, DPT, ZoeDepth, Depth Pro).

    Metric models answer in metres (layer ``depth``); relative ones give inverse depth up to an
    unknown scale and shift (layer ``inverse_depth``, units "relative"), which recon.align_depth
    turns into depth using SfM points or a known depth map. The map has the input's size.

    Example: ``{type: recon.depth, inputs: {image: load.image},
    params: {model: depth-anything/Depth-Anything-V2-Small-hf}}``
    """
    views = images_of(image, frames)
    network = load_depth_model(ctx, model=model, device=device, precision=precision)
    try:
        results = []
        for index, (frame, time, view) in enumerate(views):
            ctx.progress(index, len(views), "estimating depth")
            results.append((frame, time, depth_field(network.predict(view.as_uint8_rgb()), metric=network.metric,
                                                     model=model)))
    finally:
        if unload:
            unload_model(ctx, network.key)
    return {"depth": results[0][2], "depths": FrameSeries.from_items(results, item_type=Field)}
