"""The models a graph needs, where each is (or would be) found, and fetching or checking them.

``graph_needs`` reads the nodes' ``models=`` declarations; ``locate`` looks for each model
in ``locate_model``'s order (a local path, ``THYRA_MODELS_DIR``, the Hugging Face cache);
``describe_remote`` asks the hub (or the checkpoint's server) for sizes, licence and gating;
``pull`` fetches what is missing, ``verify`` re-hashes what is there. ``thyra models`` and the
editor's "missing models" dialog are both built on these.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from thyra_graph.engine.declaration import ModelRef, NodeError

from . import hub, url_download
from .weights import _OFFLINE_VARIABLES as OFFLINE_VARIABLES, models_dir_candidates, offline


@dataclass(frozen=True)
class Need:
    """One model one node of one graph loads."""

    graph: str  # the graph's name or file
    node: str
    node_type: str
    ref: ModelRef
    base_dir: Path  # relative model paths start here (the graph's folder)

    @property
    def key(self) -> tuple:
        """Identifies the model itself: two nodes loading the same weights share one key."""
        where = str((self.base_dir / self.ref.name).resolve()) if self.ref.source == "path" else ""
        return (self.ref.source, self.ref.name, self.ref.files, self.ref.revision, where)


def graph_needs(graph: Any, label: str = "") -> list[Need]:
    """Every model the nodes of an engine ``Graph`` load, with the params set in it; the nodes
    inside subgraph instances too (as ``instance/inner``, the ids a run gives them)."""
    from thyra_graph.engine.subgraph import flatten

    flat = flatten(graph).graph
    needs = []
    for node_id, instance in flat.nodes.items():
        spec = flat.spec(node_id)
        for ref in spec.needed_models(flat.params(node_id)):
            needs.append(Need(label or graph.name, node_id, instance.type_id, ref, Path(graph.base_dir or ".")))
    return needs


@dataclass
class Model:
    """A model some graphs need, and what is known about it on this machine and on its server."""

    ref: ModelRef
    base_dir: Path
    users: list[Need] = field(default_factory=list)
    found: Path | None = None
    found_in: str = ""  # "path", "THYRA_MODELS_DIR", "Hugging Face cache"
    looked: list[str] = field(default_factory=list)
    size: int | None = None
    license: str = ""
    gated: bool = False
    remote_error: str = ""
    note: str = ""  # something a pull did that the user should know (e.g. no published hash)

    @property
    def present(self) -> bool:
        return self.found is not None

    @property
    def label(self) -> str:
        checkpoint_of = self.ref.repo if self.ref.source == "url" else ""
        return self.ref.name + (f" (the checkpoint of {checkpoint_of})" if checkpoint_of else "")

    def to_json(self) -> dict[str, Any]:
        return {**self.ref.to_json(), "present": self.present, "found": str(self.found) if self.found else None,
                "found_in": self.found_in, "looked": self.looked, "size": self.size, "license": self.license,
                "gated": self.gated or self.ref.gated, "remote_error": self.remote_error or None,
                "used_by": [{"graph": n.graph, "node": n.node, "type": n.node_type, "param": n.ref.param}
                            for n in self.users]}


def models_of(needs: Iterable[Need]) -> list[Model]:
    """One :class:`Model` per distinct model, located on this machine (no network)."""
    models: dict[tuple, Model] = {}
    for need in needs:
        model = models.setdefault(need.key, Model(need.ref, need.base_dir))
        model.users.append(need)
    for model in models.values():
        locate(model)
    return list(models.values())


def locate(model: Model) -> Model:
    """Fill ``found``/``looked`` the way the node will look when it runs."""
    ref = model.ref
    model.found, model.found_in, model.looked = None, "", []
    if ref.source == "path":
        path = Path(ref.name).expanduser()
        path = path if path.is_absolute() else model.base_dir / path
        for candidate, place in [(path, "path")] + [(c, "THYRA_MODELS_DIR") for c in models_dir_candidates(ref.name)]:
            model.looked.append(str(candidate))
            if candidate.exists():
                model.found, model.found_in = candidate, place
                break
        return model
    loose = [c for c in models_dir_candidates(ref.name)]
    if ref.source == "url":
        loose += [c / ref.name for c in models_dir_candidates(ref.repo)]
    for candidate in loose:
        model.looked.append(str(candidate))
        if candidate.exists():
            model.found, model.found_in = candidate, "THYRA_MODELS_DIR"
            return model
    repo = ref.repo if ref.source == "url" else ref.name
    if repo:
        model.looked.append(f"the Hugging Face cache ({hub.cache_dir()})")
        folder = hub.cached_folder(repo, files=ref.files, revision=ref.revision)
        if folder is not None and (ref.source != "url" or (folder / ref.name).is_file()):
            model.found = folder / ref.name if ref.source == "url" else folder
            model.found_in = "Hugging Face cache"
    return model


def describe_remote(model: Model) -> Model:
    """Ask the server for the model's size, licence and gating (nothing is downloaded)."""
    ref = model.ref
    if ref.source == "path" or offline():
        return model
    try:
        if ref.source == "url" and models_dir_candidates(ref.name):
            model.size = url_download.remote_size(ref.url)
        else:
            remote = hub.remote_model(ref.repo or ref.name, files=ref.files, revision=ref.revision)
            model.size, model.license, model.gated = remote.size, remote.license, remote.gated or ref.gated
    except Exception as exc:  # noqa: BLE001 - shown next to the model; listing goes on
        model.remote_error = explain(exc, model, asking=True)
    return model


def explain(exc: BaseException, model: Model, *, asking: bool = False) -> str:
    """One sentence a user can act on, for a failure of the hub client or of a download
    (``asking``: of a question about sizes and licence, when nothing was being fetched)."""
    ref = model.ref
    repo = ref.repo or ref.name
    kind = type(exc).__name__
    where = hub.endpoint()
    if isinstance(exc, NodeError):
        return str(exc)
    denied = "401" in str(exc) or "403" in str(exc)
    if kind == "GatedRepoError" or (ref.gated and denied and kind in ("HfHubHTTPError", "RepositoryNotFoundError")):
        return (f"{repo} is gated: accept its licence at {where}/{repo} (logged in), then run `hf auth login` "
                "(or set HF_TOKEN) and pull again")
    if kind == "RepositoryNotFoundError":
        return (f"there is no model {repo!r} on {where} (or it is private): check the id in param "
                f"{ref.param!r}, or log in with `hf auth login` if it is yours")
    if kind == "RevisionNotFoundError":
        return f"{repo} has no revision {ref.revision!r} on {where}"
    if kind in ("ConnectError", "ConnectTimeout", "ReadTimeout", "TimeoutException", "LocalEntryNotFoundError",
                "OfflineModeIsEnabled", "RemoteProtocolError", "ReadError"):
        if asking:
            return f"cannot reach {where} ({kind}) to ask for its size and licence: check the network or HF_ENDPOINT"
        return (f"cannot reach {where} ({kind}): check the network or HF_ENDPOINT and pull again; nothing "
                "half-fetched is left looking complete")
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else kind
    return f"fetching {repo} from {where} failed: {text}"


def pull(model: Model, *, into_models_dir: bool = False, tqdm_class: Any = None) -> Path:
    """Fetch ``model`` (what is missing or damaged); return where it is. Raises NodeError."""
    ref = model.ref
    if ref.source == "path":
        if model.found is None:
            raise NodeError(f"{ref.name!r} (param {ref.param!r}) is a local path that does not exist "
                            f"(looked at {', '.join(model.looked)}): fix the path, nothing can be downloaded for it")
        return model.found
    if offline():
        raise NodeError(f"offline mode is on ({offline_switches()}): {ref.name} was not fetched")
    models_dir = os.environ.get("THYRA_MODELS_DIR", "").strip()
    try:
        if ref.source == "url" and models_dir:
            target = Path(models_dir).expanduser() / ref.name
            sha = published_sha256(model) or (url_download.recorded_sha256(target) if target.is_file() else "")
            if not sha:
                model.note = (f"no SHA-256 is published for {ref.name} (and {hub.endpoint()} could not be asked): "
                              "the hash of this download is recorded for `thyra models verify`")
            if target.is_file() and sha and url_download.sha256_of(target) == sha:
                path = target
            else:
                if target.is_file():
                    target.unlink()
                path = url_download.fetch(ref.url, target, sha256=sha, tqdm_class=tqdm_class)
        else:
            repo = ref.repo or ref.name
            remote = hub.remote_model(repo, files=ref.files, revision=ref.revision)
            if not remote.files:  # an empty listing would fetch the whole repository
                raise NodeError(f"{repo} on {hub.endpoint()} has no file matching {', '.join(ref.files) or '*'}"
                                + (": set THYRA_MODELS_DIR to fetch the checkpoint from its published URL "
                                   f"{ref.url}" if ref.source == "url" else ""))
            local_dir = None
            if into_models_dir and ref.source == "hub":
                if not models_dir:
                    raise NodeError("--models-dir needs THYRA_MODELS_DIR set to the folder to put models in")
                local_dir = Path(models_dir).expanduser() / repo.replace("/", "--")
            folder = hub.download(remote, local_dir=local_dir, tqdm_class=tqdm_class)
            path = folder / ref.name if ref.source == "url" else folder
    except Exception as exc:  # noqa: BLE001 - every failure becomes one actionable sentence
        raise NodeError(explain(exc, model)) from None
    locate(model)
    return path


def published_sha256(model: Model) -> str:
    """The SHA-256 a checkpoint from a URL must have: declared with it, or listed by the hub for the
    same file in the model's repository (Meta's ``facebook/sam2*`` repositories hold their ``.pt``)."""
    ref = model.ref
    if ref.sha256 or not ref.repo:
        return ref.sha256.lower()
    try:
        remote = hub.remote_model(ref.repo, files=(ref.name,), revision=ref.revision)
    except Exception:  # noqa: BLE001 - the hub is only a second source of the hash; the caller says so
        return ""
    return next((f.sha256 for f in remote.files if f.path == ref.name and f.sha256), "")


def verify(model: Model) -> tuple[int, list[hub.Damage]]:
    """Re-hash a present model: (files checked, damaged files). Hashes: the cache's blob names,
    the SHA-256 recorded for a checkpoint, or (online) the hub's listing."""
    if model.found is None:
        return 0, []
    ref = model.ref
    if ref.source == "url" or (model.found.is_file() and url_download.recorded_sha256(model.found)):
        path = model.found
        want = ref.sha256 or url_download.recorded_sha256(path) or hub.expected_from_cache(path)
        if not want:
            return 0, []
        found = hub.hash_file(path, want)
        return 1, ([] if found == want else [hub.Damage(path, want, found)])
    if ref.source == "path" or not model.found.is_dir():
        return 0, []
    remote = None
    if model.found_in == "THYRA_MODELS_DIR" and not offline():
        try:
            remote = hub.remote_model(ref.name, files=ref.files, revision=ref.revision)
        except Exception:  # noqa: BLE001 - a folder the user made need not be on the hub
            remote = None
    return hub.verify_folder(model.found, remote)


def format_size(n: int | None, unknown: str = "size unknown") -> str:
    """A model's size as the hub states it, in decimal units (``12.3 MB``); ``unknown`` for None."""
    if n is None:
        return unknown
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return ""


def offline_switches() -> str:
    names = [n for n in OFFLINE_VARIABLES if os.environ.get(n, "").strip().lower() in ("1", "true", "yes", "on")]
    return "=1, ".join(names) + "=1"
