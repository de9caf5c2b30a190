"""Tiny randomly initialised SAM 2 models for both backends (no download, built in well under a second).

``install(models_dir)`` writes, in the layout the real weights have:

- ``facebook--sam2.1-hiera-tiny/``: what the hub really ships under that id, a transformers
  ``Sam2VideoModel`` checkpoint (image encoder, prompt encoder, mask decoder *and* the memory
  modules) with a ``Sam2VideoProcessor`` (``save_pretrained``); transformers loads it as
  ``Sam2VideoModel`` for video and as ``Sam2Model`` for images, so ``model:
  facebook/sam2.1-hiera-tiny`` finds one model for both through ``THYRA_MODELS_DIR``. Same
  architecture as hiera-tiny, shrunk: 256×256 input, 16-wide Hiera with one or two blocks per
  stage; the FPN, prompt encoder and mask decoder are 128 wide, because transformers hard-codes
  64 memory channels and the object pointers need a wider model than the memory.
- ``sam2.1_hiera_tiny.pt`` + ``sam2.1_hiera_tiny_tiny.yaml``: Meta's format (``{"model": state_dict}``
  saved with torch.save, and a hydra config with the structure of the package's
  ``configs/sam2.1/sam2.1_hiera_t.yaml`` at the same shrunk sizes, memory modules included so the
  video predictor builds too: the memory encoder's ``in_dim`` and the mask downsampler's
  ``embed_dim`` equal the 32-wide ``d_model``). Use ``backend: sam2, model: sam2.1_hiera_tiny.pt,
  config: <models_dir>/sam2.1_hiera_tiny_tiny.yaml``.
"""

from __future__ import annotations

from pathlib import Path

TRANSFORMERS_NAME = "facebook--sam2.1-hiera-tiny"
META_CHECKPOINT = "sam2.1_hiera_tiny.pt"
META_CONFIG = "sam2.1_hiera_tiny_tiny.yaml"
IMAGE_SIZE = 256  # the model's input side: 4× smaller than the real 1024
WIDTH = 128  # > the 64 memory channels transformers' Sam2VideoModel hard-codes


def tiny_transformers_dir(models_dir: Path) -> Path:
    """The save_pretrained folder of the tiny transformers model under ``models_dir``."""
    return Path(models_dir) / TRANSFORMERS_NAME


def tiny_meta_checkpoint(models_dir: Path) -> Path:
    return Path(models_dir) / META_CHECKPOINT


def tiny_meta_config(models_dir: Path) -> Path:
    return Path(models_dir) / META_CONFIG


def install(models_dir: Path) -> None:
    models_dir = Path(models_dir)
    models_dir.mkdir(parents=True, exist_ok=True)
    if not (tiny_transformers_dir(models_dir) / "config.json").is_file():
        build_transformers(tiny_transformers_dir(models_dir))
    if not tiny_meta_checkpoint(models_dir).is_file():
        build_meta(tiny_meta_checkpoint(models_dir), tiny_meta_config(models_dir))


def tiny_transformers_config(size: int = IMAGE_SIZE):
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


def always_sees_an_object(last_layer) -> None:
    """Bias the object-score head so the random model always answers "the object is there".

    SAM 2.1 blanks every mask of a frame where it scores the object absent; with random weights
    that score is a coin toss, and a tiny model that saw nothing would let video tests and
    benchmarks pass without tracking anything. The masks themselves stay random.
    """
    import torch

    with torch.no_grad():
        last_layer.bias.fill_(10.0)


def build_transformers(folder: Path, *, seed: int = 0) -> Path:
    import torch
    from transformers import Sam2VideoModel, Sam2VideoProcessor
    from transformers.models.sam2 import Sam2ImageProcessor
    from transformers.models.sam2_video.video_processing_sam2_video import Sam2VideoVideoProcessor

    torch.manual_seed(seed)
    model = Sam2VideoModel(tiny_transformers_config()).eval()
    always_sees_an_object(model.mask_decoder.pred_obj_score_head.proj_out)
    size = {"height": IMAGE_SIZE, "width": IMAGE_SIZE}
    processor = Sam2VideoProcessor(
        Sam2ImageProcessor(size=size, mask_size={"height": IMAGE_SIZE // 4, "width": IMAGE_SIZE // 4}),
        Sam2VideoVideoProcessor(size=size), target_size=IMAGE_SIZE)
    model.save_pretrained(str(folder))
    processor.save_pretrained(str(folder))
    return folder


META_YAML = """\
# @package _global_
# sam2.1_hiera_t.yaml from the sam2 package, shrunk for tests: {size}x{size} input, 16-wide Hiera, d_model 32.
model:
  _target_: sam2.modeling.sam2_base.SAM2Base
  image_encoder:
    _target_: sam2.modeling.backbones.image_encoder.ImageEncoder
    scalp: 1
    trunk:
      _target_: sam2.modeling.backbones.hieradet.Hiera
      embed_dim: 16
      num_heads: 1
      stages: [1, 1, 2, 1]
      global_att_blocks: [3]
      window_pos_embed_bkg_spatial_size: [4, 4]
      window_spec: [8, 4, 4, 2]
    neck:
      _target_: sam2.modeling.backbones.image_encoder.FpnNeck
      position_encoding:
        _target_: sam2.modeling.position_encoding.PositionEmbeddingSine
        num_pos_feats: 32
        normalize: true
        scale: null
        temperature: 10000
      d_model: 32
      backbone_channel_list: [128, 64, 32, 16]
      fpn_top_down_levels: [2, 3]
      fpn_interp_model: nearest
  memory_attention:
    _target_: sam2.modeling.memory_attention.MemoryAttention
    d_model: 32
    pos_enc_at_input: true
    layer:
      _target_: sam2.modeling.memory_attention.MemoryAttentionLayer
      activation: relu
      dim_feedforward: 64
      dropout: 0.1
      pos_enc_at_attn: false
      self_attention:
        _target_: sam2.modeling.sam.transformer.RoPEAttention
        rope_theta: 10000.0
        feat_sizes: [{feat}, {feat}]
        embedding_dim: 32
        num_heads: 1
        downsample_rate: 1
        dropout: 0.1
      d_model: 32
      pos_enc_at_cross_attn_keys: true
      pos_enc_at_cross_attn_queries: false
      cross_attention:
        _target_: sam2.modeling.sam.transformer.RoPEAttention
        rope_theta: 10000.0
        feat_sizes: [{feat}, {feat}]
        rope_k_repeat: True
        embedding_dim: 32
        num_heads: 1
        downsample_rate: 1
        dropout: 0.1
        kv_in_dim: 16
    num_layers: 1
  memory_encoder:
      _target_: sam2.modeling.memory_encoder.MemoryEncoder
      out_dim: 16
      in_dim: 32
      position_encoding:
        _target_: sam2.modeling.position_encoding.PositionEmbeddingSine
        num_pos_feats: 16
        normalize: true
        scale: null
        temperature: 10000
      mask_downsampler:
        _target_: sam2.modeling.memory_encoder.MaskDownSampler
        kernel_size: 3
        stride: 2
        padding: 1
        embed_dim: 32
      fuser:
        _target_: sam2.modeling.memory_encoder.Fuser
        layer:
          _target_: sam2.modeling.memory_encoder.CXBlock
          dim: 32
          kernel_size: 7
          padding: 3
          layer_scale_init_value: 1e-6
          use_dwconv: True
        num_layers: 1
  num_maskmem: 7
  image_size: {size}
  sigmoid_scale_for_mem_enc: 20.0
  sigmoid_bias_for_mem_enc: -10.0
  use_mask_input_as_output_without_sam: true
  directly_add_no_mem_embed: true
  no_obj_embed_spatial: true
  use_high_res_features_in_sam: true
  multimask_output_in_sam: true
  iou_prediction_use_sigmoid: True
  use_obj_ptrs_in_encoder: true
  add_tpos_enc_to_obj_ptrs: true
  proj_tpos_enc_in_obj_ptrs: true
  use_signed_tpos_enc_to_obj_ptrs: true
  only_obj_ptrs_in_the_past_for_eval: true
  pred_obj_scores: true
  pred_obj_scores_mlp: true
  fixed_no_obj_ptr: true
  multimask_output_for_tracking: true
  use_multimask_token_for_obj_ptr: true
  multimask_min_pt_num: 0
  multimask_max_pt_num: 1
  use_mlp_for_obj_ptr_proj: true
  compile_image_encoder: False
"""


def build_meta(checkpoint: Path, config: Path, *, seed: int = 0) -> tuple[Path, Path]:
    import torch
    from hydra.utils import instantiate
    from omegaconf import OmegaConf

    config.write_text(META_YAML.format(size=IMAGE_SIZE, feat=IMAGE_SIZE // 16), encoding="utf-8")
    torch.manual_seed(seed)
    model = instantiate(OmegaConf.load(config).model, _recursive_=True)
    always_sees_an_object(model.sam_mask_decoder.pred_obj_score_head.layers[-1])
    torch.save({"model": model.state_dict()}, checkpoint)
    return checkpoint, config
