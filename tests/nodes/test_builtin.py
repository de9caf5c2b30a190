"""thyra_graph.nodes.builtin: the list of shipped nodes, cheap to import."""

from __future__ import annotations

import subprocess
import sys

from thyra_graph.nodes.builtin import THYRA_NODES
from thyra_graph.types import Path

REQUIRED = {
    "io.load_image", "io.load_video", "io.sample_frames", "io.video_frame", "io.save_image",
    "io.save_video", "image.resize", "image.to_gray", "image.threshold", "image.morphology",
    "image.contours", "image.overlay",
}


def test_builtin_lists_every_starter_node_once():
    ids = [spec.id for spec in THYRA_NODES]
    assert len(ids) == len(set(ids))
    assert REQUIRED <= set(ids)


def test_importing_builtin_loads_no_heavy_library():
    code = ("import sys, thyra_graph.nodes.builtin as b; "
            "print(len(b.THYRA_NODES), *sorted(m for m in ('cv2', 'scipy', 'skimage') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == [str(len(THYRA_NODES))]


def test_every_sink_outputs_the_written_path():
    sinks = [spec for spec in THYRA_NODES if spec.is_sink]
    assert {"io.save_image", "io.save_video", "export.coco", "export.semantic_png"} <= {spec.id for spec in sinks}
    for spec in sinks:
        # Path, or Files (a Path subtype) for sinks that write several files
        assert spec.output("path") is not None and issubclass(spec.output("path").type, Path), spec.id


def test_every_node_documents_itself_and_its_params():
    for spec in THYRA_NODES:
        assert spec.summary, spec.id
        assert all(param.help for param in spec.params), spec.id


RESULT_NEUTRAL = {"overwrite", "unload", "timeout", "retries", "concurrency", "debug_dir"}


def test_params_that_cannot_change_a_result_are_declared_so_on_every_built_in_node():
    # Toggling one of them must re-run nothing (they stay out of the cache key).
    from thyra_graph.nodes.builtin import THYRA_NODES

    wrong = [f"{spec.id}.{p.name}" for spec in THYRA_NODES for p in spec.params
             if p.name in RESULT_NEUTRAL and p.affects_result]
    assert wrong == []
