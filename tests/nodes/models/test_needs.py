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
        if any(call in source for call in ("locate_model(", "load_segmenter(", "model_params()", "load_model(")):
            loaders.append(spec.id)
            assert spec.models is not None, f"{spec.id} loads weights but declares no models="
    assert {"segment.sam2_points", "label.clip", "recon.depth", "recon.vggt", "label.local_vlm",
            "count.learned_density"} <= set(loaders)


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


def test_a_density_network_is_a_local_checkpoint_found_where_the_node_looks(tmp_path, monkeypatch):
    from thyra_graph.nodes.models.inventory import Need, models_of

    spec = REGISTRY.get("count.learned_density")
    (ref,) = spec.needed_models({"checkpoint": "models/birds.safetensors"})
    assert (ref.source, ref.param, ref.backend) == ("path", "checkpoint", "torch")
    monkeypatch.delenv("THYRA_MODELS_DIR", raising=False)
    need = Need("g.yaml", "density", spec.id, ref, tmp_path)
    assert not models_of([need])[0].present
    monkeypatch.setenv("THYRA_MODELS_DIR", str(tmp_path / "models-dir"))
    (tmp_path / "models-dir").mkdir()
    (tmp_path / "models-dir" / "birds.safetensors").write_bytes(b"x")  # a bare file name, as the node looks
    (model,) = models_of([need])
    assert model.present and model.found_in == "THYRA_MODELS_DIR"
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "birds.safetensors").write_bytes(b"x")  # beside the graph comes first
    (model,) = models_of([need])
    assert model.found == tmp_path / "models" / "birds.safetensors" and model.found_in == "path"
