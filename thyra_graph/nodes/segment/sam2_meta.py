"""SAM 2 through Meta's reference package (``sam2``: hydra config + ``.pt`` checkpoint).

The model is built from a config inside the package (``configs/sam2.1/sam2.1_hiera_t.yaml``) or
a local ``.yaml`` of the same structure, and its weights come from ``torch.load(weights_only=True)``
of ``{"model": state_dict}``, the format Meta publishes; nothing else is unpickled. Embedding is
``SAM2ImagePredictor.set_image``; its ``_features`` are what is cached, and decoding puts them back
into the predictor and calls ``predict``.
"""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path

import numpy as np

from thyra_graph.engine.declaration import NodeError

from .segmenter import ImageEmbedding, Prediction, checked_prompt

#: SAM 2's post-processing as sam2.build_sam applies it: fall back to the multimask output
#: when the single mask is unstable.
POSTPROCESSING = {"dynamic_multimask_via_stability": True, "dynamic_multimask_stability_delta": 0.05,
                  "dynamic_multimask_stability_thresh": 0.98}

SIZES_HINT = ("tiny ↔ configs/sam2.1/sam2.1_hiera_t.yaml, small ↔ _s, base-plus ↔ _b+, large ↔ _l; "
              "SAM 2.0 checkpoints need the configs/sam2/ ones")


def load_config(config: str, overrides: dict | None = None):
    """The model config: a local .yaml (absolute path) or a config name inside the sam2 package,
    with ``overrides`` (dotted keys) applied, checked to build nothing outside the sam2 package."""
    from omegaconf import OmegaConf

    if Path(config).is_absolute():
        try:
            cfg = OmegaConf.load(config)
        except Exception as exc:  # noqa: BLE001 - YAML and OmegaConf errors alike
            raise NodeError(f"cannot read the SAM 2 config {config!r}: {exc}") from None
    else:
        import sam2  # noqa: F401 - importing it registers the package's configs with hydra
        from hydra import compose

        cfg = compose(config_name=config)
    if "model" not in cfg:
        raise NodeError(f"the SAM 2 config {config!r} has no 'model' section: use a config shaped like the sam2 "
                        "package's configs/sam2.1/sam2.1_hiera_t.yaml")
    OmegaConf.set_struct(cfg, False)
    extra = cfg.model.get("sam_mask_decoder_extra_args") or {}
    cfg.model.sam_mask_decoder_extra_args = {**dict(extra), **POSTPROCESSING}
    for dotted, value in (overrides or {}).items():
        OmegaConf.update(cfg, dotted, value, force_add=True)
    OmegaConf.resolve(cfg)
    check_targets(OmegaConf.to_container(cfg.model), config)
    return cfg


def build_model(checkpoint: Path, config: str, overrides: dict | None = None):
    """Meta's model built from ``config`` (see :func:`load_config`) with the checkpoint's weights."""
    import warnings

    from hydra.utils import instantiate

    # Without its optional CUDA extension (SAM2_BUILD_CUDA=0) sam2 warns on every frame that it
    # skips filling small holes in masks; that is expected here, and said once in the README.
    warnings.filterwarnings("ignore", message=r"cannot import name '_C' from 'sam2'", category=UserWarning)

    cfg = load_config(config, overrides)
    try:
        model = instantiate(cfg.model, _recursive_=True)
    except Exception as exc:  # noqa: BLE001 - hydra wraps whatever the constructors raise
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise NodeError(f"cannot build SAM 2 from config {config!r}: {reason}") from None
    load_state_dict(model, checkpoint, config)
    return model


def check_targets(node, config: str) -> None:
    """Refuse configs that would instantiate anything outside the sam2 package (a YAML must not run code)."""
    if isinstance(node, dict):
        target = node.get("_target_")
        if target is not None and not str(target).startswith("sam2."):
            raise NodeError(f"the SAM 2 config {config!r} names {target!r}; only sam2.* classes may be built from it")
        for value in node.values():
            check_targets(value, config)
    elif isinstance(node, list):
        for value in node:
            check_targets(value, config)


def load_state_dict(model, checkpoint: Path, config: str) -> None:
    import torch

    try:
        payload = torch.load(str(checkpoint), map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - corrupt zip, pickled objects refused by weights_only, ...
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise NodeError(f"cannot read the SAM 2 checkpoint {str(checkpoint)!r}: {reason}. It must be one of Meta's "
                        "sam2*.pt files ({'model': state_dict})") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("model"), dict):
        raise NodeError(f"{str(checkpoint)!r} is not a SAM 2 checkpoint: Meta's files hold {{'model': state_dict}}")
    try:
        missing, unexpected = model.load_state_dict(payload["model"], strict=False)
    except RuntimeError as exc:  # weights of another shape: another model size
        missing, unexpected = [str(exc).splitlines()[0]], []
    if missing or unexpected:
        raise NodeError(f"the SAM 2 checkpoint {Path(checkpoint).name!r} does not fit config {config!r} "
                        f"({len(missing)} weights missing or of another shape, {len(unexpected)} unexpected): "
                        f"pick the config of the same size ({SIZES_HINT})")


class MetaSegmenter:
    """A :class:`~thyra_graph.nodes.segment.segmenter.Segmenter` on Meta's ``SAM2ImagePredictor``."""

    backend = "sam2"

    def __init__(self, predictor, *, key: str, device: str, dtype) -> None:
        self.predictor = predictor
        self.key = key
        self.device = device
        self.dtype = dtype
        # The predictor holds one image's features at a time: embed/decode must not interleave.
        self._lock = threading.Lock()

    @classmethod
    def load(cls, checkpoint: Path, config: str, *, key: str, device: str, dtype) -> "MetaSegmenter":
        from sam2.sam2_image_predictor import SAM2ImagePredictor

        model = build_model(checkpoint, config).to(device).eval()
        predictor = SAM2ImagePredictor(model)
        side = int(model.image_size)
        # The predictor assumes a 1024 input; these are the feature sizes for this model's input.
        predictor._bb_feat_sizes = [(side // 4, side // 4), (side // 8, side // 8), (side // 16, side // 16)]
        return cls(predictor, key=key, device=device, dtype=dtype)

    def embed(self, rgb: np.ndarray) -> ImageEmbedding:
        import torch

        with self._lock, torch.inference_mode(), self._autocast():
            self.predictor.set_image(np.ascontiguousarray(rgb))
            features = self.predictor._features
            arrays = {
                "high_res_0": features["high_res_feats"][0][0].float().cpu().numpy(),
                "high_res_1": features["high_res_feats"][1][0].float().cpu().numpy(),
                "image_embed": features["image_embed"][0].float().cpu().numpy(),
            }
            self.predictor.reset_predictor()
        return ImageEmbedding(arrays, int(rgb.shape[0]), int(rgb.shape[1]), self.key, {"backend": self.backend})

    def decode(self, embedding: ImageEmbedding, *, points: np.ndarray | None = None,
               point_labels: np.ndarray | None = None, box: np.ndarray | None = None,
               multimask: bool = False) -> Prediction:
        import torch

        points, point_labels, box = checked_prompt(embedding, self.key, points, point_labels, box)

        def tensor(name: str):
            return torch.from_numpy(embedding.arrays[name])[None].to(self.device)

        with self._lock, torch.inference_mode(), self._autocast():
            predictor = self.predictor
            predictor._features = {"image_embed": tensor("image_embed"),
                                   "high_res_feats": [tensor("high_res_0"), tensor("high_res_1")]}
            predictor._orig_hw = [(embedding.height, embedding.width)]
            predictor._is_image_set = True
            predictor._is_batch = False
            try:
                masks, scores, _ = predictor.predict(
                    point_coords=None if points is None else points.astype(np.float32),
                    point_labels=None if point_labels is None else point_labels.astype(np.int32),
                    box=None if box is None else box.astype(np.float32),
                    multimask_output=multimask)
            finally:
                predictor.reset_predictor()
        masks = np.asarray(masks).reshape(-1, embedding.height, embedding.width) > 0.5
        scores = np.asarray(scores, np.float32).reshape(-1)
        order = np.argsort(-scores, kind="stable")
        return Prediction(masks[order], scores[order])

    def _autocast(self):
        import torch

        if self.device.startswith("cuda") and self.dtype != torch.float32:
            return torch.autocast("cuda", dtype=self.dtype)
        return contextlib.nullcontext()
