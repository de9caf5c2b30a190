"""A loopback HTTP server that records every request it gets, of any method, for the
security tests: an attack "sent nothing" when the recorder it points at holds no request.

It lives at most ``lifetime`` seconds and answers at most ``max_requests`` requests (later
ones are recorded and refused with 503), so a test that goes wrong cannot hang or flood.
By default it answers like an OpenAI-compatible chat server; ``redirect_to`` makes it answer
every request with a 307 to another address instead.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class Recorder:
    def __init__(self, *, redirect_to: str | None = None, max_requests: int = 20, lifetime: float = 60.0) -> None:
        self.redirect_to = redirect_to
        self.max_requests = max_requests
        self.lifetime = lifetime
        self.requests: list[Seen] = []
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._timer: threading.Timer | None = None

    @property
    def port(self) -> int:
        assert self._httpd is not None
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def __enter__(self) -> "Recorder":
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _any(self) -> None:
                length = min(int(self.headers.get("Content-Length") or 0), 10_000_000)
                body = self.rfile.read(length) if length else b""
                with recorder._lock:
                    recorder.requests.append(Seen(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                    over = len(recorder.requests) > recorder.max_requests
                if over:
                    self._send(503, b"{}", {})
                elif recorder.redirect_to:
                    self._send(307, b"", {"Location": recorder.redirect_to})
                else:
                    answer = {"choices": [{"index": 0, "message": {"role": "assistant", "content": "a coin"}}],
                              "usage": {"prompt_tokens": 1, "completion_tokens": 1}}
                    self._send(200, json.dumps(answer).encode(), {"Content-Type": "application/json"})

            def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _any

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        self._timer = threading.Timer(self.lifetime, self._httpd.shutdown)
        self._timer.daemon = True
        self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        assert self._httpd is not None and self._timer is not None
        self._timer.cancel()
        self._httpd.shutdown()
        self._httpd.server_close()
