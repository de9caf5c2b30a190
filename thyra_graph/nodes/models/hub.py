"""Hugging Face hub models on this machine: what the hub lists, fetching, re-hashing, removing.

Everything goes through huggingface_hub's own API (``HfApi.model_info`` for sizes and
hashes, ``hf_hub_download`` with its progress bar per file and its Range resume,
``scan_cache_dir`` for what is cached). The endpoint and cache folder are read from the
environment on every call (``HF_ENDPOINT``, ``HF_HUB_CACHE``/``HF_HOME``), not once at import.

A file is checked against the hash the hub publishes for it: the SHA-256 of an LFS file (the
name of its blob in the cache), or the git blob id (SHA-1 of ``"blob <size>\\0"`` + content)
of a small file.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from thyra_graph.engine.declaration import NodeError

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_SHA1 = re.compile(r"^[0-9a-f]{40}$")


def endpoint() -> str:
    """The hub the user chose (``HF_ENDPOINT``), default huggingface.co."""
    return os.environ.get("HF_ENDPOINT", "").strip().rstrip("/") or "https://huggingface.co"


def cache_dir() -> Path:
    """The Hugging Face hub cache folder, as huggingface_hub computes it from the environment."""
    for name in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"):
        if os.environ.get(name):
            return Path(os.environ[name]).expanduser()
    home = os.environ.get("HF_HOME") or os.path.join(os.environ.get("XDG_CACHE_HOME") or "~/.cache", "huggingface")
    return Path(home).expanduser() / "hub"


@dataclass(frozen=True)
class RemoteFile:
    """A file of a hub repository as the hub lists it."""

    path: str
    size: int
    sha256: str = ""  # LFS files
    blob_id: str = ""  # git blob id (SHA-1), every file

    @property
    def expected_hash(self) -> str:
        return self.sha256 or self.blob_id


@dataclass
class RemoteModel:
    """What the hub says about a model repository at one revision (only the files Thyra reads)."""

    repo: str
    commit: str
    files: list[RemoteFile] = field(default_factory=list)
    revision: str | None = None  # as asked for (None: the default branch), so the cache records the ref
    license: str = ""
    gated: bool = False

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)


def _patterns(files: Sequence[str]) -> list[str] | None:
    return list(files) if files else None


def remote_model(repo: str, *, files: Sequence[str] = (), revision: str | None = None) -> RemoteModel:
    """Sizes, hashes and licence of ``repo``'s files matching ``files`` (glob patterns; empty: all)."""
    from huggingface_hub import HfApi
    from huggingface_hub.utils import filter_repo_objects

    info = HfApi(endpoint=endpoint()).model_info(repo, revision=revision, files_metadata=True)
    siblings = {s.rfilename: s for s in info.siblings or []}
    wanted = filter_repo_objects(siblings, allow_patterns=_patterns(files))
    listed = []
    for name in sorted(wanted):
        sibling = siblings[name]
        lfs = sibling.lfs
        listed.append(RemoteFile(name, int((lfs.size if lfs else sibling.size) or 0),
                                 sha256=(lfs.sha256 if lfs else "") or "", blob_id=sibling.blob_id or ""))
    card = info.card_data
    licence = (card.get("license") if card is not None else None) or ""
    return RemoteModel(repo, info.sha or "", listed, revision=revision, license=str(licence), gated=bool(info.gated))


def cached_folder(repo: str, *, files: Sequence[str] = (), revision: str | None = None) -> Path | None:
    """The complete cached snapshot of ``repo`` (the files ``files`` match), or None."""
    from huggingface_hub import snapshot_download

    try:
        folder = Path(snapshot_download(repo, revision=revision, allow_patterns=_patterns(files),
                                        cache_dir=cache_dir(), local_files_only=True))
    except Exception:  # noqa: BLE001 - any failure means "not (completely) in the cache"
        return None
    return folder if any(p.is_file() for p in folder.rglob("*")) else None


def hash_file(path: Path, expected: str) -> str:
    """``path``'s hash in the same form as ``expected``: SHA-256, or a git blob id."""
    if _SHA1.match(expected):
        digest = hashlib.sha1(usedforsecurity=False)
        digest.update(b"blob %d\0" % path.stat().st_size)
    else:
        digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def expected_from_cache(path: Path) -> str:
    """The hash a cached file must have: its blob's name (the hub's ETag), when it is a cache link."""
    if path.is_symlink():
        name = Path(os.path.realpath(path)).name
        if _SHA256.match(name) or _SHA1.match(name):
            return name
    return ""


@dataclass(frozen=True)
class Damage:
    """A file whose content does not match the hub's hash (or that is missing)."""

    path: Path
    expected: str
    found: str

    def __str__(self) -> str:
        return (f"{self.path}: missing" if not self.found
                else f"{self.path}: content hash {self.found[:12]}… is not the published {self.expected[:12]}…")


def verify_folder(folder: Path, remote: RemoteModel | None = None) -> tuple[int, list[Damage]]:
    """Re-hash the model files in ``folder``: (files checked, damaged ones).

    Hashes come from ``remote`` when given, else from the cache's blob names; files with no
    known hash are not counted.
    """
    expected = {f.path: f.expected_hash for f in remote.files} if remote else {}
    if not expected:
        expected = {str(p.relative_to(folder)).replace(os.sep, "/"): expected_from_cache(p)
                    for p in folder.rglob("*") if (p.is_symlink() or p.is_file()) and ".cache" not in p.parts}
        expected.update(_local_dir_etags(folder))
    checked, damaged = 0, []
    for name, want in sorted(expected.items()):
        if not want:
            continue
        path = folder / name
        checked += 1
        if not path.is_file():
            damaged.append(Damage(path, want, ""))
            continue
        found = hash_file(path, want)
        if found != want:
            damaged.append(Damage(path, want, found))
    return checked, damaged


def _local_dir_etags(folder: Path) -> dict[str, str]:
    """The hashes huggingface_hub recorded for files it downloaded into a local folder (its
    ``.cache/huggingface/download/<file>.metadata``: commit, ETag, time, one a line), so that a
    ``--models-dir`` pull can be verified offline."""
    records = folder / ".cache" / "huggingface" / "download"
    etags = {}
    for record in records.rglob("*.metadata") if records.is_dir() else ():
        try:
            etag = record.read_text(encoding="utf-8").splitlines()[1].strip().strip('"').lower()
        except (OSError, IndexError, UnicodeDecodeError):
            continue
        if _SHA256.match(etag) or _SHA1.match(etag):
            etags[str(record.relative_to(records))[: -len(".metadata")].replace(os.sep, "/")] = etag
    return etags


def discard(damage: Damage) -> None:
    """Remove a damaged file (its cache blob too), so that the next download fetches it again."""
    path = damage.path
    if path.is_symlink():
        Path(os.path.realpath(path)).unlink(missing_ok=True)
    path.unlink(missing_ok=True)


def download(remote: RemoteModel, *, local_dir: Path | None = None, tqdm_class: Any = None,
             on_file: Callable[[RemoteFile], None] | None = None) -> Path:
    """Fetch every file of ``remote`` that is not already there and intact; return the folder.

    Into the hub cache, or into ``local_dir`` (a ``THYRA_MODELS_DIR`` folder). A damaged file is
    removed and fetched again. Each file gets its own progress bar (``tqdm_class``).
    """
    from huggingface_hub import hf_hub_download, snapshot_download

    common: dict[str, Any] = dict(revision=remote.revision, endpoint=endpoint())
    if local_dir is not None:
        common["local_dir"] = local_dir
    else:
        common["cache_dir"] = cache_dir()
    folder = None
    linked_now: list[Path] = []  # files this call added to the snapshot
    new_local_dir = local_dir is not None and not Path(local_dir).exists()
    try:
        for item in remote.files:
            if on_file is not None:
                on_file(item)
            before = _snapshot_path(remote, item, local_dir)
            existed = before is not None and before.exists()
            path = Path(hf_hub_download(remote.repo, item.path, tqdm_class=tqdm_class, **common))
            if not existed:
                linked_now.append(path)
            folder = path.parents[len(Path(item.path).parts) - 1]
            if item.expected_hash and hash_file(path, item.expected_hash) != item.expected_hash:
                discard(Damage(path, item.expected_hash, "?"))
                path = Path(hf_hub_download(remote.repo, item.path, tqdm_class=tqdm_class, force_download=True,
                                            **common))
                if hash_file(path, item.expected_hash) != item.expected_hash:
                    discard(Damage(path, item.expected_hash, "?"))
                    raise NodeError(f"{remote.repo}: {item.path} downloaded twice from {endpoint()} and its content "
                                    f"does not match the hash the hub lists; the file was removed. Try again later.")
    except BaseException:
        # An interrupted pull must not leave a snapshot that looks complete: its new links go
        # (the cache's blobs stay, so the next pull links them again without downloading).
        for path in linked_now:
            path.unlink(missing_ok=True)
        if new_local_dir:  # a models-folder entry is "there" as soon as it exists
            shutil.rmtree(local_dir, ignore_errors=True)
        snapshot = _snapshot_path(remote, RemoteFile(".", 0), local_dir)
        if snapshot is not None and snapshot.is_dir():
            for emptied in sorted((p for p in snapshot.rglob("*") if p.is_dir()), reverse=True) + [snapshot]:
                if not any(emptied.iterdir()):
                    emptied.rmdir()
        raise
    # Records the file listing beside the snapshot, so a later offline lookup can tell it is complete
    # (everything is here by now: no bar of its own).
    snapshot = snapshot_download(remote.repo, allow_patterns=[f.path for f in remote.files] or None,
                                 tqdm_class=_silent_bar(), **common)
    return Path(snapshot) if folder is None else folder


def _silent_bar() -> Any:
    from huggingface_hub.utils import tqdm

    class Silent(tqdm):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["disable"] = True
            super().__init__(*args, **kwargs)

    return Silent


def _snapshot_path(remote: RemoteModel, item: RemoteFile, local_dir: Path | None) -> Path | None:
    """Where a file of ``remote`` lands: under ``local_dir``, or in the cache snapshot of its commit."""
    if local_dir is not None:
        return Path(local_dir) / item.path
    if not remote.commit:
        return None
    return (cache_dir() / f"models--{remote.repo.replace('/', '--')}" / "snapshots" / remote.commit / item.path)


@dataclass(frozen=True)
class CachedRepo:
    """A model repository in the hub cache."""

    repo: str
    size: int
    path: Path
    revisions: tuple[str, ...]


def cached_repos() -> list[CachedRepo]:
    """The model repositories in the hub cache, with their size on disk."""
    from huggingface_hub import scan_cache_dir

    folder = cache_dir()
    if not folder.is_dir():
        return []
    info = scan_cache_dir(folder)
    return sorted((CachedRepo(r.repo_id, r.size_on_disk, Path(r.repo_path), tuple(v.commit_hash for v in r.revisions))
                   for r in info.repos if r.repo_type == "model"), key=lambda r: r.repo)


def remove_cached(repo: str) -> int:
    """Delete every cached revision of ``repo``; the bytes freed (0 when it was not cached)."""
    from huggingface_hub import scan_cache_dir

    entry = next((r for r in cached_repos() if r.repo == repo), None)
    if entry is None:
        return 0
    strategy = scan_cache_dir(cache_dir()).delete_revisions(*entry.revisions)
    strategy.execute()
    return strategy.expected_freed_size
