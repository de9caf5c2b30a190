"""How much faster a new SAM 2 prompt is once the image embedding is cached.

    .venv/bin/python benchmarks/sam2_prompt_speed.py [--quick]

Target (issue 5, Benchmark): with the embedding cached, a new prompt on the same image is at
least 20× faster than the first run, measured with the hiera-tiny architecture on the CPU.

The model is a randomly initialised transformers ``Sam2Model`` with the real
``facebook/sam2.1-hiera-tiny`` sizes (``Sam2Config()``'s defaults: Hiera 96 wide, stages
1-2-7-2, global attention in blocks 5, 7, 9; 256-wide FPN and decoder; 1024 × 1024 input),
saved with ``save_pretrained`` and loaded through the node's real loading code, so the
timings are the real model's (random weights cost the same arithmetic). Each figure is the
``segment.sam2_points`` node called directly on a 1280 × 960 photo-sized image:

- first run (the baseline): an empty embedding cache, so the image encoder and the decoder run;
- new prompt: other clicks on the same image, the embedding in memory: only the decoder runs;
- after a restart: memory empty, the embedding read back from the disk cache.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from measure import Report, format_ratio, format_seconds, timed

TARGET_RATIO = 20.0
MODEL_ID = "facebook/sam2.1-hiera-tiny"


def build_hiera_tiny(models_dir: Path) -> Path:
    """A random hiera-tiny-sized Sam2Model + processor saved where THYRA_MODELS_DIR finds MODEL_ID."""
    import torch
    from transformers import Sam2Config, Sam2Model, Sam2Processor
    from transformers.models.sam2 import Sam2ImageProcessor

    torch.manual_seed(0)
    folder = models_dir / MODEL_ID.replace("/", "--")
    Sam2Model(Sam2Config()).eval().save_pretrained(str(folder))
    Sam2Processor(Sam2ImageProcessor()).save_pretrained(str(folder))
    return folder


def photo(height: int = 960, width: int = 1280) -> np.ndarray:
    """A smooth colour scene with a few discs, like a photo of coins on a table."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:height, :width]
    image = np.stack([(xx * 200 // width), (yy * 200 // height), np.full_like(xx, 90)], axis=2).astype(np.uint8)
    for _ in range(12):
        cx, cy, r = rng.integers(100, width - 100), rng.integers(100, height - 100), rng.integers(30, 90)
        image[(yy - cy) ** 2 + (xx - cx) ** 2 < r * r] = rng.integers(60, 255, 3)
    return image


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args()
    first_repeat, prompt_repeat = (1, 5) if args.quick else (3, 20)

    import torch

    from thyra_graph.engine.context import Context
    from thyra_graph.engine.resources import ResourceCache
    from thyra_graph.engine.store import Store
    from thyra_graph.nodes.segment.embedding_cache import memory_of
    from thyra_graph.nodes.segment.sam2_loading import load_segmenter
    from thyra_graph.nodes.segment.sam2_points import sam2_points
    from thyra_graph.types import Image

    work = Path(tempfile.mkdtemp(prefix="sam2-bench-"))
    try:
        build_hiera_tiny(work / "models")
        os.environ["THYRA_MODELS_DIR"] = str(work / "models")
        os.environ["HF_HUB_OFFLINE"] = "1"
        resources = ResourceCache()
        model = {"backend": "transformers", "model": MODEL_ID, "device": "cpu"}
        image = Image(photo())
        clicks = [[[200 + 37 * i, 150 + 23 * i, 1]] for i in range(first_repeat + prompt_repeat + 4)]
        counter = iter(range(10**6))

        def context(cache_dir: Path | None) -> Context:
            return Context("sam", "segment.sam2_points", resources=resources,
                           store=Store(cache_dir) if cache_dir is not None else None)

        start = time.perf_counter()
        load_segmenter(context(None), **model)
        load_s = time.perf_counter() - start

        def cold_setup() -> Context:
            memory_of(context(None)).__init__()  # forget every embedding
            return context(work / f"cache-{next(counter)}")  # and start from an empty disk cache

        def run(ctx: Context) -> None:
            sam2_points(image, ctx=ctx, clicks=clicks[next(counter) % len(clicks)], **model)

        first = timed(run, setup=cold_setup, repeat=first_repeat, warmup=1)
        warm_ctx = context(work / "cache-warm")
        run(warm_ctx)
        prompt = timed(run, setup=lambda: warm_ctx, repeat=prompt_repeat, warmup=2)

        def restart_setup() -> Context:
            memory_of(warm_ctx).__init__()
            return warm_ctx

        restart = timed(run, setup=restart_setup, repeat=max(3, first_repeat), warmup=1)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    ratio = first.median / prompt.median
    report = Report(f"segment.sam2_points, hiera-tiny architecture (random weights), 1280 × 960 image, CPU, "
                    f"{torch.get_num_threads()} torch threads", ["case", "median", "min", "vs first run", "target"])
    report.row("first run (encode + decode)", format_seconds(first.median), format_seconds(first.min), "1×", "baseline")
    report.row("new prompt, embedding in memory", format_seconds(prompt.median), format_seconds(prompt.min),
               format_ratio(ratio) + " faster",
               report.target(f"new prompt ≥ {TARGET_RATIO:g}× faster than the first run", ratio >= TARGET_RATIO))
    report.row("new prompt after a restart (disk cache)", format_seconds(restart.median), format_seconds(restart.min),
               format_ratio(first.median / restart.median) + " faster", "")
    report.row("model load (once per process)", format_seconds(load_s), "", "", "")
    report.print()
    return report.verdict()


if __name__ == "__main__":
    sys.exit(main())
