"""A tiny randomly initialised LLaVA (SigLIP vision tower + Qwen2 language model) with its
processor, saved as ``llava-hf--llava-interleave-qwen-0.5b-hf`` (label.local_vlm's default).

Same architecture and files as the real model, a few thousand parameters: its answers are
random tokens, so tests check the data path (answers attached, flags), not what it says.
"""

from __future__ import annotations

from pathlib import Path

MODEL_ID = "llava-hf/llava-interleave-qwen-0.5b-hf"
IMAGE_SIZE = 32
PATCH = 16
WORDS = ["a", "red", "green", "blue", "disc", "square", "bar", "object", "the", "is", "round", "small",
         "{", "}", '"', ":", ",", "label", "description", "user", "assistant", "\n"]
SPECIALS = ["<pad>", "<unk>", "<|im_start|>", "<|im_end|>", "<image>"]
CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}{% else %}"
    "{% for part in message['content'] %}{% if part['type'] == 'image' %}<image>\n"
    "{% elif part['type'] == 'text' %}{{ part['text'] }}{% endif %}{% endfor %}{% endif %}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")


def build_tokenizer():
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {token: i for i, token in enumerate(SPECIALS + WORDS)}
    core = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=core, unk_token="<unk>", pad_token="<pad>",
                                        eos_token="<|im_end|>", bos_token=None,
                                        additional_special_tokens=["<|im_start|>", "<|im_end|>", "<image>"])
    tokenizer.chat_template = CHAT_TEMPLATE
    return tokenizer


def install(models_dir: Path) -> None:
    import torch
    from transformers import (LlavaConfig, LlavaForConditionalGeneration, LlavaProcessor, Qwen2Config,
                              SiglipImageProcessor, SiglipVisionConfig)

    target = Path(models_dir) / MODEL_ID.replace("/", "--")
    if (target / "config.json").is_file():
        return
    tokenizer = build_tokenizer()
    vocab_size = len(tokenizer)
    image_tokens = (IMAGE_SIZE // PATCH) ** 2
    vision = SiglipVisionConfig(hidden_size=16, intermediate_size=32, num_hidden_layers=2, num_attention_heads=2,
                                image_size=IMAGE_SIZE, patch_size=PATCH)
    text = Qwen2Config(vocab_size=vocab_size, hidden_size=16, intermediate_size=32, num_hidden_layers=2,
                       num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=256,
                       eos_token_id=tokenizer.convert_tokens_to_ids("<|im_end|>"),
                       pad_token_id=tokenizer.pad_token_id)
    config = LlavaConfig(vision_config=vision, text_config=text,
                         image_token_index=tokenizer.convert_tokens_to_ids("<image>"),
                         image_seq_length=image_tokens, vision_feature_select_strategy="full",
                         vision_feature_layer=-1)
    torch.manual_seed(0)
    model = LlavaForConditionalGeneration(config).eval()
    model.generation_config.eos_token_id = text.eos_token_id
    model.generation_config.pad_token_id = text.pad_token_id
    image_processor = SiglipImageProcessor(size={"height": IMAGE_SIZE, "width": IMAGE_SIZE})
    processor = LlavaProcessor(image_processor=image_processor, tokenizer=tokenizer, patch_size=PATCH,
                               vision_feature_select_strategy="full", chat_template=CHAT_TEMPLATE)
    model.save_pretrained(target)
    processor.save_pretrained(target)
