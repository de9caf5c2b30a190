"""Refusing a solve that cannot fit in memory, before anything is allocated."""

from __future__ import annotations

import ctypes
import os
import sys

from thyra_graph.engine.declaration import NodeError

#: Float64 NumPy arrays alive at the peak while the grid is built (u, u⁻, kx, ky, c², β and
#: temporaries), per padded cell.
_BUILD_BYTES_PER_CELL = 10 * 8


def available_memory() -> int | None:
    """Bytes of memory available to a new allocation now, or None when it cannot be told."""
    try:
        import psutil  # optional: the most accurate answer on every platform

        return int(psutil.virtual_memory().available)
    except ImportError:
        pass
    if sys.platform.startswith("linux"):
        try:
            with open("/proc/meminfo", encoding="ascii") as f:
                for line in f:
                    if line.startswith("MemAvailable:"):
                        return int(line.split()[1]) * 1024
        except (OSError, ValueError, IndexError):
            pass
    if sys.platform == "win32":
        class _Status(ctypes.Structure):
            _fields_ = [("length", ctypes.c_ulong), ("load", ctypes.c_ulong), ("total", ctypes.c_ulonglong),
                        ("available", ctypes.c_ulonglong), ("page_total", ctypes.c_ulonglong),
                        ("page_available", ctypes.c_ulonglong), ("virtual_total", ctypes.c_ulonglong),
                        ("virtual_available", ctypes.c_ulonglong), ("extended", ctypes.c_ulonglong)]

        status = _Status()
        status.length = ctypes.sizeof(_Status)
        if ctypes.windll.kernel32.GlobalMemoryStatusEx(ctypes.byref(status)):  # type: ignore[attr-defined]
            return int(status.available)
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return None


def solve_memory(rows: int, cols: int, *, sponge: int, itemsize: int, snapshot_bytes: int) -> int:
    """Bytes a solve of an ``rows × cols`` image needs at its peak."""
    cells = (rows + 2 * sponge + 2) * (cols + 2 * sponge + 2)
    # The solver's own arrays (on the GPU when it runs there): 4 per cell, 6 with temporal
    # blocking on the CPU (a second state pair); counted as 6 so either fits.
    solver = 6 * itemsize * cells
    return cells * _BUILD_BYTES_PER_CELL + solver + snapshot_bytes + 6 * rows * cols * 8


def check_memory(needed: int, *, limit_gb: float | None, what: str) -> None:
    """Raise NodeError naming the size when ``needed`` bytes do not fit."""
    available = available_memory()
    budget = None if available is None else int(0.9 * available)
    source = "available memory"
    if limit_gb is not None and (budget is None or limit_gb * 1e9 < budget):
        budget, source = int(limit_gb * 1e9), "max_memory_gb"
    if budget is not None and needed > budget:
        raise NodeError(
            f"{what} would need {human_bytes(needed)} of memory but only {human_bytes(budget)} is allowed "
            f"({source}); nothing was allocated. Reduce the grid (a smaller grid_width on sim.wave_init), "
            "the sponge width, or use float32")


def human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1000.0
    return f"{n:.1f} TB"
