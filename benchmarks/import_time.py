"""Start-up cost: importing Thyra and building the node registry, in fresh interpreters.

    .venv/bin/python benchmarks/import_time.py [--quick]

``thyra nodes``, the CLI and the editor all start by importing ``thyra_graph`` and building
the default registry (built-in nodes, entry points, plugin folders). Heavy libraries are
imported inside node code only, so this must stay light. Measured, each command in a new
process (median of 5 after a warm-up that fills the OS file cache):

- baselines: ``python -c pass`` and ``python -c "import numpy"`` (numpy is a hard
  dependency, so Thyra cannot start faster than it);
- ``import thyra_graph; from thyra_graph.api import default_registry; default_registry()``.

Targets: under 1 s, and none of torch, transformers, taichi, open3d, cv2, skimage, scipy,
PySide6 loaded afterwards. Import time per package (``python -X importtime``) is listed so
a regression shows where it comes from.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

from measure import Report, format_ratio, format_seconds

TARGET_S = 1.0
THYRA = "import thyra_graph; from thyra_graph.api import default_registry; default_registry()"
HEAVY = ("torch", "transformers", "taichi", "open3d", "cv2", "skimage", "scipy", "PySide6", "NodeGraphQt")
COMMANDS = {
    "python -c pass": "pass",
    "python -c 'import numpy'": "import numpy",
    "Thyra: import + default_registry()": THYRA,
}


def run_time(code: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
    return time.perf_counter() - start


def loaded_heavy_modules() -> tuple[list[str], int, int]:
    """Which heavy modules a fresh process holds after the Thyra start-up, how many modules in
    all, and how many node types the registry has."""
    probe = (f"{THYRA.replace('default_registry()', 'registry = default_registry()')}\n"
             "import sys, json\n"
             f"print(json.dumps([[m for m in {HEAVY!r} if m in sys.modules], len(sys.modules), len(registry.specs)]))")
    done = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True)
    heavy, modules, nodes = json.loads(done.stdout.strip().splitlines()[-1])
    return heavy, modules, nodes


def slowest_imports(count: int) -> list[tuple[str, float]]:
    """Import time by top-level package (each module's own time, summed), from ``-X importtime``."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", THYRA], check=True, capture_output=True, text=True)
    totals: dict[str, float] = {}
    for line in done.stderr.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if len(parts) != 3 or not parts[0].strip().isdigit():
            continue  # the header line
        package = parts[2].strip().split(".")[0]
        totals[package] = totals.get(package, 0.0) + int(parts[0]) / 1e6
    return sorted(totals.items(), key=lambda item: -item[1])[:count]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 repetitions instead of 5")
    args = parser.parse_args(argv)
    repeat = 3 if args.quick else 5
    report = Report(f"Start-up in a fresh interpreter: median of {repeat} after a warm-up, minimum alongside",
                    ["command", "median", "min", "vs python -c pass", "vs import numpy", "target", "verdict"])
    medians: dict[str, float] = {}
    for label, code in COMMANDS.items():
        run_time(code)  # warm-up: the file cache, and .pyc files written if missing
        samples = [run_time(code) for _ in range(repeat)]
        medians[label] = statistics.median(samples)
        bare, numpy_ = medians.get("python -c pass"), medians.get("python -c 'import numpy'")
        is_thyra = code == THYRA
        report.row(label, format_seconds(medians[label]), format_seconds(min(samples)),
                   format_ratio(medians[label] / bare) if bare else "",
                   format_ratio(medians[label] / numpy_) if numpy_ else "",
                   f"< {TARGET_S:g} s" if is_thyra else "",
                   report.target("start-up time", medians[label] < TARGET_S) if is_thyra else "")
    heavy, modules, nodes = loaded_heavy_modules()
    report.row("heavy modules loaded after start-up", ", ".join(heavy) or "none", "", "", "", "none",
               report.target("no heavy module loaded", not heavy))
    report.print()
    print(f"\nchecked for: {', '.join(HEAVY)}; the start-up loaded {modules} modules in all and "
          f"registered {nodes} node types")
    print("import time by package (own time of its modules, one run): " + ", ".join(
        f"{name} {format_seconds(seconds)}" for name, seconds in slowest_imports(8)))
    return report.verdict()


if __name__ == "__main__":
    sys.exit(main())
