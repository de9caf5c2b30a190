"""Which models a node needs, from its params: the ``models=`` hooks of the model nodes.

Every model node declares its needs with one of these (``thyra models``, the editor's
"missing models" dialog and its badges read them before anything runs)::

    @node("recon.depth", ..., models=hub_models("model"))
    @node("segment.sam2_points", ..., models=sam2_models)
    @node("segment.multiview", ..., models=all_of(sam2_models, hub_models("clip_model")))
    @node("count.learned_density", ..., models=local_models("checkpoint", backend="torch"))

A value that looks like a path is a local model (nothing to fetch); an empty value needs no
model; anything else is a Hugging Face id.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Sequence

from thyra_graph.engine.declaration import ModelRef

from .weights import TRANSFORMERS_FILES, looks_like_path

ModelsHook = Callable[[dict[str, Any]], list[ModelRef]]

#: Where Meta publishes the SAM 2 checkpoints (``THYRA_SAM2_BASE_URL`` points at a mirror).
SAM2_BASE_URL = "https://dl.fbaipublicfiles.com/segment_anything_2"
#: The release folder of each checkpoint family under :data:`SAM2_BASE_URL` (as in Meta's download_ckpts.sh).
_SAM2_RELEASES = {"sam2.1_": "092824", "sam2_": "072824"}
#: Published SHA-256 of Meta's checkpoints, where known; others are recorded when first pulled.
SAM2_SHA256: dict[str, str] = {}


def model_ref(value: Any, *, param: str, backend: str = "transformers",
              files: Sequence[str] = TRANSFORMERS_FILES, gated: bool = False) -> list[ModelRef]:
    """The model a param names: none when empty, a local path, or a hub id."""
    name = str(value or "").strip()
    if not name:
        return []
    if looks_like_path(name):
        return [ModelRef(name, param, backend=backend, source="path")]
    return [ModelRef(name, param, backend=backend, source="hub", files=tuple(files), gated=gated)]


def hub_models(*params: str, backend: str = "transformers", files: Sequence[str] = TRANSFORMERS_FILES,
               gated: bool = False) -> ModelsHook:
    """A ``models=`` hook for nodes whose ``params`` each name a Hugging Face model (or a local one)."""

    def needs(values: dict[str, Any]) -> list[ModelRef]:
        return [ref for name in params
                for ref in model_ref(values.get(name), param=name, backend=backend, files=files, gated=gated)]

    return needs


def local_models(*params: str, backend: str) -> ModelsHook:
    """A ``models=`` hook for nodes whose path ``params`` each name a local weights file (nothing
    to fetch: ``thyra models`` and the editor say whether it is there)."""

    def needs(values: dict[str, Any]) -> list[ModelRef]:
        return [ModelRef(str(values[name]).strip(), name, backend=backend, source="path")
                for name in params if str(values.get(name) or "").strip()]

    return needs


def sam2_base_url() -> str:
    return (os.environ.get("THYRA_SAM2_BASE_URL", "").strip() or SAM2_BASE_URL).rstrip("/")


def sam2_checkpoint_url(filename: str) -> str:
    """Meta's published URL of a SAM 2 checkpoint file such as ``sam2.1_hiera_tiny.pt``."""
    release = next(folder for prefix, folder in _SAM2_RELEASES.items() if filename.startswith(prefix))
    return f"{sam2_base_url()}/{release}/{filename}"


def sam2_models(values: dict[str, Any]) -> list[ModelRef]:
    """The SAM 2 nodes' hook: a transformers model, or Meta's checkpoint for ``backend: sam2``."""
    backend = str(values.get("backend") or "transformers")
    if backend != "sam2":
        return model_ref(values.get("model"), param="model", backend=backend)
    from ..segment.sam2_loading import META_CHECKPOINTS  # the id → checkpoint table lives with the loader

    name = str(values.get("model") or "").strip()
    if name in META_CHECKPOINTS:
        filename = META_CHECKPOINTS[name][1]
        return [ModelRef(filename, "model", backend="sam2", source="url", url=sam2_checkpoint_url(filename),
                         sha256=SAM2_SHA256.get(filename, ""), repo=name, files=(filename,))]
    return model_ref(name, param="model", backend="sam2", files=())


def all_of(*hooks: ModelsHook) -> ModelsHook:
    """A hook listing what each of ``hooks`` lists (a node with several models)."""

    def needs(values: dict[str, Any]) -> list[ModelRef]:
        return [ref for hook in hooks for ref in hook(values)]

    return needs
