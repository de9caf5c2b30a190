"""Which torch device and dtype a model node runs on ("auto" = a CUDA GPU when there is one),
and giving a model's memory back when a node unloads it."""

from __future__ import annotations

from typing import Hashable, Iterable

from thyra_graph.engine.declaration import NodeError

DEVICE_CHOICES = ("auto", "cpu", "cuda")
PRECISION_CHOICES = ("auto", "float32", "bfloat16", "float16")


def pick_device(device: str) -> str:
    """``auto`` → ``cuda`` when torch sees a GPU, else ``cpu``; an explicit ``cuda`` must exist."""
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise NodeError(f"device is {device!r} but torch sees no CUDA GPU here: use 'auto' or 'cpu'")
    return device


def pick_dtype(device: str, precision: str = "auto"):
    """The torch dtype to run in: on a GPU ``auto`` is bfloat16 where supported, else float16;
    on the CPU always float32 (half precision there is slow and inaccurate)."""
    import torch

    if precision == "auto":
        if not device.startswith("cuda"):
            return torch.float32
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if precision != "float32" and not device.startswith("cuda"):
        return torch.float32
    return {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[precision]


def release_models(ctx, keys: Iterable[Hashable], device: str) -> None:
    """Drop models from ``ctx.resources`` (a node's ``unload``); on a GPU also hand their memory
    back to the driver, so another process or model can use it."""
    for key in keys:
        ctx.resources.release(key)
    if str(device).startswith("cuda"):
        import gc

        import torch

        gc.collect()
        torch.cuda.empty_cache()
