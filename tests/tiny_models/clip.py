"""A tiny randomly initialised CLIP saved as ``openai--clip-vit-base-patch32`` (no download).

Same architecture and files as the real ``openai/clip-vit-base-patch32`` (config.json,
model.safetensors, tokenizer and preprocessor configs), but a few thousand parameters: label.clip
loads it through its real loading code. Its answers are random; tests check the data path.

The tokenizer is CLIP's own byte-level BPE with no merges: every letter is a token (plain and
with the end-of-word suffix ``</w>``), so any lowercase ASCII text tokenises without unknowns.
"""

from __future__ import annotations

import string
from pathlib import Path

NAME = "openai--clip-vit-base-patch32"
IMAGE_SIZE = 32


def tiny_vocab() -> dict[str, int]:
    tokens = ["<|startoftext|>", "<|endoftext|>"]
    for symbol in string.ascii_lowercase + string.digits + ".,-'!?":
        tokens += [symbol, symbol + "</w>"]
    return {token: index for index, token in enumerate(tokens)}


def install(models_dir: Path) -> None:
    import torch
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel, CLIPProcessor, CLIPTokenizer

    target = Path(models_dir) / NAME
    if (target / "config.json").exists():
        return
    vocab = tiny_vocab()
    config = CLIPConfig(
        text_config={"vocab_size": len(vocab), "hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 1,
                     "num_attention_heads": 2, "max_position_embeddings": 77, "projection_dim": 8,
                     "bos_token_id": vocab["<|startoftext|>"], "eos_token_id": vocab["<|endoftext|>"],
                     "pad_token_id": vocab["<|endoftext|>"]},
        vision_config={"hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2,
                       "image_size": IMAGE_SIZE, "patch_size": 8, "projection_dim": 8},
        projection_dim=8,
    )
    torch.manual_seed(0)
    model = CLIPModel(config).eval()
    tokenizer = CLIPTokenizer(vocab=vocab, merges=[])
    image_processor = CLIPImageProcessor(size={"shortest_edge": IMAGE_SIZE},
                                         crop_size={"height": IMAGE_SIZE, "width": IMAGE_SIZE})
    model.save_pretrained(str(target))
    CLIPProcessor(image_processor=image_processor, tokenizer=tokenizer).save_pretrained(str(target))
