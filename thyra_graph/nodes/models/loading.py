"""Loading a model: one identity, one copy per process, on a claimed device, under a memory budget.

Design
------
Every model node loads through :func:`load_model`. It takes a :class:`ModelIdentity`, which
says completely what a loaded model is: what is built (``kind``), from which weights
(``source`` and a ``fingerprint`` of the files, so weights replaced in place load afresh), by
which library (``backend``), on which device and in which number format. That identity is the
key of the engine's :class:`~thyra_graph.engine.resources.ResourceCache`, so:

- two nodes naming the same model (two ``label.clip`` nodes, ``segment.sam2_points`` and
  ``segment.crop_segment`` on one checkpoint) share one copy, loaded once per process; a Ray
  actor or a batch worker keeps it between inputs;
- the node first claims the device the model runs on (``ctx.claim_device``): GPU work is
  serialised per device, a ``cpu`` node never waits for a GPU;
- the cache knows the model's real size (:func:`model_memory`: parameters and buffers by the
  device they live on) and frees least-recently-used models when RAM or a GPU would exceed its
  budget (``THYRA_MODEL_RAM_BUDGET``, ``THYRA_MODEL_GPU_BUDGET``); a model held by a running
  node is never freed under it.

Why a declared resource and not a ``model.load_*`` node family with a ``Model`` port (as
ComfyUI has): a graph file stays what it was (``model:``, ``device:`` … are params of the node
that uses the model, and every existing graph runs unchanged); a cache key stays a pure function
of params and inputs, where a live model object on a port would have no stable content key and
could not go to the disk cache or across processes; and the engine, not the graph's author,
decides when a model is loaded, shared and freed — which is what lets a batch worker keep it
and the budget evict it. Sharing needs no wire: the same identity is the same model.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Hashable, Iterator, Sequence

from thyra_graph.engine.devices import canonical_device, memory_pool

#: Files whose names, sizes and mtimes make a model folder's fingerprint.
WEIGHT_PATTERNS = ("*.safetensors", "*.bin", "*.pt", "*.pth")


@dataclass(frozen=True)
class ModelIdentity:
    """What makes two loaded models the same object (the resource cache's key)."""

    kind: str  # what is built from the weights: "depth", "clip", "sam2_image", "sam2_video", ...
    source: str  # the weights: an absolute path
    backend: str  # the library that builds it: transformers, sam2, vggt, torch
    device: str  # canonical: cpu, cuda:0, cuda:1
    dtype: str = "float32"
    fingerprint: str = ""  # names, sizes and mtimes of the weight files (and config, if any)

    @classmethod
    def of(cls, kind: str, path: Path, *, backend: str, device: str, dtype: Any = "float32",
           extra: str = "") -> "ModelIdentity":
        """The identity of the model at ``path`` (a folder or a file) on ``device`` in ``dtype``
        (a torch dtype or its name); ``extra`` adds what else decides the build (a config)."""
        path = Path(path).resolve()
        stamp = ";".join(f"{f.name}:{size}:{mtime}" for f, size, mtime in _weight_files(path))
        return cls(kind, str(path), backend, canonical_device(device), str(dtype).replace("torch.", ""),
                   stamp + (f"|{extra}" if extra else ""))

    def __str__(self) -> str:
        return f"{self.kind} {Path(self.source).name} ({self.backend}, {self.device}, {self.dtype})"


def weights_size(path: Path) -> int:
    """Bytes of the weight files at ``path``: the estimate of a model's size before it is loaded."""
    return sum(size for _, size, _ in _weight_files(Path(path)))


def load_model(ctx, identity: ModelIdentity, loader: Callable[[], Any], *, nbytes: int | None = None) -> Any:
    """The model ``identity`` for this node: its device claimed, loaded by ``loader()`` once per
    process (room made under the memory budget first), held until the node ends.

    ``nbytes`` estimates its size before loading (default: its weight files).
    """
    estimate = weights_size(Path(identity.source)) if nbytes is None else nbytes
    on_gpu = identity.device.startswith("cuda")
    if on_gpu:
        _tell_capacity(ctx.resources, identity.device)
    return ctx.hold_resource(identity, loader, device=identity.device, nbytes=estimate, measure=model_memory,
                             on_free=_empty_cuda_cache if on_gpu else None)


def unload_model(ctx, *identities: Hashable) -> None:
    """Free these models now (a node's ``unload``): the cache lets go, the garbage collector runs,
    and a GPU's cached memory goes back to the driver for other processes and models."""
    for identity in identities:
        ctx.resources.release(identity)


def loaded_models(ctx, kind: str) -> list[ModelIdentity]:
    """The models of ``kind`` this process holds now."""
    return [key for key in ctx.resources.keys() if isinstance(key, ModelIdentity) and key.kind == kind]


def model_memory(value: Any) -> dict[str, int]:
    """Bytes of the torch parameters and buffers in ``value`` (a module, or an object, tuple or
    dict holding modules), per memory pool: ``ram`` for the CPU, ``cuda:0`` … for GPUs.
    Tensors shared between modules count once."""
    try:
        import torch
    except ImportError:
        return {}
    sizes: dict[str, int] = {}
    seen: set[tuple[str, int]] = set()
    for module in _modules_in(value, torch.nn.Module, depth=3, seen=set()):
        for tensor in itertools.chain(module.parameters(), module.buffers()):
            where = str(tensor.device)
            if where == "meta" or (where, tensor.data_ptr()) in seen:
                continue
            seen.add((where, tensor.data_ptr()))
            pool = memory_pool(where)
            sizes[pool] = sizes.get(pool, 0) + tensor.numel() * tensor.element_size()
    return sizes


def _modules_in(value: Any, module_type: type, *, depth: int, seen: set[int]) -> Iterator[Any]:
    if id(value) in seen:
        return
    seen.add(id(value))
    if isinstance(value, module_type):
        yield value
        return
    if depth == 0 or isinstance(value, (str, bytes, int, float, Path)):
        return
    if isinstance(value, (list, tuple)):
        children: Sequence[Any] = value
    elif isinstance(value, dict):
        children = list(value.values())
    else:
        children = list(vars(value).values()) if hasattr(value, "__dict__") else []
    for child in children:
        yield from _modules_in(child, module_type, depth=depth - 1, seen=seen)


def _weight_files(path: Path) -> list[tuple[Path, int, int]]:
    if path.is_file():
        files = [path]
    elif path.is_dir():
        files = sorted({f for pattern in WEIGHT_PATTERNS for f in path.glob(pattern) if f.is_file()})
    else:
        files = []
    stats = [(f, f.stat()) for f in files]
    return [(f, st.st_size, st.st_mtime_ns) for f, st in stats]


def _tell_capacity(resources, device: str) -> None:
    import torch

    index = int(device.split(":", 1)[1]) if ":" in device else 0
    if torch.cuda.is_available() and index < torch.cuda.device_count():
        resources.set_capacity(memory_pool(device), torch.cuda.get_device_properties(index).total_memory)


def _empty_cuda_cache() -> None:
    import torch

    if torch.cuda.is_available():
        torch.cuda.empty_cache()
