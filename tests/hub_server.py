"""A loopback stand-in for the Hugging Face hub and Meta's checkpoint server, for tests.

It serves folders of files (the tiny test models) in the hub's HTTP layout, so the real
huggingface_hub client, with ``HF_ENDPOINT`` pointed here, lists, downloads and resumes:

- ``GET /api/models/{repo}[/revision/{rev}]``: the model info (``sha``, ``siblings`` with
  size, ``blobId`` and ``lfs.sha256``, ``cardData.license``, ``gated``);
- ``GET /api/models/{repo}/tree/{rev}``: the recursive file listing;
- ``HEAD``/``GET /{repo}/resolve/{rev}/{file}``: the file, with ``ETag``, ``X-Repo-Commit``,
  ``X-Linked-Etag``/``X-Linked-Size`` (LFS files) and ``Range`` support;
- ``GET /{path}`` of ``loose`` files (Meta's published checkpoints), with ``Range``.

Tests steer it: ``cut_after[file] = n`` sends only ``n`` bytes of the next download of a
file and drops the connection; ``slow[file] = s`` pauses ``s`` seconds after every 64 KB;
``broken`` files answer 500; ``tampered`` files come with their last byte changed; ``gated`` repos answer 401 ``GatedRepo``; ``requests`` logs
what was asked (method, path, Range header).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

LFS_SUFFIXES = (".safetensors", ".pt", ".bin")


@dataclass(frozen=True)
class ServedFile:
    path: Path
    size: int
    sha256: str
    blob_id: str
    lfs: bool

    @classmethod
    def of(cls, path: Path) -> "ServedFile":
        data = path.read_bytes()
        blob = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
        return cls(path, len(data), hashlib.sha256(data).hexdigest(), blob, path.suffix in LFS_SUFFIXES)

    @property
    def etag(self) -> str:
        return self.sha256 if self.lfs else self.blob_id


class Repo:
    def __init__(self, repo_id: str, folder: Path, license: str = "apache-2.0",
                 extra: dict[str, Path] | None = None) -> None:
        self.id = repo_id
        self.files = {str(p.relative_to(folder)).replace("\\", "/"): ServedFile.of(p)
                      for p in sorted(folder.rglob("*")) if p.is_file()}
        self.files.update({name: ServedFile.of(path) for name, path in (extra or {}).items()})
        self.license = license
        listing = "".join(f"{name}:{f.etag}" for name, f in self.files.items())
        self.sha = hashlib.sha1(listing.encode()).hexdigest()


class FakeHub:
    """``FakeHub(repos={"facebook/sam2.1-hiera-tiny": folder}, loose={"a/b.pt": file})``; ``start()``/``stop()``.

    ``extra={"facebook/sam2.1-hiera-tiny": {"sam2.1_hiera_tiny.pt": file}}`` adds files to a repo
    (as the real one also holds Meta's checkpoint)."""

    def __init__(self, repos: dict[str, Path], loose: dict[str, Path] | None = None,
                 extra: dict[str, dict[str, Path]] | None = None) -> None:
        self.repos = {repo_id: Repo(repo_id, folder, extra=(extra or {}).get(repo_id))
                      for repo_id, folder in repos.items()}
        self.loose = {name: ServedFile.of(path) for name, path in (loose or {}).items()}
        self.gated: set[str] = set()
        self.cut_after: dict[str, int] = {}
        self.slow: dict[str, float] = {}  # file → seconds to wait between 64 KB pieces
        self.broken: set[str] = set()  # files whose download answers 500
        self.tampered: set[str] = set()  # files served with their last byte changed (a bad mirror)
        self.requests: list[tuple[str, str, str]] = []
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "FakeHub":
        hub = self

        class Handler(_Handler):
            fake = hub

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def downloads(self, name: str) -> list[tuple[str, str, str]]:
        """The GET requests for a file whose path ends with ``name``."""
        return [r for r in self.requests if r[0] == "GET" and r[1].endswith("/" + name)]


_INFO = re.compile(r"^/api/models/(?P<repo>[^/]+/[^/]+)(?:/revision/(?P<rev>[^/]+))?$")
_TREE = re.compile(r"^/api/models/(?P<repo>[^/]+/[^/]+)/tree/(?P<rev>[^/]+)(?:/(?P<path>.*))?$")
_RESOLVE = re.compile(r"^/(?P<repo>[^/]+/[^/]+)/resolve/(?P<rev>[^/]+)/(?P<path>.+)$")


class _Handler(BaseHTTPRequestHandler):
    fake: FakeHub

    def log_message(self, *args) -> None:  # quiet test output
        pass

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def do_GET(self) -> None:
        self._serve(head=False)

    def _serve(self, head: bool) -> None:
        path = unquote(urlsplit(self.path).path)
        self.fake.requests.append((self.command, path, self.headers.get("Range", "")))
        for pattern, answer in ((_TREE, self._tree), (_INFO, self._info), (_RESOLVE, self._resolve)):
            match = pattern.match(path)
            if match:
                repo = self.fake.repos.get(match["repo"])
                if repo is None:
                    return self._error(404, "RepoNotFound", f"Repository {match['repo']} not found")
                if repo.id in self.fake.gated:
                    return self._error(401, "GatedRepo", f"Access to model {repo.id} is restricted")
                return answer(repo, match, head)
        if path.lstrip("/") in self.fake.loose:
            return self._file(self.fake.loose[path.lstrip("/")], head, {})
        self._error(404, "EntryNotFound", f"{path} not found")

    def _info(self, repo: Repo, match, head: bool) -> None:
        siblings = [{"rfilename": name, "size": f.size, "blobId": f.blob_id,
                     **({"lfs": {"sha256": f.sha256, "size": f.size, "pointerSize": 134}} if f.lfs else {})}
                    for name, f in repo.files.items()]
        self._json({"id": repo.id, "modelId": repo.id, "sha": repo.sha, "private": False,
                    "gated": "manual" if repo.id in self.fake.gated else False, "downloads": 0, "likes": 0,
                    "tags": [], "cardData": {"license": repo.license}, "siblings": siblings})

    def _tree(self, repo: Repo, match, head: bool) -> None:
        prefix = (match["path"] or "").strip("/")
        items = [{"type": "file", "path": name, "size": f.size, "oid": f.blob_id,
                  **({"lfs": {"oid": f.sha256, "size": f.size, "pointerSize": 134}} if f.lfs else {})}
                 for name, f in repo.files.items() if not prefix or name.startswith(prefix + "/")]
        self._json(items)

    def _resolve(self, repo: Repo, match, head: bool) -> None:
        served = repo.files.get(match["path"])
        if served is None:
            return self._error(404, "EntryNotFound", f"{match['path']} is not in {repo.id}")
        if match["path"] in self.fake.broken and not head:
            return self._error(500, "", "the storage backend failed")
        headers = {"X-Repo-Commit": repo.sha, "ETag": f'"{served.etag}"'}
        if served.lfs:
            headers.update({"X-Linked-Etag": f'"{served.sha256}"', "X-Linked-Size": str(served.size)})
        self._file(served, head, headers, cut_key=match["path"])

    def _file(self, served: ServedFile, head: bool, headers: dict, cut_key: str | None = None) -> None:
        data = served.path.read_bytes()
        key = cut_key or Path(served.path).name
        if key in self.fake.tampered:
            data = data[:-1] + bytes([data[-1] ^ 0xFF])
        start, status = 0, 200
        wanted = re.match(r"bytes=(\d+)-$", self.headers.get("Range", "") or "")
        if wanted and not head:
            start = int(wanted[1])
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            status = 206
        body = data[start:]
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if head:
            return
        cut = self.fake.cut_after.pop(key, None)
        if cut is not None:
            self.wfile.write(body[:cut])
            self.wfile.flush()
            self.close_connection = True
            return
        pause = self.fake.slow.get(key)
        if pause:
            try:
                for start in range(0, len(body), 1 << 16):
                    self.wfile.write(body[start:start + (1 << 16)])
                    self.wfile.flush()
                    time.sleep(pause)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (a cancelled download)
                self.close_connection = True
            return
        self.wfile.write(body)

    def _json(self, payload) -> None:
        body = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _error(self, status: int, code: str, message: str) -> None:
        body = json.dumps({"error": message}).encode()
        self.send_response(status)
        self.send_header("X-Error-Code", code)
        self.send_header("X-Error-Message", message)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
