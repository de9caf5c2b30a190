"""What node code receives as ``ctx``: progress, cancellation, logging, resources, scratch."""

from __future__ import annotations

import atexit
import functools
import logging
import shutil
import tempfile
import threading
import weakref
from pathlib import Path
from typing import Any, Callable, Hashable, Mapping

from .devices import canonical_device, device_lock
from .resources import ResourceCache
from .store import Memo, Store


@functools.cache
def _process_temporary_root() -> Path:
    # Two threads asking at once may make two folders: both are removed, and what is written
    # in them is content-addressed and referred to by absolute path, so either serves.
    root = Path(tempfile.mkdtemp(prefix="thyra-run-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    return root


class Cancelled(Exception):
    """Raised inside node code when the run was cancelled (by ``ctx.check_cancelled()``)."""


class Context:
    """The run context of one node execution.

    ``progress(done, total)`` reports progress and is also a cancellation point;
    long loops should call it (or ``check_cancelled()``) every few hundred milliseconds.
    """

    def __init__(
        self,
        node_id: str,
        type_id: str,
        *,
        cancel_event: threading.Event | None = None,
        on_progress: Callable[[str, float, float | None, str], None] | None = None,
        resources: ResourceCache | None = None,
        scratch_root: Path | None = None,
        graph_dir: Path | None = None,
        device: str = "cpu",
        logger: logging.Logger | None = None,
        store: Store | None = None,
    ) -> None:
        self.node_id = node_id
        self.type_id = type_id
        #: The run's store (None with ``--no-cache``). Nodes use :attr:`memo` and
        #: :meth:`chunk_folder`, never files of their own, so `thyra cache` sees everything.
        self.store = store
        #: Small things kept between runs under the node's own keys (embeddings, answers).
        self.memo = Memo(store)
        self.device = device
        self.graph_dir = graph_dir or Path.cwd()
        self.resources = resources if resources is not None else ResourceCache()
        self._log = logger
        self.warnings: list[str] = []
        self._cancel = cancel_event or threading.Event()
        self._on_progress = on_progress
        self._scratch_root = scratch_root
        self._scratch: Path | None = None
        self._claims: dict[str, threading.Lock] = {}
        self._held: list[Hashable] = []
        # A context dropped without finish() (a node function called directly) still lets go.
        self._finalizer = weakref.finalize(self, _release_locks, self._claims)

    @classmethod
    def standalone(cls, type_id: str) -> "Context":
        """A context for calling a node function directly, outside any run."""
        return cls(type_id, type_id)

    @property
    def log(self) -> logging.Logger:
        """The node type's logger (created on first use: most nodes never log)."""
        if self._log is None:
            self._log = logging.getLogger(f"thyra.node.{self.type_id}")
        return self._log

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def check_cancelled(self) -> None:
        if self._cancel.is_set():
            raise Cancelled(f"node {self.node_id!r} was cancelled")

    def progress(self, done: float, total: float | None = None, message: str = "") -> None:
        self.check_cancelled()
        if self._on_progress is not None:
            self._on_progress(self.node_id, done, total, message)

    def warn(self, message: str) -> None:
        """A warning the user should see (shown by the CLI and the editor, not just logged)."""
        self.warnings.append(message)
        self.log.warning("%s: %s", self.node_id, message)

    def chunk_folder(self, kind: str) -> Path:
        """The folder where a node writes content-addressed files its outputs refer to (chunks
        of a streamed value), made by the first atomic write into it: in the store, or with
        ``--no-cache`` in a temporary folder of this process, removed when it exits, so nothing
        is left in the cache folder."""
        if self.store is not None:
            return self.store.folder(kind)
        return _process_temporary_root() / kind

    @property
    def scratch_dir(self) -> Path:
        """A private temporary folder, removed after the run."""
        if self._scratch is None:
            root = self._scratch_root
            if root is not None:
                root.mkdir(parents=True, exist_ok=True)
            self._scratch = Path(tempfile.mkdtemp(prefix=f"{self.node_id}-", dir=root))
        return self._scratch

    # -- devices and models ----------------------------------------------------------------------
    def claim_device(self, device: str) -> None:
        """Wait until this node may use ``device`` (``cuda:1``), then keep it until the node ends.

        The CPU is never claimed; a device already claimed by this node is not waited for again.
        Waiting is a cancellation point.
        """
        name = canonical_device(device)
        lock = device_lock(name)
        if lock is None or name in self._claims:
            return
        while not lock.acquire(timeout=0.1):
            self.check_cancelled()
        self._claims[name] = lock

    def hold_resource(self, key: Hashable, loader: Callable[[], Any], *, device: str = "cpu", nbytes: int = 0,
                      measure: Callable[[Any], Mapping[str, int]] | None = None,
                      on_free: Callable[[], None] | None = None) -> Any:
        """The resource ``key`` for this node: ``device`` claimed first, then loaded once per
        process through :attr:`resources` (see ResourceCache.get) and kept from eviction until
        the node ends."""
        self.claim_device(device)
        value = self.resources.get(key, loader, nbytes=nbytes, device=device, measure=measure, on_free=on_free,
                                   holder=self)
        self._held.append(key)
        return value

    def finish(self) -> None:
        """The node ended: let go of its resources and devices (the executor calls this)."""
        for key in self._held:
            self.resources.let_go(key, self)
        self._held.clear()
        _release_locks(self._claims)

    def resolve(self, path: str | Path) -> Path:
        """A path as written in the graph file, resolved against the graph's folder."""
        path = Path(path).expanduser()
        return path if path.is_absolute() else (self.graph_dir / path)

    def __repr__(self) -> str:
        return f"Context(node={self.node_id!r}, type={self.type_id!r})"


def _release_locks(claims: dict[str, threading.Lock]) -> None:
    while claims:
        _, lock = claims.popitem()
        lock.release()


def null_progress(*_: Any) -> None:
    return None
