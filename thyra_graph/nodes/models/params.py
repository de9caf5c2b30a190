"""The parameters every model node shares: where it runs, in which number format, and unloading.

One declaration, so the names, defaults, choices and help read the same on every model node
(graph files and cache keys depend on the names and defaults: they never change here).
"""

from __future__ import annotations

from thyra_graph.engine.declaration import Param

from .device import DEVICE_CHOICES, PRECISION_CHOICES


def runtime_params(*, precision: bool = True, unload: bool = True) -> list[Param]:
    """``device`` (and unless turned off ``precision`` and ``unload``), for a model node's ``params=[...]``."""
    params = [Param("device", "auto", choices=DEVICE_CHOICES,
                    help="where to run: auto uses a CUDA GPU when there is one; cuda:N picks one of several")]
    if precision:
        params.append(Param("precision", "auto", choices=PRECISION_CHOICES,
                            help="number format on the GPU (auto: bfloat16 where supported, else float16); "
                                 "the CPU always uses float32"))
    if unload:
        params.append(Param("unload", False, affects_result=False,
                            help="free the model's memory after this node runs (models are otherwise kept, "
                                 "and freed least recently used when THYRA_MODEL_RAM_BUDGET/_GPU_BUDGET is reached)"))
    return params
