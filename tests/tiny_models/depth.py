"""Tiny randomly initialised Depth Anything models saved under the real hub ids (no download).

``depth-anything--Depth-Anything-V2-Small-hf``: relative (inverse) depth, the recon.depth default;
``depth-anything--Depth-Anything-V2-Metric-Indoor-Small-hf``: the metric variant (metres).
Same architecture and files as the real checkpoints (config.json, model.safetensors,
preprocessor_config.json) with a DINOv2 backbone of a few thousand parameters; recon.depth loads
them through its real loading code. Their answers are random; tests check the data path.
"""

from __future__ import annotations

from pathlib import Path

RELATIVE = "depth-anything--Depth-Anything-V2-Small-hf"
METRIC = "depth-anything--Depth-Anything-V2-Metric-Indoor-Small-hf"
IMAGE_SIZE = 28


def _save(target: Path, *, metric: bool) -> None:
    import torch
    from transformers import DepthAnythingConfig, DepthAnythingForDepthEstimation, DPTImageProcessor, Dinov2Config

    if (target / "config.json").exists():
        return
    backbone = Dinov2Config(hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=32,
                            patch_size=14, image_size=IMAGE_SIZE, out_indices=[1, 2], reshape_hidden_states=False)
    config = DepthAnythingConfig(backbone_config=backbone, reassemble_hidden_size=16, neck_hidden_sizes=[8, 16],
                                 reassemble_factors=[2, 1], fusion_hidden_size=8, head_hidden_size=8,
                                 depth_estimation_type="metric" if metric else "relative", max_depth=10)
    torch.manual_seed(0)
    DepthAnythingForDepthEstimation(config).eval().save_pretrained(str(target))
    DPTImageProcessor(size={"height": IMAGE_SIZE, "width": IMAGE_SIZE}, keep_aspect_ratio=True,
                      ensure_multiple_of=14, do_pad=False).save_pretrained(str(target))


def install(models_dir: Path) -> None:
    _save(Path(models_dir) / RELATIVE, metric=False)
    _save(Path(models_dir) / METRIC, metric=True)
