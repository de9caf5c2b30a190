"""``thyra models``: listing, pulling, resuming, verifying and removing the models graphs need,
with the real huggingface_hub client against a loopback hub serving the tiny test models."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from thyra_graph.cli import main
from thyra_graph.nodes.models.url_download import partial_path, recorded_sha256

REPO = Path(__file__).resolve().parents[3]
SEGMENT_CLICKS = REPO / "graphs" / "segment_clicks.yaml"
DESCRIBE_REGIONS = REPO / "graphs" / "describe_regions.yaml"
MULTIVIEW = REPO / "graphs" / "multiview_segment.yaml"
SAM2 = "facebook/sam2.1-hiera-tiny"


def run_json(capsys, *args: str) -> tuple[int, object]:
    capsys.readouterr()  # what earlier commands printed
    code = main(["models", *args, "--json"])
    return code, json.loads(capsys.readouterr().out)


def snapshot_files(cache: Path, repo: str) -> list[Path]:
    folder = cache / f"models--{repo.replace('/', '--')}" / "snapshots"
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def test_models_lists_what_the_example_graphs_need_with_sizes_and_licences(hub_env, fake_hub, capsys):
    code, models = run_json(capsys, str(SEGMENT_CLICKS), str(DESCRIBE_REGIONS), str(MULTIVIEW))
    assert code == 1  # missing models
    by_name = {m["name"]: m for m in models}
    assert set(by_name) == {SAM2, "openai/clip-vit-base-patch32"}
    sam = by_name[SAM2]
    assert not sam["present"] and sam["license"] == "apache-2.0"
    served = fake_hub.repos[SAM2].files
    assert sam["size"] == sum(f.size for name, f in served.items() if name.endswith((".json", ".safetensors")))
    assert {(u["graph"].split("/")[-1], u["node"], u["param"]) for u in sam["used_by"]} == {
        ("segment_clicks.yaml", "sam", "model"), ("describe_regions.yaml", "sweep", "model"),
        ("multiview_segment.yaml", "segment", "model")}
    assert any("Hugging Face cache" in place for place in sam["looked"])
    assert not [r for r in fake_hub.requests if r[0] == "GET" and "/resolve/" in r[1]]  # nothing downloaded


@pytest.mark.parametrize("graph", [SEGMENT_CLICKS, MULTIVIEW], ids=lambda p: p.name)
def test_pull_fetches_with_a_progress_bar_per_file_and_the_graph_then_runs_offline(
        hub_env, fake_hub, capsys, tmp_path, monkeypatch, graph):
    assert main(["models", "pull", str(graph)]) == 0
    err = capsys.readouterr().err
    assert "model.safetensors" in err and "config.json" in err  # tqdm bars, one per file
    assert main(["models", str(graph), "--no-remote"]) == 0
    capsys.readouterr()

    # The graph finds the pulled models by itself, offline, through the standard cache.
    import huggingface_hub.constants
    from test_graphs import run_graph_file

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    fake_hub.requests.clear()
    result = run_graph_file(graph, tmp_path, monkeypatch)
    assert result.status == "ok", {n: r.error for n, r in result.nodes.items() if r.error}
    assert result.count("executed") == len(result.nodes)
    assert fake_hub.requests == []


def test_an_interrupted_download_resumes_where_it_stopped(hub_env, fake_hub, capsys, monkeypatch):
    import huggingface_hub.constants

    # The client resumes in whole chunks (10 MB); smaller chunks let the 5 MB tiny model stand for a big one.
    monkeypatch.setattr(huggingface_hub.constants, "DOWNLOAD_CHUNK_SIZE", 64 * 1024)
    fake_hub.cut_after["model.safetensors"] = 1_000_000
    assert main(["models", "pull", SAM2]) == 0
    ranges = [r[2] for r in fake_hub.downloads("model.safetensors")]
    assert ranges[0] == "" and ranges[1].startswith("bytes=") and int(ranges[1][6:-1]) > 0
    code, report = run_json(capsys, "verify", SAM2)
    assert code == 0 and report[0]["status"] == "ok" and report[0]["checked"] >= 3


def test_ctrl_c_during_a_pull_leaves_nothing_complete_looking_and_the_next_pull_finishes(
        hub_env, fake_hub, capsys, monkeypatch):
    import huggingface_hub.constants
    import tqdm.auto

    monkeypatch.setattr(huggingface_hub.constants, "DOWNLOAD_CHUNK_SIZE", 64 * 1024)

    class CtrlC(tqdm.auto.tqdm):  # the user presses Ctrl-C 1 MB into the weights
        def update(self, n=1):
            if "safetensors" in str(self.desc) and self.n + (n or 0) > 1_000_000:
                raise KeyboardInterrupt
            return super().update(n)

    original = tqdm.auto.tqdm
    monkeypatch.setattr(tqdm.auto, "tqdm", CtrlC)
    assert main(["models", "pull", SAM2]) == 130
    assert "interrupted" in capsys.readouterr().err
    assert not [p for p in snapshot_files(hub_env, SAM2) if p.name == "model.safetensors"]
    assert main(["models", SAM2, "--no-remote"]) == 1  # still missing

    monkeypatch.setattr(tqdm.auto, "tqdm", original)
    assert not list(hub_env.rglob("*.incomplete"))  # huggingface_hub drops its partial file
    assert main(["models", "pull", SAM2]) == 0
    code, report = run_json(capsys, "verify", SAM2)
    assert code == 0 and report[0]["status"] == "ok"


def test_a_corrupted_file_is_caught_by_verify_and_fetched_again_by_pull(hub_env, fake_hub, capsys):
    assert main(["models", "pull", SAM2]) == 0
    weights = next(p for p in snapshot_files(hub_env, SAM2) if p.name == "model.safetensors")
    blob = Path(os.path.realpath(weights))
    data = bytearray(blob.read_bytes())
    data[1000] ^= 0xFF
    blob.write_bytes(bytes(data))
    capsys.readouterr()

    assert main(["models", "verify", SAM2]) == 1
    out = capsys.readouterr().out
    assert "DAMAGED" in out and "model.safetensors" in out and f"thyra models pull {SAM2}" in out
    assert main(["models", "verify"]) == 1  # no arguments: everything in the cache

    fetched_before = len(fake_hub.downloads("model.safetensors"))
    assert main(["models", "pull", SAM2]) == 0
    assert len(fake_hub.downloads("model.safetensors")) == fetched_before + 1
    code, report = run_json(capsys, "verify", SAM2)
    assert code == 0 and report[0]["status"] == "ok"


def test_a_server_that_is_down_gives_a_clear_error_and_leaves_nothing_that_looks_complete(hub_env, capsys, monkeypatch):
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
    assert main(["models", "pull", str(SEGMENT_CLICKS)]) == 1
    err = capsys.readouterr().err
    assert f"cannot reach http://127.0.0.1:{port}" in err and SAM2 in err
    assert snapshot_files(hub_env, SAM2) == []


def test_offline_mode_fetches_nothing_and_says_so(hub_env, fake_hub, capsys, monkeypatch):
    monkeypatch.setenv("THYRA_OFFLINE", "1")
    assert main(["models", "pull", str(SEGMENT_CLICKS)]) == 1
    err = capsys.readouterr().err
    assert "offline mode is on (THYRA_OFFLINE=1)" in err
    assert SAM2 in err
    assert fake_hub.requests == []
    assert snapshot_files(hub_env, SAM2) == []


def test_dry_run_prints_what_would_be_fetched_and_the_total_size(hub_env, fake_hub, capsys):
    code, plan = run_json(capsys, "pull", str(MULTIVIEW), "--dry-run")
    assert code == 0
    assert {m["name"] for m in plan["fetch"]} == {SAM2, "openai/clip-vit-base-patch32"}
    assert plan["total_size"] == sum(m["size"] for m in plan["fetch"]) > 0
    assert not [r for r in fake_hub.requests if "/resolve/" in r[1]]


def test_a_gated_model_says_how_to_accept_its_licence(hub_env, fake_hub, capsys):
    fake_hub.gated.add("openai/clip-vit-base-patch32")
    assert main(["models", "pull", "openai/clip-vit-base-patch32"]) == 1
    err = capsys.readouterr().err
    assert "gated" in err and f"{fake_hub.url}/openai/clip-vit-base-patch32" in err and "hf auth login" in err


def test_list_shows_pulled_models_with_size_and_graphs_and_rm_removes_them(hub_env, capsys):
    assert main(["models", "pull", SAM2]) == 0
    capsys.readouterr()
    code, rows = run_json(capsys, "list", str(SEGMENT_CLICKS))
    assert code == 0
    row = next(r for r in rows if r["model"] == SAM2)
    assert row["size"] > 5_000_000 and row["graphs"] == [str(SEGMENT_CLICKS)]
    assert main(["models", "rm", SAM2]) == 0
    assert "freed" in capsys.readouterr().out
    code, rows = run_json(capsys, "list")
    assert rows == []
    assert main(["models", "rm", SAM2]) == 1


def test_a_graph_file_with_errors_is_reported_not_a_traceback(hub_env, tmp_path, capsys):
    broken = tmp_path / "broken.yaml"
    broken.write_text("thyra: 1\nnodes:\n  a: {type: segment.sam2_pointz}\n")
    assert main(["models", str(broken)]) == 2
    assert "sam2_pointz" in capsys.readouterr().err


@pytest.fixture
def meta_graph(tmp_path) -> Path:
    graph = tmp_path / "meta.yaml"
    graph.write_text("thyra: 1\nnodes:\n"
                     "  load: {type: io.load_image, params: {path: x.png}}\n"
                     "  sam:\n    type: segment.sam2_points\n    inputs: {image: load.image}\n"
                     f"    params: {{backend: sam2, model: {SAM2}}}\n")
    return graph


def test_meta_checkpoints_come_from_their_published_url_into_the_models_folder(
        hub_env, fake_hub, meta_graph, tmp_path, capsys, monkeypatch):
    models_dir = tmp_path / "models"
    monkeypatch.setenv("THYRA_MODELS_DIR", str(models_dir))
    assert main(["models", "pull", str(meta_graph)]) == 0
    assert [r[1] for r in fake_hub.downloads("sam2.1_hiera_tiny.pt")] == ["/segment_anything_2/092824/sam2.1_hiera_tiny.pt"]
    checkpoint = models_dir / "sam2.1_hiera_tiny.pt"
    assert checkpoint.read_bytes() == fake_hub.loose["segment_anything_2/092824/sam2.1_hiera_tiny.pt"].path.read_bytes()
    # checked against the SHA-256 the hub lists for the same file in facebook/sam2.1-hiera-tiny
    assert recorded_sha256(checkpoint) == fake_hub.repos[SAM2].files["sam2.1_hiera_tiny.pt"].sha256
    assert "no SHA-256 is published" not in capsys.readouterr().err
    capsys.readouterr()
    code, report = run_json(capsys, "verify", str(meta_graph))
    assert code == 0 and report[0]["status"] == "ok"
    checkpoint.write_bytes(checkpoint.read_bytes()[:-10] + b"0123456789")
    code, report = run_json(capsys, "verify", str(meta_graph))
    assert code == 1 and report[0]["status"] == "damaged"


def test_pull_into_the_models_folder_puts_the_model_where_nodes_look_first(hub_env, tmp_path, capsys, monkeypatch):
    models_dir = tmp_path / "models"
    monkeypatch.setenv("THYRA_MODELS_DIR", str(models_dir))
    assert main(["models", "pull", str(SEGMENT_CLICKS), "--models-dir"]) == 0
    assert (models_dir / "facebook--sam2.1-hiera-tiny" / "model.safetensors").is_file()
    assert snapshot_files(hub_env, SAM2) == []
    code, models = run_json(capsys, str(SEGMENT_CLICKS), "--no-remote")
    assert code == 0 and models[0]["found_in"] == "THYRA_MODELS_DIR"
    code, report = run_json(capsys, "verify", str(SEGMENT_CLICKS))
    assert code == 0 and report[0]["status"] == "ok" and report[0]["checked"] == 3


def test_a_pull_into_the_models_folder_is_verified_offline_from_what_the_client_recorded(
        hub_env, tmp_path, capsys, monkeypatch):
    models_dir = tmp_path / "models"
    monkeypatch.setenv("THYRA_MODELS_DIR", str(models_dir))
    assert main(["models", "pull", SAM2, "--models-dir"]) == 0
    monkeypatch.setenv("THYRA_OFFLINE", "1")
    code, report = run_json(capsys, "verify", SAM2)
    assert code == 0 and report[0]["status"] == "ok" and report[0]["checked"] == 3
    weights = models_dir / "facebook--sam2.1-hiera-tiny" / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[2000] ^= 0xFF
    weights.write_bytes(bytes(data))
    code, report = run_json(capsys, "verify", SAM2)
    assert code == 1 and report[0]["damaged"] == [str(weights)]


def test_a_pull_into_the_models_folder_that_fails_leaves_no_folder_behind(hub_env, fake_hub, tmp_path, capsys, monkeypatch):
    models_dir = tmp_path / "models"
    monkeypatch.setenv("THYRA_MODELS_DIR", str(models_dir))
    fake_hub.broken.add("processor_config.json")  # the last file: two are already fetched when it fails
    assert main(["models", "pull", SAM2, "--models-dir"]) == 1
    err = capsys.readouterr().err
    assert f"fetching {SAM2} from {fake_hub.url} failed" in err and "500" in err
    assert not (models_dir / "facebook--sam2.1-hiera-tiny").exists()


def test_a_checkpoint_whose_bytes_differ_from_the_published_hash_is_refused_and_removed(
        hub_env, fake_hub, meta_graph, tmp_path, capsys, monkeypatch):
    models_dir = tmp_path / "models"
    monkeypatch.setenv("THYRA_MODELS_DIR", str(models_dir))
    fake_hub.tampered.add("sam2.1_hiera_tiny.pt")  # the URL serves other bytes than the hub lists
    assert main(["models", "pull", str(meta_graph)]) == 1
    err = capsys.readouterr().err
    assert "SHA-256" in err and "is not the published" in err and "file was removed" in err
    checkpoint = models_dir / "sam2.1_hiera_tiny.pt"
    assert not checkpoint.exists() and not partial_path(checkpoint).exists()
    assert main(["models", str(meta_graph), "--no-remote"]) == 1  # still missing


def test_a_checkpoint_with_no_hash_to_check_against_is_fetched_and_its_hash_recorded_with_a_note(
        hub_env, fake_hub, meta_graph, tmp_path, capsys, monkeypatch):
    models_dir = tmp_path / "models"
    monkeypatch.setenv("THYRA_MODELS_DIR", str(models_dir))
    fake_hub.gated.add(SAM2)  # the hub will not list the repository: no published hash
    code, report = run_json(capsys, "pull", str(meta_graph))
    assert code == 0 and "no SHA-256 is published" in report[0]["note"]
    checkpoint = models_dir / "sam2.1_hiera_tiny.pt"
    assert recorded_sha256(checkpoint) == fake_hub.loose["segment_anything_2/092824/sam2.1_hiera_tiny.pt"].sha256


def test_without_a_models_folder_a_meta_checkpoint_comes_from_the_hub_repository(hub_env, fake_hub, meta_graph, capsys):
    assert main(["models", "pull", str(meta_graph)]) == 0
    assert [r[1] for r in fake_hub.downloads("sam2.1_hiera_tiny.pt")] == [f"/{SAM2}/resolve/main/sam2.1_hiera_tiny.pt"]
    assert not fake_hub.downloads("model.safetensors")  # only the checkpoint, not the transformers weights
    code, models = run_json(capsys, str(meta_graph), "--no-remote")
    assert code == 0 and models[0]["found_in"] == "Hugging Face cache"
    assert models[0]["found"].endswith("sam2.1_hiera_tiny.pt")
    code, report = run_json(capsys, "verify", str(meta_graph))
    assert code == 0 and report[0]["status"] == "ok" and report[0]["checked"] == 1


def test_models_inside_a_subgraph_are_listed_and_pulled(hub_env, fake_hub, tmp_path, capsys):
    (tmp_path / "clicks.yaml").write_text(
        "thyra: 1\nname: clicks\ninputs: {image: sam.image}\nnodes:\n"
        f"  sam: {{type: segment.sam2_points, params: {{model: {SAM2}, clicks: [[10, 10, 1]]}}}}\n"
        "outputs: [sam.instances]\n")
    graph = tmp_path / "uses.yaml"
    graph.write_text("thyra: 1\nnodes:\n  load: {type: io.load_image, params: {path: x.png}}\n"
                     "  part: {type: ./clicks.yaml, inputs: {image: load.image}}\n")
    code, models = run_json(capsys, str(graph), "--no-remote")
    assert code == 1 and [(m["name"], [u["node"] for u in m["used_by"]]) for m in models] == [(SAM2, ["part/sam"])]
    assert main(["models", "pull", str(graph)]) == 0
    code, models = run_json(capsys, str(graph), "--no-remote")
    assert code == 0 and models[0]["present"]
