"""Fetching a published checkpoint file (Meta's SAM 2 ``.pt`` files) over HTTP, resumably.

The bytes go to ``.<name>.partial`` beside the target; an interrupted download (a dropped
connection, Ctrl-C, a crash) continues from there with an HTTP ``Range`` request, the next time
or on the next of a few bounded retries. Only a file whose SHA-256 matches the published one
(or, where none is published, the one recorded on its first download) is renamed into place,
so nothing half-written ever carries the checkpoint's name. The hash is kept beside it in
``<name>.sha256`` for ``thyra models verify``.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

from thyra_graph.engine import atomic
from thyra_graph.engine.declaration import NodeError

RETRIES = 4
TIMEOUT = 30.0  # seconds without a byte before a try is given up
CHUNK = 1 << 20


def partial_path(target: Path) -> Path:
    return target.with_name(f".{target.name}.partial")


def hash_path(target: Path) -> Path:
    return target.with_name(target.name + ".sha256")


def recorded_sha256(target: Path) -> str:
    """The SHA-256 written beside ``target`` when it was downloaded ('' when there is none)."""
    try:
        return hash_path(target).read_text(encoding="ascii").split()[0].strip().lower()
    except (OSError, IndexError):
        return ""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def remote_size(url: str) -> int | None:
    """The size the server announces for ``url`` (a HEAD request), or None."""
    import httpx

    response = httpx.head(url, follow_redirects=True, timeout=TIMEOUT)
    response.raise_for_status()
    length = response.headers.get("Content-Length")
    return int(length) if length and length.isdigit() else None


def fetch(url: str, target: Path, *, sha256: str = "", tqdm_class: Any = None, retries: int = RETRIES) -> Path:
    """Download ``url`` to ``target`` (resuming a partial download); check ``sha256`` when given."""
    import httpx

    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = partial_path(target)
    bar = None
    last_error: Exception | None = None
    try:
        for attempt in range(retries + 1):
            done = partial.stat().st_size if partial.exists() else 0
            headers = {"Range": f"bytes={done}-", "Accept-Encoding": "identity"} if done else {"Accept-Encoding": "identity"}
            try:
                with httpx.stream("GET", url, headers=headers, follow_redirects=True, timeout=TIMEOUT) as response:
                    if response.status_code == 416:  # already complete
                        break
                    response.raise_for_status()
                    if done and response.status_code != 206:  # the server ignored Range: start over
                        done = 0
                    length = response.headers.get("Content-Length")
                    total = done + int(length) if length and length.isdigit() else None
                    if tqdm_class is not None and bar is None:
                        bar = tqdm_class(total=total, initial=done, desc=target.name, unit="B", unit_scale=True,
                                         unit_divisor=1024)
                    elif bar is not None:
                        bar.n = done
                        bar.refresh()
                    with partial.open("ab" if done else "wb") as handle:
                        for chunk in response.iter_bytes():  # as it arrives: a drop loses nothing written
                            handle.write(chunk)
                            if bar is not None:
                                bar.update(len(chunk))
                    if total is not None and partial.stat().st_size < total:
                        raise httpx.RemoteProtocolError("the connection closed before the whole file came")
                break
            except httpx.HTTPStatusError as exc:
                raise NodeError(f"downloading {url} failed: the server answered {exc.response.status_code}. "
                                "Check the address (THYRA_SAM2_BASE_URL when you use a mirror) and try again") from None
            except httpx.TransportError as exc:
                last_error = exc
                if attempt == retries:
                    kept = (f"; the {partial.stat().st_size} bytes fetched so far are kept in {partial} and the next "
                            "pull continues from there") if partial.exists() and partial.stat().st_size else ""
                    raise NodeError(f"downloading {url} failed after {retries + 1} {'try' if retries == 0 else 'tries'}: {exc or type(exc).__name__}"
                                    f"{kept}. Check the network (or set THYRA_OFFLINE=1 to work offline)") from None
                time.sleep(min(2 ** attempt, 10) * 0.25)
    finally:
        if bar is not None:
            bar.close()
    if last_error is not None and not partial.exists():
        raise NodeError(f"downloading {url} failed: {last_error}")
    found = sha256_of(partial)
    if sha256 and found != sha256.lower():
        partial.unlink(missing_ok=True)
        raise NodeError(f"{url} downloaded, but its SHA-256 {found[:12]}… is not the published {sha256[:12]}…; the "
                        "file was removed. Try again (a proxy or mirror may be serving a different file)")
    atomic.move_into_place(partial, target)  # same folder: the complete file appears at once, under its name
    atomic.write_bytes(hash_path(target), f"{found}  {target.name}\n".encode("ascii"))
    return target
