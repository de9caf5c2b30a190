"""count.learned_density is the only counting node that needs torch, and says so."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

from thyra_graph.nodes.count.learned import learned_density


def test_the_network_node_declares_torch_and_is_unavailable_without_it(monkeypatch):
    assert learned_density.requires == ("torch", "safetensors")
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "torch" else real(name, *a))
    assert learned_density.missing_requirements() == ["torch"]


def test_listing_the_counting_nodes_imports_neither_torch_nor_opencv():
    code = ("import sys, thyra_graph.nodes.count.learned, thyra_graph.nodes.count.tiled, "
            "thyra_graph.nodes.count.clumps, thyra_graph.nodes.count.video; "
            "print(sorted(m for m in ('torch', 'cv2', 'scipy', 'safetensors') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"
