"""Suite-wide fixtures: tiny randomly initialised models standing in for real weights.

Model nodes load weights through their real loading code; the tests give them tiny models of
the same architecture, saved the way the real ones are distributed, under ``THYRA_MODELS_DIR``
with the names the example graphs use (``facebook/sam2.1-hiera-tiny`` → ``facebook--sam2.1-hiera-tiny``).
Builders live in ``tests/tiny_models/``; this folder is put on ``sys.path`` so tests can
``import tiny_models.<name>``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

_TESTS = str(Path(__file__).resolve().parent)
if _TESTS not in sys.path:
    sys.path.insert(0, _TESTS)


@pytest.fixture(scope="session")
def tiny_models_dir(tmp_path_factory) -> Path:
    """A THYRA_MODELS_DIR holding every tiny model the builders in tests/tiny_models/ make (built once)."""
    from tiny_models import install_all

    folder = tmp_path_factory.mktemp("models")
    install_all(folder)
    return folder


@pytest.fixture
def use_tiny_models(tiny_models_dir, monkeypatch) -> Path:
    """Point THYRA_MODELS_DIR at the tiny models and forbid downloads for this test."""
    monkeypatch.setenv("THYRA_MODELS_DIR", str(tiny_models_dir))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return tiny_models_dir


@pytest.fixture
def local_chat_server(monkeypatch):
    """A loopback test double of an OpenAI-compatible server (tests/nodes/label/chat_server.py),
    reachable through OPENAI_BASE_URL as label.vlm's default address; it runs no model."""
    from nodes.label.chat_server import ChatServer

    with ChatServer() as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.url)
        yield server


@pytest.fixture(scope="session")
def fake_hub(tiny_models_dir):
    """A loopback Hugging Face hub (tests/hub_server.py) serving the tiny models under their real
    ids, and Meta's SAM 2 checkpoint at its published path; the real huggingface_hub client talks to it."""
    from hub_server import FakeHub

    repos = {p.name.replace("--", "/"): p for p in tiny_models_dir.iterdir() if p.is_dir() and "--" in p.name}
    loose = {f"segment_anything_2/092824/{p.name}": p for p in tiny_models_dir.glob("*.pt")}
    # The hub's SAM 2 repositories hold Meta's checkpoint too; its listed SHA-256 checks the URL download.
    extra = {"facebook/sam2.1-hiera-tiny": {p.name: p for p in tiny_models_dir.glob("sam2.1_hiera_tiny.pt")}}
    server = FakeHub(repos, loose, extra).start()
    yield server
    server.stop()


@pytest.fixture
def hub_env(fake_hub, tmp_path, monkeypatch):
    """Online, with HF_ENDPOINT at the loopback hub and an empty Hugging Face cache of this test's own."""
    import huggingface_hub.constants

    cache = tmp_path / "hf-cache"
    for name in ("THYRA_MODELS_DIR", "THYRA_OFFLINE", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HOME", "HF_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HF_ENDPOINT", fake_hub.url)
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.setenv("THYRA_SAM2_BASE_URL", f"{fake_hub.url}/segment_anything_2")
    # huggingface_hub reads its offline switch and default cache once, at import.
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(cache))
    fake_hub.requests.clear()
    fake_hub.gated.clear()
    fake_hub.cut_after.clear()
    fake_hub.slow.clear()
    fake_hub.broken.clear()
    fake_hub.tampered.clear()
    return cache
