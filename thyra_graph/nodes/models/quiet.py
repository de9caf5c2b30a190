"""Loading a transformers model without its own console output.

Thyra shows a progress bar per node; transformers' "Loading weights" bars and its notes on
loading a checkpoint into a related architecture (the hub's SAM 2 checkpoints are of the video
type and are loaded as the image model on purpose) would be printed through it.
Real problems still raise.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator


@contextmanager
def quiet_transformers() -> Iterator[None]:
    from transformers.utils import logging as hf_logging

    verbosity = hf_logging.get_verbosity()
    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()
