"""A TEST DOUBLE of an OpenAI-compatible chat-completions server, for the label.vlm tests.

A real HTTP server (``http.server.ThreadingHTTPServer`` on 127.0.0.1, a free port, in a
thread) that speaks the wire protocol of ``POST /v1/chat/completions`` closely enough for
Thyra's client: JSON request with ``messages`` (text + ``image_url`` content parts), JSON reply
with ``choices[0].message.content`` and ``usage``. It runs no model. Each request is answered by
the next scripted behaviour (``server.script(...)``), else by ``server.default``; every request is
recorded (headers, body, when) so tests can count them and look at what was sent.

    with ChatServer() as server:
        server.script(status(429, retry_after="0"), reply('{"label": "car"}'))
        ... point label.vlm at server.url ...
        assert len(server.requests) == 2

"Server down" is :func:`closed_port_url`: a port nothing listens on.
"""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    raw: bytes
    at: float

    @property
    def prompt(self) -> str:
        return "".join(part.get("text", "") for part in self._parts() if part.get("type") == "text")

    @property
    def image_urls(self) -> list[str]:
        return [part["image_url"]["url"] for part in self._parts() if part.get("type") == "image_url"]

    def image_png(self) -> bytes:
        """The first image, decoded from its data URL (asserting it is a PNG data URL)."""
        url = self.image_urls[0]
        prefix = "data:image/png;base64,"
        assert url.startswith(prefix), url[:40]
        return base64.b64decode(url[len(prefix):])

    def _parts(self) -> list[dict[str, Any]]:
        content = self.body["messages"][-1]["content"]
        return content if isinstance(content, list) else [{"type": "text", "text": content}]


@dataclass
class Response:
    status: int
    body: bytes
    headers: dict[str, str]
    delay: float = 0.0


Behaviour = Callable[[Recorded], Response]


def reply(text: str, *, prompt_tokens: int = 100, completion_tokens: int = 10) -> Behaviour:
    """Answer with ``text`` as the assistant message, with token usage."""
    def behave(request: Recorded) -> Response:
        body = {
            "id": "chatcmpl-test", "object": "chat.completion", "created": int(time.time()),
            "model": request.body.get("model", ""),
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": text}}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                      "total_tokens": prompt_tokens + completion_tokens},
        }
        return Response(200, json.dumps(body).encode(), {"Content-Type": "application/json"})
    return behave


def status(code: int, *, retry_after: str | None = None, message: str = "scripted failure") -> Behaviour:
    """Fail with HTTP ``code`` and an OpenAI-style error body (optionally a Retry-After header)."""
    def behave(request: Recorded) -> Response:
        headers = {"Content-Type": "application/json"}
        if retry_after is not None:
            headers["Retry-After"] = retry_after
        body = {"error": {"message": message, "type": "server_error", "code": code}}
        return Response(code, json.dumps(body).encode(), headers)
    return behave


def stall(seconds: float, then: Behaviour | None = None) -> Behaviour:
    """Wait ``seconds`` before answering (past the client's timeout, typically)."""
    def behave(request: Recorded) -> Response:
        response = (then or reply("late answer"))(request)
        response.delay = seconds
        return response
    return behave


def closed_port_url() -> str:
    """The /v1 URL of a loopback port nothing listens on (the server is down)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


class ChatServer:
    """The test double; use as a context manager (starts on enter, stops on exit)."""

    def __init__(self, default: Behaviour | None = None) -> None:
        self.default: Behaviour = default or reply("A small object.")
        self.requests: list[Recorded] = []
        self.max_in_flight = 0
        self._in_flight = 0
        self._script: deque[Behaviour] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._httpd is not None, "the server is not running"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def script(self, *behaviours: Behaviour) -> "ChatServer":
        """Answer the next requests with these behaviours, in order (then ``default``)."""
        with self._lock:
            self._script.extend(behaviours)
        return self

    def start(self) -> "ChatServer":
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:  # noqa: N802 - the http.server naming
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = {}
                request = Recorded(self.path, {k.lower(): v for k, v in self.headers.items()}, body, raw, time.time())
                with server._lock:
                    server.requests.append(request)
                    server._in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server._in_flight)
                    behaviour = server._script.popleft() if server._script else server.default
                try:
                    if self.path.rstrip("/") != "/v1/chat/completions":
                        response = status(404, message=f"no route {self.path}")(request)
                    else:
                        response = behaviour(request)
                    if response.delay:
                        server._stopping.wait(response.delay)
                    self.send_response(response.status)
                    for name, value in response.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(response.body)))
                    self.end_headers()
                    self.wfile.write(response.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout): that is what the test wanted
                finally:
                    with server._lock:
                        server._in_flight -= 1

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02},
                                        name="chat-test-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> "ChatServer":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
