"""Builders of tiny randomly initialised models (no download), one module per model family.

Each module offers ``install(models_dir: Path) -> None``, which saves its models under
``models_dir`` in the layout real weights have (a ``save_pretrained`` folder, or a checkpoint
and its config), named after the Hugging Face ids the example graphs use with ``/`` → ``--``.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path


def install_all(models_dir: Path) -> None:
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        install = getattr(module, "install", None)
        if install is not None:
            install(Path(models_dir))
