"""count.learned_density: a CSRNet/MCNN-style density network run from a local checkpoint."""

from __future__ import annotations

import os
from pathlib import Path as FsPath

import numpy as np

from thyra_graph.engine.declaration import Input, NodeError, Output, Param, node
from thyra_graph.types import DensityMap, Image, Number

from ..models.device import pick_device
from ..models.loading import ModelIdentity, load_model
from ..models.params import runtime_params

from .intensity import rgb8

HOW_TO_GET_WEIGHTS = (
    "Thyra ships no weights. Train a network on a few of your annotated images with "
    "thyra_graph.nodes.count.density_net.train_density_net(samples) and save it with save_checkpoint(model, "
    "'model.safetensors'), or use a CSRNet state_dict from the reference implementation "
    "(github.com/leeyeehoo/CSRNet-pytorch), which loads as is. Relative paths are resolved against the graph "
    "file's folder; THYRA_MODELS_DIR is searched for bare file names")


def resolve_checkpoint(path: str) -> FsPath:
    """The checkpoint file, also looked up in THYRA_MODELS_DIR; a NodeError explains a missing one."""
    file = FsPath(path).expanduser()
    if not file.is_file():
        models_dir = os.environ.get("THYRA_MODELS_DIR")
        candidate = FsPath(models_dir).expanduser() / file.name if models_dir else None
        if candidate is not None and candidate.is_file():
            return candidate
        raise NodeError(f"no density-network checkpoint at {str(file)!r}"
                        + (f" (nor {str(candidate)!r})" if candidate is not None else "")
                        + f": count.learned_density needs one (.safetensors or .pt). {HOW_TO_GET_WEIGHTS}.")
    return file


def spread_to_image(low: np.ndarray, height: int, width: int) -> np.ndarray:
    """A reduced-resolution density brought to image size with its integral unchanged."""
    import cv2

    total = float(low.sum(dtype=np.float64))
    if total <= 0:
        return np.zeros((height, width), np.float32)
    full = cv2.resize(low, (width, height), interpolation=cv2.INTER_LINEAR)
    np.clip(full, 0.0, None, out=full)
    return full * np.float32(total / float(full.sum(dtype=np.float64)))


@node(
    "count.learned_density", category="count", device="gpu", requires=("torch", "safetensors"),
    inputs=[Input("image", Image)],
    params=[
        Param("checkpoint", "models/density.safetensors", kind="path", io="read",
              help="the network's weights: .safetensors (config in its metadata) or .pt ({'config', 'state_dict'})"),
        *runtime_params(precision=False, unload=False),
    ],
    outputs=[
        Output("density", DensityMap, help="the predicted density at image size; its sum is the count"),
        Output("count", Number, help="the predicted number of objects (the density's sum, not rounded)"),
    ],
)
def learned_density(image: Image, *, checkpoint: str, device: str, ctx) -> dict:
    """Estimate a crowd's count with a density network (CSRNet or MCNN) from a local checkpoint.

    For scenes too dense to separate objects: the network predicts how much object there is
    per pixel and the sum is the count. The model is loaded once per process and reused.

    Example: ``{type: count.learned_density, inputs: {image: load.image}, params: {checkpoint: models/birds.safetensors}}``
    """
    from .density_net import CheckpointError, load_checkpoint, predict_density

    file = resolve_checkpoint(checkpoint)
    where = pick_device(device)
    key = ModelIdentity.of("density_net", file, backend="torch", device=where)

    def load():
        try:
            return load_checkpoint(file, device=where)
        except CheckpointError as exc:
            raise NodeError(f"cannot use {str(file)!r} as a density network: {exc}. {HOW_TO_GET_WEIGHTS}.") from None

    model = load_model(ctx, key, load)
    rgb = rgb8(image.data)
    low = predict_density(model, rgb)
    if not np.isfinite(low).all():
        raise NodeError(f"the network in {file.name} produced NaN or infinite densities: the checkpoint is "
                        "damaged or was trained with another input normalisation")
    count = float(low.sum(dtype=np.float64))
    density = spread_to_image(low, rgb.shape[0], rgb.shape[1])
    config = getattr(model, "config", {})
    meta = {"checkpoint": str(file), "arch": config.get("arch", "csrnet"), "device": where}
    return {"density": DensityMap(density, meta), "count": Number(count)}
