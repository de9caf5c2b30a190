"""Devices as the engine sees them: a canonical name, the memory pool it draws on, one lock each.

A node that runs a model claims the device it *actually* runs on (after ``auto`` was resolved)
through ``ctx.claim_device``; the executor releases the claim when the node ends. Two rules
follow from what the hardware shares:

- ``cpu`` takes no lock: CPU nodes run side by side on the executor's thread pool (their
  memory is bounded by the resource cache's RAM budget, not by serialising them);
- each accelerator has its own lock: ``cuda`` and ``cuda:0`` are one device (torch's current
  device is 0 unless a program changes it; under Ray, ``CUDA_VISIBLE_DEVICES`` makes the GPU a
  worker got its ``cuda:0``), ``cuda:1`` is another, so two GPUs serve two nodes at once.

The locks are per process: two executors in one process (an editor window and a batch run)
share the GPU, and two models loading onto it at once could both fail for want of memory.
"""

from __future__ import annotations

import threading

#: Memory pool of every device that computes in the machine's RAM.
RAM = "ram"

_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def canonical_device(device: str) -> str:
    """``cuda`` → ``cuda:0``, ``CPU`` → ``cpu``; other names (``cuda:1``, ``mps``) as given, lower case."""
    name = str(device).strip().lower()
    if name == "cuda":
        return "cuda:0"
    if name.startswith("cpu"):
        return "cpu"
    return name


def memory_pool(device: str) -> str:
    """Where a model on ``device`` keeps its weights: ``ram`` for the CPU, else the device itself."""
    name = canonical_device(device)
    return RAM if name == "cpu" else name


def device_lock(device: str) -> threading.Lock | None:
    """The process-wide lock of ``device``; ``None`` for the CPU, which is not serialised."""
    name = canonical_device(device)
    if name == "cpu":
        return None
    with _LOCKS_GUARD:
        lock = _LOCKS.get(name)
        if lock is None:
            lock = _LOCKS[name] = threading.Lock()
        return lock
