"""Starting Taichi once per process, on the GPU when there is one.

``ti.init`` is process-global: calling it again resets every Taichi array and compiled kernel,
including those of a solve running in another thread. So Taichi is started once, by the first
solve, on the backend that solve asks for (``auto`` tries the GPU first); later solves reuse it
and are told (a warning) when they asked for another backend. All Taichi work goes through
:data:`TAICHI_LOCK`, because Taichi's runtime is not meant to be driven from two threads.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import threading
import warnings
from dataclasses import dataclass
from typing import Any

DEVICES = ("auto", "cpu", "gpu")
GPU_ARCHS = ("cuda", "metal", "vulkan", "amdgpu")
TAICHI_LOCK = threading.RLock()

log = logging.getLogger("thyra.sim")
_runtime: "TaichiRuntime | None" = None


@dataclass(frozen=True)
class TaichiRuntime:
    """The started Taichi module and the backend it runs on."""

    ti: Any
    arch: str  # Taichi's name: x64, arm64, cuda, vulkan, metal, ...
    requested: str  # the device the first solve asked for

    @property
    def on_gpu(self) -> bool:
        return self.arch in GPU_ARCHS

    @property
    def device(self) -> str:
        return "gpu" if self.on_gpu else "cpu"


def taichi_runtime(device: str = "auto") -> tuple[TaichiRuntime, str | None]:
    """The process's Taichi runtime, started on first use; and a note when it cannot honour
    ``device`` (``"gpu"`` without a GPU, or a backend other than the one already started)."""
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
            _runtime = TaichiRuntime(ti, ti._lib.core.arch_name(chosen), device)
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
