"""Every built-in node that loads weights declares them, as the loader will look for them."""

from __future__ import annotations

import inspect


from thyra_graph.api import default_registry
from thyra_graph.nodes.models.needs import sam2_checkpoint_url

REGISTRY = default_registry()


def test_every_node_that_locates_a_model_declares_its_models():
    loaders = []
    for spec in REGISTRY:
        source = inspect.getsource(inspect.getmodule(spec.func))
        if "locate_model" in source or "load_segmenter" in source or "model_params()" in source:
            loaders.append(spec.id)
            assert spec.models is not None, f"{spec.id} loads weights but declares no models="
    assert {"segment.sam2_points", "label.clip", "recon.depth", "recon.vggt", "label.local_vlm"} <= set(loaders)


def test_sam2_nodes_need_the_transformers_model_or_metas_checkpoint_by_backend():
    spec = REGISTRY.get("segment.sam2_points")
    (hub,) = spec.needed_models()
    assert (hub.name, hub.source, hub.backend) == ("facebook/sam2.1-hiera-tiny", "hub", "transformers")
    (meta,) = spec.needed_models({"backend": "sam2"})
    assert (meta.name, meta.source, meta.repo) == ("sam2.1_hiera_tiny.pt", "url", "facebook/sam2.1-hiera-tiny")
    assert meta.url == "https://dl.fbaipublicfiles.com/segment_anything_2/092824/sam2.1_hiera_tiny.pt"
    (local,) = spec.needed_models({"backend": "sam2", "model": "weights/mine.pt"})
    assert (local.source, local.name) == ("path", "weights/mine.pt")


def test_the_sam2_url_base_can_point_at_a_mirror(monkeypatch):
    monkeypatch.setenv("THYRA_SAM2_BASE_URL", "http://127.0.0.1:9/mirror/")
    assert sam2_checkpoint_url("sam2_hiera_large.pt") == "http://127.0.0.1:9/mirror/072824/sam2_hiera_large.pt"


def test_vggt_is_gated_and_multiview_needs_sam2_and_clip():
    (vggt,) = REGISTRY.get("recon.vggt").needed_models()
    assert vggt.gated and vggt.backend == "vggt" and vggt.files == ("*.json", "*.safetensors")
    names = [(m.param, m.name) for m in REGISTRY.get("segment.multiview").needed_models()]
    assert names == [("model", "facebook/sam2.1-hiera-tiny"), ("clip_model", "openai/clip-vit-base-patch32")]
    assert [m.param for m in REGISTRY.get("segment.multiview").needed_models({"clip_model": ""})] == ["model"]
