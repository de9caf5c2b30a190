"""Where a model's weights come from: a local path, ``THYRA_MODELS_DIR``, or the Hugging Face cache.

``locate_model`` turns what a user typed (a Hugging Face id such as ``facebook/sam2.1-hiera-tiny``,
a folder written by ``save_pretrained``, or a checkpoint file) into a local path, downloading
into the standard Hugging Face cache only when the machine is online and offline mode is off.
When the weights are nowhere to be found it raises a NodeError that names the model and says how
to get it, never a library traceback.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

from thyra_graph.engine.declaration import Destination, NodeError

#: What a transformers model needs from a hub repository; checkpoints in other formats are skipped.
TRANSFORMERS_FILES = ("*.json", "*.safetensors", "*.txt", "*.model", "*.tiktoken", "*.jinja")

_OFFLINE_VARIABLES = ("THYRA_OFFLINE", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")


def offline() -> bool:
    """True when the user asked for no network (Thyra's or Hugging Face's own switches)."""
    return any(os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on") for name in _OFFLINE_VARIABLES)


def looks_like_path(name: str) -> bool:
    """A path rather than a hub id: absolute, relative with ./ or ../, ~, a backslash, or a file suffix."""
    return (name.startswith((".", "~", "/")) or "\\" in name or Path(name).is_absolute()
            or Path(name).suffix.lower() in (".pt", ".pth", ".safetensors", ".bin", ".ckpt", ".yaml"))


def models_dir_candidates(name: str) -> list[Path]:
    """Places under ``THYRA_MODELS_DIR`` a model may have been put: ``<dir>/<id>``,
    ``<dir>/<id with / as -->``, ``<dir>/<last part of id>``."""
    root = os.environ.get("THYRA_MODELS_DIR")
    if not root:
        return []
    base = Path(root).expanduser()
    parts = [name, name.replace("/", "--"), name.rsplit("/", 1)[-1]]
    return [base / part for part in dict.fromkeys(parts)]


def hub_download(params: dict) -> list[Destination]:
    """The Hugging Face hub as a destination, when running would download ``params["model"]``.

    Listed before a run (a ``destinations`` hook of model nodes) but allowed: the host is the
    user's (``HF_ENDPOINT``, default huggingface.co; ``HF_HUB_OFFLINE=1`` turns downloads off),
    and what is sent is the model id, no data of the graph's.
    """
    name = str(params.get("model") or "").strip()
    if not name or offline() or looks_like_path(name) or any(c.exists() for c in models_dir_candidates(name)):
        return []
    try:
        from huggingface_hub import snapshot_download

        snapshot_download(name, local_files_only=True)
        return []  # in the local cache: nothing to fetch
    except Exception:  # noqa: BLE001 - not cached (or not a hub id): a run would try the hub
        pass
    endpoint = os.environ.get("HF_ENDPOINT", "").strip().rstrip("/") or "https://huggingface.co"
    return [Destination(f"{endpoint}/{name}", chosen_by="user", note=f"downloads the model {name}")]


def locate_model(name: str, *, ctx=None, what: str, how_to_get: str,
                 allow_patterns: Sequence[str] | None = TRANSFORMERS_FILES) -> Path:
    """The local folder or file holding model ``name``.

    ``what`` names the model's role in messages ("the SAM 2 model"); ``how_to_get`` tells the
    user how to obtain the weights. Relative paths resolve against the graph's folder.
    """
    name = str(name).strip()
    if not name:
        raise NodeError(f"no model given for {what}: set a Hugging Face id or a local path. {how_to_get}")
    tried: list[str] = []
    if looks_like_path(name) or (ctx is not None and ctx.resolve(name).exists()):
        path = ctx.resolve(name) if ctx is not None else Path(name).expanduser()
        if path.exists():
            return path
        tried.append(str(path))
    for candidate in models_dir_candidates(name):
        if candidate.exists():
            return candidate
        tried.append(str(candidate))
    if looks_like_path(name):
        raise NodeError(f"{what} {name!r} was not found (looked at {', '.join(tried)}). {how_to_get}")
    return _from_hub(name, what=what, how_to_get=how_to_get, tried=tried, allow_patterns=allow_patterns)


def _from_hub(repo_id: str, *, what: str, how_to_get: str, tried: list[str],
              allow_patterns: Sequence[str] | None) -> Path:
    try:
        from huggingface_hub import snapshot_download
    except ImportError:
        raise NodeError(f"{what} {repo_id!r} is a Hugging Face id but huggingface_hub is not installed: "
                        f"pip install huggingface_hub, or give a local path. {how_to_get}") from None
    patterns = list(allow_patterns) if allow_patterns else None
    try:
        return Path(snapshot_download(repo_id, local_files_only=True, allow_patterns=patterns))
    except Exception:  # noqa: BLE001 - any failure here just means "not in the local cache"
        pass
    searched = "the Hugging Face cache" + (f" and {', '.join(tried)}" if tried else "")
    if offline():
        raise NodeError(f"{what} {repo_id!r} is not on this machine (searched {searched}) and offline mode is on. "
                        f"`thyra models pull GRAPH` (online) fetches every model a graph needs. {how_to_get}")
    try:
        return Path(snapshot_download(repo_id, allow_patterns=patterns))
    except Exception as exc:  # noqa: BLE001 - network, auth and missing-repo errors all end here
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise NodeError(f"{what} {repo_id!r} is not on this machine (searched {searched}) and downloading it "
                        f"failed: {reason}. {how_to_get}") from None
