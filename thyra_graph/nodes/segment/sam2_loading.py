"""Which SAM 2 model a segment node runs, and loading it once per process.

Every SAM 2 node takes the same model parameters (:func:`model_params`) and gets its
:class:`~thyra_graph.nodes.segment.segmenter.Segmenter` from :func:`load_segmenter`:

- ``backend: transformers`` (default) loads ``Sam2Model`` from a Hugging Face id such as
  ``facebook/sam2.1-hiera-tiny`` or a ``save_pretrained`` folder;
- ``backend: sam2`` builds Meta's reference model from a config (a name inside the ``sam2``
  package such as ``configs/sam2.1/sam2.1_hiera_t.yaml``, or a local ``.yaml``) and a ``.pt``
  checkpoint (a local path, or a ``facebook/sam2*`` id whose checkpoint file is fetched).

Weights are looked up in the graph's folder, ``THYRA_MODELS_DIR`` and the Hugging Face cache;
missing weights, a missing package or a checkpoint that does not fit its config end in a
NodeError that says what to do.
"""

from __future__ import annotations

import hashlib
import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from thyra_graph.engine.declaration import NodeError, Param

from ..models.device import pick_device, pick_dtype
from ..models.loading import ModelIdentity, load_model, loaded_models, unload_model
from ..models.params import runtime_params
from ..models.weights import TRANSFORMERS_FILES, locate_model, looks_like_path, models_dir_candidates
from .segmenter import Segmenter

BACKENDS = ("transformers", "sam2")
DEFAULT_MODEL = "facebook/sam2.1-hiera-tiny"
DEFAULT_CONFIG = "configs/sam2.1/sam2.1_hiera_t.yaml"

#: Meta's checkpoint file and package config for each published SAM 2 hub id (as in sam2.build_sam).
META_CHECKPOINTS = {
    "facebook/sam2-hiera-tiny": ("configs/sam2/sam2_hiera_t.yaml", "sam2_hiera_tiny.pt"),
    "facebook/sam2-hiera-small": ("configs/sam2/sam2_hiera_s.yaml", "sam2_hiera_small.pt"),
    "facebook/sam2-hiera-base-plus": ("configs/sam2/sam2_hiera_b+.yaml", "sam2_hiera_base_plus.pt"),
    "facebook/sam2-hiera-large": ("configs/sam2/sam2_hiera_l.yaml", "sam2_hiera_large.pt"),
    "facebook/sam2.1-hiera-tiny": ("configs/sam2.1/sam2.1_hiera_t.yaml", "sam2.1_hiera_tiny.pt"),
    "facebook/sam2.1-hiera-small": ("configs/sam2.1/sam2.1_hiera_s.yaml", "sam2.1_hiera_small.pt"),
    "facebook/sam2.1-hiera-base-plus": ("configs/sam2.1/sam2.1_hiera_b+.yaml", "sam2.1_hiera_base_plus.pt"),
    "facebook/sam2.1-hiera-large": ("configs/sam2.1/sam2.1_hiera_l.yaml", "sam2.1_hiera_large.pt"),
}

HOW_TO_GET_TRANSFORMERS = (
    "Download it once with `hf download facebook/sam2.1-hiera-tiny` (or -small, -base-plus, -large), "
    "or put a save_pretrained folder under THYRA_MODELS_DIR as facebook--sam2.1-hiera-tiny, "
    "or set `model` to the folder's path")
HOW_TO_GET_META = (
    "Download Meta's checkpoint, e.g. https://dl.fbaipublicfiles.com/segment_anything_2/092824/sam2.1_hiera_tiny.pt "
    "(also _small, _base_plus, _large), and set `model` to its path (relative paths start at the graph's folder) "
    "or put it in THYRA_MODELS_DIR; `config` must be the matching config, e.g. configs/sam2.1/sam2.1_hiera_t.yaml")

_PACKAGES = {"transformers": ("transformers", "segment"), "sam2": ("sam2", "sam2")}


def model_params() -> list[Param]:
    """The parameters every SAM 2 node shares (same names, defaults and help everywhere)."""
    return [
        Param("backend", "transformers", choices=BACKENDS,
              help="transformers: Hugging Face Sam2Model; sam2: Meta's package with a .pt checkpoint and a config"),
        Param("model", DEFAULT_MODEL,
              help="Hugging Face id or save_pretrained folder (transformers); .pt checkpoint path or facebook/sam2* id (sam2)"),
        Param("config", DEFAULT_CONFIG,
              when={"backend": "sam2"}, help="sam2 backend only: config name inside the sam2 package, or a path to a local .yaml"),
        *runtime_params(),
    ]


@dataclass(frozen=True)
class ModelChoice:
    """A SAM 2 model as the parameters pick it: where its weights are, how to build it, where it runs.

    The image segmenter and the video tracker are built from the same choice (the same
    checkpoint serves both); ``key`` identifies it in the resource cache.
    """

    backend: str
    weights: Path
    config_source: str  # the Meta config (package name or local yaml); "" for transformers
    device: str
    dtype: Any

    @property
    def key(self) -> str:
        return segmenter_key(self.backend, self.weights, self.config_source, self.device,
                             str(self.dtype).replace("torch.", ""))

    @property
    def nbytes(self) -> int:
        return _size_of(self.weights)


def choose_model(ctx, *, backend: str, model: str, config: str = DEFAULT_CONFIG, device: str = "auto",
                 precision: str = "auto") -> ModelChoice:
    """Resolve the model parameters: the package is there, the weights are found, the device exists."""
    if backend not in BACKENDS:
        raise NodeError(f"unknown SAM 2 backend {backend!r}: use one of {', '.join(BACKENDS)}")
    _require_package(backend)
    where = pick_device(device)
    dtype = pick_dtype(where, precision)
    if backend == "transformers":
        return ModelChoice(backend, _transformers_weights(ctx, model), "", where, dtype)
    weights, config_source = _meta_weights_and_config(ctx, model, config)
    return ModelChoice(backend, weights, config_source, where, dtype)


def load_segmenter(ctx, *, backend: str, model: str, config: str = DEFAULT_CONFIG, device: str = "auto",
                   precision: str = "auto") -> Segmenter:
    """The SAM 2 segmenter for these parameters, loaded once per process through ``ctx.resources``."""
    choice = choose_model(ctx, backend=backend, model=model, config=config, device=device, precision=precision)

    def load() -> Segmenter:
        if choice.backend == "transformers":
            from .sam2_transformers import TransformersSegmenter

            return TransformersSegmenter.load(choice.weights, key=choice.key, device=choice.device, dtype=choice.dtype)
        from .sam2_meta import MetaSegmenter

        return MetaSegmenter.load(choice.weights, choice.config_source, key=choice.key, device=choice.device,
                                  dtype=choice.dtype)

    identity = ModelIdentity.of("sam2", choice.weights, backend=choice.backend, device=choice.device,
                                dtype=choice.dtype, extra=choice.key)
    return load_model(ctx, identity, load, nbytes=choice.nbytes)


def unload_segmenter(ctx, segmenter: Segmenter) -> None:
    """Drop the model from the resource cache and give its GPU memory back."""
    unload_model(ctx, *[key for key in loaded_models(ctx, "sam2") if key.fingerprint.endswith("|" + segmenter.key)])


def segmenter_key(backend: str, weights: Path, config_source: str, device: str, dtype: str) -> str:
    """Identifies model + weights (path, size, mtime) + config + device + dtype; embeddings carry it."""
    parts = [backend, str(Path(weights).resolve()), _fingerprint(weights), config_source,
             _fingerprint(Path(config_source)) if config_source.endswith((".yaml", ".yml")) and Path(config_source).is_file() else "",
             device, dtype]
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:20]
    return f"sam2-{backend}-{Path(weights).name}-{device}-{dtype}-{digest}"


def _fingerprint(path: Path) -> str:
    path = Path(path)
    if path.is_file():
        stat = path.stat()
        return f"{stat.st_size}:{stat.st_mtime_ns}"
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file())
        return ";".join(f"{p.name}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in files)
    return "missing"


def _size_of(path: Path) -> int:
    path = Path(path)
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _require_package(backend: str) -> None:
    module, extra = _PACKAGES[backend]
    missing = [name for name in (("torch", module) if module != "torch" else ("torch",))
               if importlib.util.find_spec(name) is None]
    if missing:
        hint = "SAM2_BUILD_CUDA=0 " if backend == "sam2" else ""
        raise NodeError(f"the SAM 2 {backend!r} backend needs {', '.join(missing)}, which is not installed: "
                        f"{hint}pip install 'thyra-graph[{extra}]'"
                        + (", or use backend: transformers" if backend == "sam2" else ", or use backend: sam2"))


def _transformers_weights(ctx, model: str) -> Path:
    name = str(model).strip()
    if name.lower().endswith((".pt", ".pth", ".ckpt")):
        raise NodeError(f"model {name!r} is a Meta SAM 2 checkpoint, which the transformers backend cannot read: "
                        "set backend: sam2 (with the matching config), or set model to a Hugging Face id such as "
                        f"{DEFAULT_MODEL}")
    path = locate_model(name, ctx=ctx, what="the SAM 2 model", how_to_get=HOW_TO_GET_TRANSFORMERS,
                        allow_patterns=TRANSFORMERS_FILES)
    if path.is_file() or not (path / "config.json").is_file():
        raise NodeError(f"the SAM 2 model at {str(path)!r} is not a transformers model folder (no config.json). "
                        f"For a Meta .pt checkpoint set backend: sam2. {HOW_TO_GET_TRANSFORMERS}")
    return path


def _meta_weights_and_config(ctx, model: str, config: str) -> tuple[Path, str]:
    name = str(model).strip()
    config = str(config).strip()
    if name in META_CHECKPOINTS:
        expected_config, filename = META_CHECKPOINTS[name]
        if _is_package_config(config) and config != expected_config:
            raise NodeError(f"model {name!r} needs config {expected_config!r} with the sam2 backend, but config is "
                            f"{config!r}: change config (or model) so that they match")
        weights = _meta_hub_checkpoint(ctx, name, filename)
    else:
        if not looks_like_path(name) or Path(name).suffix.lower() not in (".pt", ".pth", ".ckpt"):
            raise NodeError(f"with backend: sam2, model must be a .pt checkpoint (or a facebook/sam2* id), got {name!r}. "
                            f"A Hugging Face transformers model needs backend: transformers. {HOW_TO_GET_META}")
        weights = locate_model(name, ctx=ctx, what="the SAM 2 checkpoint", how_to_get=HOW_TO_GET_META,
                               allow_patterns=None)
    return weights, _meta_config(ctx, config)


def _meta_hub_checkpoint(ctx, repo_id: str, filename: str) -> Path:
    # A loose checkpoint in THYRA_MODELS_DIR (as Meta distributes them) comes first.
    for candidate in models_dir_candidates(filename) + [p / filename for p in models_dir_candidates(repo_id)]:
        if candidate.is_file():
            return candidate
    folder = locate_model(repo_id, ctx=ctx, what="the SAM 2 checkpoint", how_to_get=HOW_TO_GET_META,
                          allow_patterns=[filename])
    if not (folder / filename).is_file():
        raise NodeError(f"the SAM 2 checkpoint {filename!r} of {repo_id!r} is not in {str(folder)!r}. {HOW_TO_GET_META}")
    return folder / filename


def _package_configs() -> Path | None:
    spec = importlib.util.find_spec("sam2")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def _is_package_config(config: str) -> bool:
    root = _package_configs()
    return root is not None and not Path(config).is_absolute() and (root / config).is_file()


def _meta_config(ctx, config: str) -> str:
    """A local config file's absolute path, or the package config name as given."""
    if not config:
        raise NodeError(f"the sam2 backend needs a config: a name such as {DEFAULT_CONFIG} or a local .yaml path")
    local = ctx.resolve(config) if ctx is not None else Path(config).expanduser()
    if local.is_file():
        return str(local.resolve())
    if _is_package_config(config):
        return config
    for candidate in models_dir_candidates(config):
        if candidate.is_file():
            return str(candidate.resolve())
    root = _package_configs()
    known = sorted(str(p.relative_to(root)) for p in (root / "configs").rglob("*.yaml")) if root else []
    raise NodeError(f"SAM 2 config {config!r} is neither a file (looked at {str(local)!r}) nor a config of the sam2 "
                    f"package ({', '.join(known) or 'none found'}): use one of those names or a local .yaml path")
