"""The tiny ``facebook/sam2.1-hiera-tiny`` as the hub really ships it: a ``Sam2VideoModel``.

The real hub repository holds one checkpoint of model type ``sam2_video`` (image encoder, prompt
encoder, mask decoder *and* the memory modules) with a ``Sam2VideoProcessor``; transformers loads
it as ``Sam2VideoModel`` for video and as ``Sam2Model`` for images (dropping the memory weights).
This builder gives the tiny folder that same layout, so the image nodes and ``segment.sam2_video``
read one model. Sizes follow ``tiny_models.sam2`` (256×256 input, 16-wide Hiera with one or two
blocks per stage) except the widths the video model fixes: transformers hard-codes 64 memory
channels in the memory attention, and the object pointers need a wider model (128) than the
memory, so the FPN, prompt encoder and mask decoder are 128 wide here.

Runs after ``tiny_models.sam2`` (modules install in name order) and replaces its image-only
``Sam2Model`` folder when it finds one. It also rebuilds that module's Meta checkpoint when its
config leaves the memory encoder at the package's 256 channels (``in_dim`` and the mask
downsampler's ``embed_dim`` must equal the 32-wide ``d_model``, or the video predictor fails on
its first memory encoding).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from tiny_models import sam2 as image_models
from tiny_models.sam2 import IMAGE_SIZE, TRANSFORMERS_NAME

_MEMORY_IN_DIM = re.compile(r"^\s+in_dim:", re.MULTILINE)  # not kv_in_dim
WIDTH = 128  # > the 64 memory channels transformers' Sam2VideoModel hard-codes


def install(models_dir: Path) -> None:
    folder = Path(models_dir) / TRANSFORMERS_NAME
    config = folder / "config.json"
    if not (config.is_file() and json.loads(config.read_text(encoding="utf-8")).get("model_type") == "sam2_video"):
        if folder.exists():
            shutil.rmtree(folder)
        build_video_model(folder)
    meta_config = image_models.tiny_meta_config(models_dir)
    if not meta_config.is_file() or not _MEMORY_IN_DIM.search(meta_config.read_text(encoding="utf-8")):
        build_meta_video(image_models.tiny_meta_checkpoint(models_dir), meta_config)


def build_meta_video(checkpoint: Path, config: Path, *, seed: int = 0) -> tuple[Path, Path]:
    """``tiny_models.sam2``'s Meta checkpoint and config with the memory encoder at the model's width."""
    import torch
    from hydra.utils import instantiate
    from omegaconf import OmegaConf

    text = image_models.META_YAML.format(size=IMAGE_SIZE, feat=IMAGE_SIZE // 16)
    if not _MEMORY_IN_DIM.search(text):
        text = text.replace("      out_dim: 16\n", "      out_dim: 16\n      in_dim: 32\n")
        text = text.replace("        stride: 2\n        padding: 1\n",
                            "        stride: 2\n        padding: 1\n        embed_dim: 32\n")
    config.write_text(text, encoding="utf-8")
    torch.manual_seed(seed)
    model = instantiate(OmegaConf.load(config).model, _recursive_=True)
    torch.save({"model": model.state_dict()}, checkpoint)
    return checkpoint, config


def tiny_video_config(size: int = IMAGE_SIZE):
    from transformers import Sam2VideoConfig

    feat = size // 16
    return Sam2VideoConfig(
        vision_config=dict(
            model_type="sam2_vision_model",
            backbone_config=dict(
                model_type="sam2_hiera_det_model", hidden_size=16, image_size=[size, size],
                blocks_per_stage=[1, 1, 2, 1], embed_dim_per_stage=[16, 32, 64, 128],
                num_attention_heads_per_stage=[1, 1, 2, 2], window_size_per_stage=[8, 4, 4, 2],
                global_attention_blocks=[3], window_positional_embedding_background_size=[4, 4]),
            backbone_channel_list=[128, 64, 32, 16],
            backbone_feature_sizes=[[size // 4, size // 4], [size // 8, size // 8], [feat, feat]],
            fpn_hidden_size=WIDTH),
        prompt_encoder_config=dict(hidden_size=WIDTH, image_size=size, patch_size=16),
        mask_decoder_config=dict(hidden_size=WIDTH, mlp_dim=64, num_attention_heads=2, iou_head_hidden_dim=32),
        image_size=size, memory_attention_hidden_size=WIDTH, memory_attention_num_layers=1,
        memory_attention_feed_forward_hidden_size=64, memory_attention_rope_feat_sizes=[feat, feat],
        memory_encoder_hidden_size=WIDTH, memory_encoder_output_channels=64,
        mask_downsampler_embed_dim=WIDTH, memory_fuser_embed_dim=WIDTH, memory_fuser_intermediate_dim=64,
        memory_fuser_num_layers=1,
    )


def build_video_model(folder: Path, *, seed: int = 0) -> Path:
    import torch
    from transformers import Sam2VideoModel, Sam2VideoProcessor
    from transformers.models.sam2 import Sam2ImageProcessor
    from transformers.models.sam2_video.video_processing_sam2_video import Sam2VideoVideoProcessor

    torch.manual_seed(seed)
    model = Sam2VideoModel(tiny_video_config()).eval()
    size = {"height": IMAGE_SIZE, "width": IMAGE_SIZE}
    processor = Sam2VideoProcessor(
        Sam2ImageProcessor(size=size, mask_size={"height": IMAGE_SIZE // 4, "width": IMAGE_SIZE // 4}),
        Sam2VideoVideoProcessor(size=size), target_size=IMAGE_SIZE)
    model.save_pretrained(str(folder))
    processor.save_pretrained(str(folder))
    return folder
