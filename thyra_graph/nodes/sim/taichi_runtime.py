"""Starting Taichi once per process, on the GPU when there is one.

``ti.init`` is process-global: calling it again resets every Taichi array and compiled kernel,
including those of a solve running in another thread. So Taichi is started once, by the first
solve, on the backend that solve asks for (``auto`` tries the GPU first); later solves reuse it
and are told (a warning) when they asked for another backend.

Taichi's runtime belongs to the thread that started it (its LLVM context asserts when another
thread allocates fields or arrays). Thyra runs nodes on executor and editor worker threads that
come and go, so every Taichi call is made on one long-lived thread of its own:
:func:`on_taichi_thread` (and the :func:`taichi_thread` method decorator) hop there.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import wraps
from typing import Any, Callable, TypeVar

DEVICES = ("auto", "cpu", "gpu")
GPU_ARCHS = ("cuda", "metal", "vulkan", "amdgpu")
TAICHI_LOCK = threading.RLock()
_T = TypeVar("_T")
_thread_pool: ThreadPoolExecutor | None = None
_thread_ident: int | None = None


def _mark_taichi_thread() -> None:
    global _thread_ident
    _thread_ident = threading.get_ident()


def on_taichi_thread(fn: Callable[..., _T], /, *args: Any, **kwargs: Any) -> _T:
    """Call ``fn`` on the thread that owns Taichi (directly when already there)."""
    global _thread_pool
    if threading.get_ident() == _thread_ident:
        return fn(*args, **kwargs)
    with TAICHI_LOCK:
        if _thread_pool is None:
            _thread_pool = ThreadPoolExecutor(1, thread_name_prefix="taichi", initializer=_mark_taichi_thread)
    return _thread_pool.submit(fn, *args, **kwargs).result()


def taichi_thread(method: Callable[..., _T]) -> Callable[..., _T]:
    """Decorator: the method always runs on the thread that owns Taichi."""

    @wraps(method)
    def hop(*args: Any, **kwargs: Any) -> _T:
        return on_taichi_thread(method, *args, **kwargs)

    return hop

log = logging.getLogger("thyra.sim")
_runtime: "TaichiRuntime | None" = None


@dataclass(frozen=True)
class TaichiRuntime:
    """The started Taichi module and the backend it runs on."""

    ti: Any
    arch: str  # Taichi's name: x64, arm64, cuda, vulkan, metal, ...
    requested: str  # the device the first solve asked for
    # The thread that started Taichi: only it may allocate Taichi fields (LLVM asserts
    # otherwise), which the temporal-blocking kernels do.
    thread: int = 0

    @property
    def on_gpu(self) -> bool:
        return self.arch in GPU_ARCHS

    @property
    def device(self) -> str:
        return "gpu" if self.on_gpu else "cpu"


def taichi_runtime(device: str = "auto") -> tuple[TaichiRuntime, str | None]:
    """The process's Taichi runtime, started on first use; and a note when it cannot honour
    ``device`` (``"gpu"`` without a GPU, or a backend other than the one already started)."""
    return on_taichi_thread(_taichi_runtime, device)


def _taichi_runtime(device: str) -> tuple[TaichiRuntime, str | None]:
    global _runtime
    if device not in DEVICES:
        raise ValueError(f"device must be one of {', '.join(DEVICES)}, got {device!r}")
    with TAICHI_LOCK:
        if _runtime is None:
            # The import prints a banner to stdout unless told not to.
            os.environ.setdefault("ENABLE_TAICHI_HEADER_PRINT", "False")
            with warnings.catch_warnings():  # Taichi 1.7 calls locale.getdefaultlocale (deprecated)
                warnings.simplefilter("ignore", DeprecationWarning)
                import taichi as ti

            # Not ti.gpu: it also probes OpenGL/GLES, and that probe crashes the whole process
            # (a segmentation fault, not an exception) on a headless Linux machine without a
            # display. The compute backends below are probed safely and are the fast ones.
            arch = ti.cpu if device == "cpu" else [ti.cuda, ti.metal, ti.vulkan, ti.amdgpu]
            printed = io.StringIO()
            with contextlib.redirect_stdout(printed):  # ti.init prints the chosen backend
                ti.init(arch=arch, offline_cache=True, log_level=ti.ERROR, default_fp=ti.f32)
            chosen = ti.lang.impl.current_cfg().arch
            _runtime = TaichiRuntime(ti, ti._lib.core.arch_name(chosen), device, threading.get_ident())
            log.info("Taichi started on %s (%s)", _runtime.arch, printed.getvalue().strip())
        runtime = _runtime
    note = None
    if device == "gpu" and not runtime.on_gpu:
        note = ("device=gpu was asked for but Taichi found no usable GPU backend (CUDA, Metal, Vulkan, AMDGPU) "
                f"{'in this process' if runtime.requested == 'gpu' else 'when it was started'}; the solve runs on the CPU")
    elif device == "cpu" and runtime.on_gpu:
        note = (f"device=cpu was asked for but Taichi already runs on the GPU ({runtime.arch}) in this process "
                "and cannot switch; the solve runs on the GPU (restart Thyra to use the CPU)")
    return runtime, note
