"""Which torch device and dtype a model node runs on ("auto" = a CUDA GPU when there is one)."""

from __future__ import annotations

from thyra_graph.engine.declaration import NodeError

DEVICE_CHOICES = ("auto", "cpu", "cuda", "cuda:0", "cuda:1", "cuda:2", "cuda:3")
PRECISION_CHOICES = ("auto", "float32", "bfloat16", "float16")


def pick_device(device: str) -> str:
    """``auto`` → ``cuda`` when torch sees a GPU, else ``cpu``; an explicit ``cuda`` or ``cuda:N`` must exist."""
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda"):
        if not torch.cuda.is_available():
            raise NodeError(f"device is {device!r} but torch sees no CUDA GPU here: use 'auto' or 'cpu'")
        index = device.partition(":")[2]
        if index and int(index) >= torch.cuda.device_count():
            raise NodeError(f"device is {device!r} but torch sees {torch.cuda.device_count()} CUDA GPU(s) here "
                            f"(cuda:0 to cuda:{torch.cuda.device_count() - 1}): pick one of them or 'auto'")
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
