"""Loading SAM 2: shared params, once per process, clear errors for missing weights or packages."""

from __future__ import annotations

import importlib.util
import os

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from thyra_graph.engine.declaration import NodeError  # noqa: E402
from thyra_graph.nodes.segment import sam2_loading  # noqa: E402
from thyra_graph.nodes.segment.sam2_loading import load_segmenter, model_params, unload_segmenter  # noqa: E402


def test_every_sam2_node_shares_the_same_model_params():
    params = {p.name: p for p in model_params()}
    assert list(params) == ["backend", "model", "config", "device", "precision", "unload"]
    assert params["backend"].choices == ("transformers", "sam2") and params["backend"].default == "transformers"
    assert params["model"].default == "facebook/sam2.1-hiera-tiny"
    assert params["config"].default == "configs/sam2.1/sam2.1_hiera_t.yaml"
    assert params["unload"].default is False


def test_the_model_is_loaded_once_per_process_and_unloaded_on_request(sam2_ctx, transformers_params):
    first = load_segmenter(sam2_ctx, **transformers_params)
    assert load_segmenter(sam2_ctx, **transformers_params) is first
    unload_segmenter(sam2_ctx, first)
    assert load_segmenter(sam2_ctx, **transformers_params) is not first


def test_the_key_changes_when_the_weights_file_changes(sam2_ctx, transformers_params, sam2_models):
    from tiny_models.sam2 import tiny_transformers_dir

    before = load_segmenter(sam2_ctx, **transformers_params).key
    weights = tiny_transformers_dir(sam2_models) / "model.safetensors"
    stat = weights.stat()
    try:
        os.utime(weights, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
        assert load_segmenter(sam2_ctx, **transformers_params).key != before
    finally:
        os.utime(weights, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def test_a_local_save_pretrained_folder_works_as_the_model(sam2_ctx, sam2_models):
    from tiny_models.sam2 import tiny_transformers_dir

    segmenter = load_segmenter(sam2_ctx, backend="transformers", model=str(tiny_transformers_dir(sam2_models)),
                               device="cpu")
    assert segmenter.key.startswith("sam2-transformers-")


def test_missing_weights_offline_name_the_model_and_how_to_download_it(sam2_ctx, sam2_models, monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    with pytest.raises(NodeError) as caught:
        load_segmenter(sam2_ctx, backend="transformers", model="facebook/sam2.1-hiera-large", device="cpu")
    message = str(caught.value)
    assert "facebook/sam2.1-hiera-large" in message and "offline" in message
    assert "hf download facebook/sam2.1-hiera-tiny" in message


def test_a_missing_meta_checkpoint_names_the_file_and_the_download_url(sam2_ctx, sam2_models):
    pytest.importorskip("sam2")
    with pytest.raises(NodeError) as caught:
        load_segmenter(sam2_ctx, backend="sam2", model="checkpoints/sam2.1_hiera_large.pt", device="cpu")
    message = str(caught.value)
    assert "sam2.1_hiera_large.pt" in message
    assert "https://dl.fbaipublicfiles.com/segment_anything_2/092824/sam2.1_hiera_tiny.pt" in message


def test_a_meta_checkpoint_with_the_transformers_backend_says_to_switch_backend(sam2_ctx, sam2_models):
    with pytest.raises(NodeError, match="set backend: sam2"):
        load_segmenter(sam2_ctx, backend="transformers", model="sam2.1_hiera_tiny.pt", device="cpu")


def test_a_hub_id_with_a_config_for_another_size_is_refused(sam2_ctx, sam2_models):
    pytest.importorskip("sam2")
    with pytest.raises(NodeError, match="needs config 'configs/sam2.1/sam2.1_hiera_l.yaml'"):
        load_segmenter(sam2_ctx, backend="sam2", model="facebook/sam2.1-hiera-large", device="cpu",
                       config="configs/sam2.1/sam2.1_hiera_t.yaml")


def test_an_unknown_config_lists_the_package_configs(sam2_ctx, sam2_models):
    pytest.importorskip("sam2")
    with pytest.raises(NodeError, match="configs/sam2.1/sam2.1_hiera_t.yaml"):
        load_segmenter(sam2_ctx, backend="sam2", model="sam2.1_hiera_tiny.pt", config="hiera_tiny.yaml", device="cpu")


def test_a_missing_package_says_which_extra_to_install(sam2_ctx, monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "sam2" else real(name, *a))
    with pytest.raises(NodeError, match=r"pip install 'thyra-graph\[sam2\]'"):
        load_segmenter(sam2_ctx, backend="sam2", model="sam2.1_hiera_tiny.pt", device="cpu")


def test_an_unknown_backend_lists_the_backends(sam2_ctx):
    with pytest.raises(NodeError, match="transformers, sam2"):
        load_segmenter(sam2_ctx, backend="onnx", model="x", device="cpu")


def test_loading_modules_do_not_import_torch_at_import_time():
    import subprocess
    import sys

    code = ("import sys; import thyra_graph.nodes.segment.sam2_points, thyra_graph.nodes.segment.sam2_loading; "
            "print('torch' in sys.modules or 'transformers' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "False"
    assert sam2_loading.BACKENDS == ("transformers", "sam2")
