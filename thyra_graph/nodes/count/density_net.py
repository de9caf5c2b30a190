"""Density-regression networks (CSRNet, MCNN), their checkpoints, and a small training loop.

Imported only by the nodes that need torch (``import torch`` happens here, at module level).

- CSRNet (Li et al., CVPR 2018): the first ten VGG-16 convolutions (three poolings, so the
  map is 1/8 of the image) then dilated convolutions. Layer names follow the reference
  implementation (``frontend``, ``backend``, ``output_layer``), so its published
  ``state_dict`` loads as is with the default config.
- MCNN (Zhang et al., CVPR 2016): three columns of different receptive fields (9/7/5 px
  first kernels), two poolings (1/4 map), fused by a 1×1 convolution.

A config (a JSON-friendly dict) says which and how wide; ``width`` scales every channel count,
which is how the tests build tiny networks. Checkpoints are safetensors (config in the
metadata) or ``.pt`` files read with ``torch.load(weights_only=True)`` holding
``{"config": ..., "state_dict": ...}``; never pickle.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import torch
from torch import nn

CONFIG_KEY = "thyra_density_net"
CSRNET_FRONTEND = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512]
CSRNET_BACKEND = [512, 512, 512, 256, 128, 64]
DEFAULT_CONFIG: dict[str, Any] = {"arch": "csrnet", "in_channels": 3, "width": 1.0, "input": "imagenet"}
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class CheckpointError(ValueError):
    """A checkpoint file is not a density network Thyra can load (the message says why)."""


def _scaled(channels: int, width: float) -> int:
    return max(1, int(round(channels * width)))


def _conv_stack(spec: list, in_channels: int, width: float, dilation: int = 1) -> nn.Sequential:
    layers: list[nn.Module] = []
    for item in spec:
        if item == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        else:
            out = _scaled(int(item), width)
            layers += [nn.Conv2d(in_channels, out, kernel_size=3, padding=dilation, dilation=dilation), nn.ReLU(inplace=True)]
            in_channels = out
    return nn.Sequential(*layers)


class CSRNet(nn.Module):
    """VGG front end, dilated back end, 1×1 output: a density map at 1/8 resolution."""

    downsample = 8

    def __init__(self, in_channels: int = 3, width: float = 1.0) -> None:
        super().__init__()
        self.frontend = _conv_stack(CSRNET_FRONTEND, in_channels, width)
        self.backend = _conv_stack(CSRNET_BACKEND, _scaled(512, width), width, dilation=2)
        self.output_layer = nn.Conv2d(_scaled(64, width), 1, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.output_layer(self.backend(self.frontend(x)))


class MCNN(nn.Module):
    """Three columns with large, medium and small receptive fields: a density map at 1/4."""

    downsample = 4

    def __init__(self, in_channels: int = 1, width: float = 1.0) -> None:
        super().__init__()

        def column(kernels: tuple[int, int, int, int], channels: tuple[int, int, int, int]) -> nn.Sequential:
            sizes = [_scaled(c, width) for c in channels]
            layers: list[nn.Module] = []
            previous = in_channels
            for index, (kernel, out) in enumerate(zip(kernels, sizes)):
                layers += [nn.Conv2d(previous, out, kernel, padding=kernel // 2), nn.ReLU(inplace=True)]
                if index < 2:
                    layers.append(nn.MaxPool2d(2))
                previous = out
            return nn.Sequential(*layers)

        self.branch1 = column((9, 7, 7, 7), (16, 32, 16, 8))
        self.branch2 = column((7, 5, 5, 5), (20, 40, 20, 10))
        self.branch3 = column((5, 3, 3, 3), (24, 48, 24, 12))
        self.fuse = nn.Conv2d(_scaled(8, width) + _scaled(10, width) + _scaled(12, width), 1, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fuse(torch.cat([self.branch1(x), self.branch2(x), self.branch3(x)], dim=1))


ARCHITECTURES = {"csrnet": CSRNet, "mcnn": MCNN}


def full_config(config: dict[str, Any] | None) -> dict[str, Any]:
    """A config with every key filled in (MCNN defaults to grey input, CSRNet to RGB)."""
    merged = dict(DEFAULT_CONFIG)
    if config and config.get("arch") == "mcnn":
        merged.update({"in_channels": 1, "input": "unit"})
    merged.update(config or {})
    if merged["arch"] not in ARCHITECTURES:
        raise CheckpointError(f"unknown architecture {merged['arch']!r}: expected one of {', '.join(ARCHITECTURES)}")
    if merged["input"] not in ("imagenet", "unit"):
        raise CheckpointError(f"unknown input normalisation {merged['input']!r}: expected 'imagenet' or 'unit'")
    return merged


def build_density_net(config: dict[str, Any] | None = None) -> nn.Module:
    """A randomly initialised network for ``config`` (see the module docstring)."""
    config = full_config(config)
    model = ARCHITECTURES[config["arch"]](in_channels=int(config["in_channels"]), width=float(config["width"]))
    model.config = config  # type: ignore[attr-defined]
    return model


def save_checkpoint(model: nn.Module, path: str | Path) -> Path:
    """Write weights and config: ``.safetensors`` (recommended) or ``.pt``/``.pth``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    config = getattr(model, "config", None) or full_config(None)
    state = {name: tensor.detach().contiguous().cpu() for name, tensor in model.state_dict().items()}
    if path.suffix == ".safetensors":
        from safetensors.torch import save_file

        save_file(state, str(path), metadata={CONFIG_KEY: json.dumps(config)})
    else:
        torch.save({"config": config, "state_dict": state}, str(path))
    return path


def load_checkpoint(path: str | Path, *, device: str = "cpu") -> nn.Module:
    """The network stored at ``path``, in eval mode on ``device``.

    Raises :class:`CheckpointError` for files that are not density-network checkpoints.
    """
    path = Path(path)
    if path.suffix == ".safetensors":
        state, config = _read_safetensors(path)
    else:
        state, config = _read_torch(path)
    model = build_density_net(config)
    try:
        missing, unexpected = model.load_state_dict(state, strict=False)
    except RuntimeError as exc:  # tensors of the wrong shape
        raise CheckpointError(f"the weights do not fit the network its config describes ({str(exc).splitlines()[0]})") from None
    if missing or unexpected:
        raise CheckpointError(
            f"the weights do not fit a {config.get('arch', 'csrnet')} network of width {config.get('width', 1.0)}: "
            f"missing {', '.join(missing[:4]) or 'nothing'}; unexpected {', '.join(unexpected[:4]) or 'nothing'}")
    return model.to(device).eval()


def _read_safetensors(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    from safetensors import SafetensorError, safe_open
    from safetensors.torch import load_file

    try:
        with safe_open(str(path), framework="pt") as handle:
            metadata = handle.metadata() or {}
        state = load_file(str(path))
    except (SafetensorError, OSError) as exc:
        raise CheckpointError(f"not a readable safetensors file ({exc})") from None
    config = json.loads(metadata[CONFIG_KEY]) if CONFIG_KEY in metadata else None
    return state, config or _guess_config(state)


def _read_torch(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    try:
        data = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for foreign or unsafe files
        raise CheckpointError(f"torch.load(weights_only=True) refused it ({type(exc).__name__}: {str(exc)[:200]})") from None
    if isinstance(data, dict) and "state_dict" in data and isinstance(data["state_dict"], dict):
        state, config = data["state_dict"], data.get("config")
    elif isinstance(data, dict) and all(isinstance(v, torch.Tensor) for v in data.values()):
        state, config = data, None
    else:
        raise CheckpointError("it holds no state_dict (expected {'config': ..., 'state_dict': ...} or a bare state_dict)")
    # Checkpoints saved from nn.DataParallel prefix every name with "module.".
    state = {name.removeprefix("module."): tensor for name, tensor in state.items()}
    return state, config if isinstance(config, dict) else _guess_config(state)


def _guess_config(state: dict[str, torch.Tensor]) -> dict[str, Any]:
    """A config for weights saved without one (e.g. the reference CSRNet release)."""
    if any(name.startswith("branch1.") for name in state):
        first = state.get("branch1.0.weight")
        return full_config({"arch": "mcnn", "in_channels": int(first.shape[1]) if first is not None else 1,
                            "width": float(first.shape[0]) / 16 if first is not None else 1.0})
    first = state.get("frontend.0.weight")
    if first is None:
        raise CheckpointError("its tensor names match neither CSRNet (frontend.*, backend.*, output_layer.*) "
                              "nor MCNN (branch1-3.*, fuse.*)")
    return full_config({"arch": "csrnet", "in_channels": int(first.shape[1]), "width": float(first.shape[0]) / 64})


def image_tensor(rgb: np.ndarray, config: dict[str, Any]) -> torch.Tensor:
    """An H×W×3 uint8 RGB image as the network's 1×C×H×W input."""
    data = rgb.astype(np.float32) / 255.0
    if int(config["in_channels"]) == 1:
        data = (data @ np.array([0.299, 0.587, 0.114], dtype=np.float32))[:, :, None]
    elif config["input"] == "imagenet":
        data = (data - np.array(IMAGENET_MEAN, np.float32)) / np.array(IMAGENET_STD, np.float32)
    return torch.from_numpy(np.ascontiguousarray(data.transpose(2, 0, 1)))[None]


def predict_density(model: nn.Module, rgb: np.ndarray) -> np.ndarray:
    """The network's density map for an image, at the network's own (reduced) resolution.

    The image is padded (reflected) to a multiple of the network's downsampling so every
    pixel is seen; negative outputs, meaningless as densities, are clipped to zero.
    """
    config = getattr(model, "config", full_config(None))
    factor = int(getattr(model, "downsample", 8))
    height, width = rgb.shape[:2]
    tensor = image_tensor(rgb, config)
    pad_h, pad_w = (-height) % factor, (-width) % factor
    if pad_h or pad_w:
        tensor = torch.nn.functional.pad(tensor, (0, pad_w, 0, pad_h), mode="reflect" if min(height, width) > max(pad_h, pad_w) else "replicate")
    device = next(model.parameters()).device
    with torch.no_grad():
        out = model(tensor.to(device))[0, 0].float().cpu().numpy()
    rows, cols = math.ceil(height / factor), math.ceil(width / factor)
    return np.clip(out[:rows, :cols], 0.0, None).astype(np.float32)


def target_density(points_xy: np.ndarray, shape: tuple[int, int], factor: int, *, sigma: float = 4.0) -> np.ndarray:
    """A training target at the network's resolution: a density map summed over factor² blocks."""
    from .density import density_from_points

    full = density_from_points(points_xy, shape, sigma=sigma, mode="adaptive" if len(points_xy) > 3 else "fixed")
    rows, cols = math.ceil(shape[0] / factor), math.ceil(shape[1] / factor)
    padded = np.zeros((rows * factor, cols * factor), np.float32)
    padded[:shape[0], :shape[1]] = full
    return padded.reshape(rows, factor, cols, factor).sum(axis=(1, 3))


def train_density_net(samples: Iterable[tuple[np.ndarray, np.ndarray]], *, config: dict[str, Any] | None = None,
                      epochs: int = 100, learning_rate: float = 1e-4, model: nn.Module | None = None) -> nn.Module:
    """Fit a network to (RGB uint8 image, N×2 point annotations) pairs; returns it in eval mode.

    A plain loop (Adam, pixel-wise squared error against adaptive-Gaussian targets, as the
    CSRNet and MCNN papers train) for fine-tuning on a few annotated images of your own;
    save the result with :func:`save_checkpoint`.
    """
    model = model or build_density_net(config)
    config = model.config  # type: ignore[attr-defined]
    factor = int(model.downsample)
    prepared = []
    for rgb, xy in samples:
        height, width = rgb.shape[:2]
        target = target_density(np.asarray(xy, dtype=np.float64).reshape(-1, 2), (height, width), factor)
        prepared.append((image_tensor(_padded(rgb, factor), config), torch.from_numpy(target)[None, None]))
    optimiser = torch.optim.Adam(model.parameters(), lr=learning_rate)
    model.train()
    for _ in range(epochs):
        for tensor, target in prepared:
            optimiser.zero_grad()
            out = model(tensor)[:, :, :target.shape[2], :target.shape[3]]
            loss = torch.nn.functional.mse_loss(out, target, reduction="sum")
            loss.backward()
            optimiser.step()
    return model.eval()


def _padded(rgb: np.ndarray, factor: int) -> np.ndarray:
    pad_h, pad_w = (-rgb.shape[0]) % factor, (-rgb.shape[1]) % factor
    return np.pad(rgb, ((0, pad_h), (0, pad_w), (0, 0)), mode="edge") if pad_h or pad_w else rgb
