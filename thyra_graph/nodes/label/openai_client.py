"""A small client for OpenAI-compatible chat-completions servers (LM Studio, Ollama, vLLM,
llama.cpp server, OpenAI itself), sending one image and one prompt per request.

The API key comes from an environment variable or a named secret and lives only in the
``Authorization`` header: it is never a node parameter, never logged, and scrubbed from every
message this module produces.
"""

from __future__ import annotations

import base64
import email.utils
import os
import random
import re
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

from thyra_graph.engine.declaration import NodeError

DEFAULT_BASE_URL = "http://localhost:1234/v1"  # LM Studio's local server
#: Answers worth waiting for: rate limits and a server that is busy, restarting or overloaded.
RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})
MAX_RETRY_AFTER_S = 120.0


class ChatFailure(Exception):
    """One request that failed for good (after its retries); the message is safe to show."""

    def __init__(self, message: str, *, status: int | None = None, attempts: int = 1) -> None:
        super().__init__(message)
        self.status = status
        self.attempts = attempts


@dataclass(frozen=True)
class ChatResult:
    text: str
    prompt_tokens: int | None
    completion_tokens: int | None
    attempts: int


def resolve_model(model: str) -> str:
    """The model name: the parameter, else ``THYRA_VLM_MODEL``, else empty (the server's loaded model)."""
    return (model or "").strip() or os.environ.get("THYRA_VLM_MODEL", "").strip()


def resolve_base_url(base_url: str) -> str:
    """The endpoint root: the parameter, else ``OPENAI_BASE_URL``, else LM Studio's default."""
    url = (base_url or "").strip() or os.environ.get("OPENAI_BASE_URL", "").strip() or DEFAULT_BASE_URL
    return url.rstrip("/")


def display_url(url: str) -> str:
    """``url`` safe to show: any ``user:password@`` part removed."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit(parts._replace(netloc=netloc))


def secrets_file() -> Path:
    """``<user config dir>/thyra/secrets.yaml``: a mapping of secret name → API key."""
    import platformdirs

    return Path(platformdirs.user_config_dir("thyra", appauthor=False)) / "secrets.yaml"


def resolve_api_key(api_key_env: str, secret: str) -> str | None:
    """The API key: the named secret when one is given, else the variable ``api_key_env``.

    A secret is looked up in ``THYRA_SECRET_<NAME>`` (upper case, other characters → ``_``),
    then in :func:`secrets_file`. No key at all is fine: local servers need none.
    """
    secret = (secret or "").strip()
    if secret:
        variable = "THYRA_SECRET_" + re.sub(r"[^A-Z0-9]", "_", secret.upper())
        if os.environ.get(variable):
            return os.environ[variable].strip()
        file = secrets_file()
        stored = _read_secrets(file).get(secret)
        if isinstance(stored, str) and stored.strip():
            return stored.strip()
        raise NodeError(f"the secret {secret!r} is not set: put `{secret}: <your key>` in {file} "
                        f"(readable only by you) or set the environment variable {variable}")
    if api_key_env and os.environ.get(api_key_env, "").strip():
        return os.environ[api_key_env].strip()
    return None


def _read_secrets(file: Path) -> dict:
    from thyra_graph.engine.yamlfile import parse_yaml

    if not file.is_file():
        return {}
    try:
        parsed = parse_yaml(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        parsed = None
    if parsed is None or parsed.fatal:
        # The file's content may be a key: say only where the problem is.
        raise NodeError(f"the secrets file {file} cannot be read as YAML: it must be a mapping of "
                        "secret name to key, e.g. `openai: sk-…`") from None
    return parsed.data if isinstance(parsed.data, dict) else {}


def png_data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


class ChatClient:
    """Sends image + prompt requests to ``{base_url}/chat/completions`` with retries.

    ``retries`` extra attempts are made on connection errors, timeouts and the statuses in
    :data:`RETRY_STATUSES`, waiting ``backoff × 2^attempt`` seconds with jitter, or what the
    server's ``Retry-After`` asks for (up to two minutes).
    """

    def __init__(self, base_url: str, model: str, *, api_key: str | None = None, timeout: float = 60.0,
                 retries: int = 3, json_mode: bool = False, temperature: float = 0.0, max_tokens: int = 300,
                 backoff: float = 0.5, sleep: Callable[[float], None] = time.sleep) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.timeout = timeout
        self.retries = retries
        self.json_mode = json_mode
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.backoff = backoff
        self._api_key = api_key
        self._sleep = sleep
        self._http = None
        self._lock = threading.Lock()

    @property
    def endpoint(self) -> str:
        return f"{self.base_url}/chat/completions"

    def scrub(self, text: str) -> str:
        """``text`` with the API key (and anything after "Bearer ") masked."""
        if self._api_key:
            text = text.replace(self._api_key, "***")
        return re.sub(r"(?i)(bearer\s+)\S+", r"\1***", text)

    def complete(self, png: bytes, prompt: str) -> ChatResult:
        """Ask about one image; raises :class:`ChatFailure` once the retries are spent."""
        import httpx

        body = self._body(png, prompt)
        headers = {"Content-Type": "application/json"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        attempts = 1 + max(0, self.retries)
        for attempt in range(attempts):
            wait = None
            try:
                response = self._client().post(self.endpoint, json=body, headers=headers)
            except httpx.TimeoutException:
                problem, status = f"no answer within {self.timeout:g} s (timeout)", None
            except httpx.TransportError as exc:
                problem, status = f"cannot connect ({type(exc).__name__}: {self.scrub(str(exc)) or 'no detail'})", None
            else:
                if response.status_code == 200:
                    return self._result(response, attempt + 1)
                status = response.status_code
                problem = f"HTTP {status}{_server_message(response, self.scrub)}"
                if status not in RETRY_STATUSES:
                    raise ChatFailure(problem + _advice(status), status=status, attempts=attempt + 1)
                wait = _retry_after(response.headers.get("retry-after"))
            if attempt + 1 < attempts:
                self._sleep(self._delay(attempt, wait))
        raise ChatFailure(f"{problem} (gave up after {attempts} attempt{'s' if attempts > 1 else ''})",
                          status=status, attempts=attempts)

    def map(self, jobs: Iterable[tuple[bytes, str]], *, concurrency: int,
            check: Callable[[], None] | None = None) -> Iterator[tuple[int, ChatResult | ChatFailure]]:
        """Run ``jobs`` (png, prompt) with at most ``concurrency`` requests in flight; yields
        (job index, result or failure) as they finish. ``check`` is called every tenth of a second
        while waiting (e.g. ``ctx.check_cancelled``); what it raises stops the queued requests."""
        jobs = list(jobs)
        pool = ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(jobs) or 1)), thread_name_prefix="thyra-vlm")
        try:
            futures = {pool.submit(self._safe_complete, png, prompt): i for i, (png, prompt) in enumerate(jobs)}
            pending = set(futures)
            while pending:
                done, pending = wait(pending, timeout=0.1, return_when=FIRST_COMPLETED)
                for future in done:
                    yield futures[future], future.result()
                if check is not None:
                    check()
        finally:
            # A cancelled run stops here: queued requests are dropped, not sent.
            pool.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        with self._lock:
            if self._http is not None:
                self._http.close()
                self._http = None

    def __enter__(self) -> "ChatClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _safe_complete(self, png: bytes, prompt: str) -> ChatResult | ChatFailure:
        try:
            return self.complete(png, prompt)
        except ChatFailure as failure:
            return failure

    def _client(self):
        import httpx

        # One connection pool shared by the worker threads (httpx.Client is thread-safe).
        # A proxy set for the internet must not capture a server on this machine.
        with self._lock:
            if self._http is None:
                self._http = httpx.Client(timeout=httpx.Timeout(self.timeout), follow_redirects=True,
                                          trust_env=not _is_loopback(self.base_url))
            return self._http

    def _body(self, png: bytes, prompt: str) -> dict:
        body = {
            "messages": [{"role": "user", "content": [
                {"type": "text", "text": prompt},
                {"type": "image_url", "image_url": {"url": png_data_url(png)}},
            ]}],
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
            "stream": False,
        }
        if self.model:
            body["model"] = self.model
        if self.json_mode:
            body["response_format"] = {"type": "json_object"}
        return body

    def _result(self, response, attempts: int) -> ChatResult:
        try:
            data = response.json()
            message = data["choices"][0]["message"]
            content = message.get("content") or ""
        except (ValueError, KeyError, IndexError, TypeError, AttributeError):
            raise ChatFailure("the server answered HTTP 200 but not with a chat completion "
                              "(is base_url the OpenAI-compatible /v1 root?)", status=200, attempts=attempts) from None
        if isinstance(content, list):  # some servers return content parts
            content = "".join(part.get("text", "") for part in content if isinstance(part, dict))
        usage = data.get("usage") or {}
        return ChatResult(str(content), _int_or_none(usage.get("prompt_tokens")),
                          _int_or_none(usage.get("completion_tokens")), attempts)

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        exponential = self.backoff * (2 ** attempt) * (0.5 + random.random() / 2)
        return max(exponential, retry_after or 0.0)


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (seconds or an HTTP date), capped at two minutes."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - time.time()
    return min(max(0.0, seconds), MAX_RETRY_AFTER_S)


def _server_message(response, scrub: Callable[[str], str]) -> str:
    """The server's own error message (OpenAI puts it in error.message), shortened."""
    try:
        data = response.json()
        error = data.get("error") if isinstance(data, dict) else None
        message = error.get("message") if isinstance(error, dict) else error
    except ValueError:
        message = response.text
    message = " ".join(str(message or "").split())[:300]
    return f": {scrub(message)}" if message else ""


def _advice(status: int) -> str:
    if status in (401, 403):
        return (" — the server refused the API key: set it in the environment variable named by api_key_env, "
                "or use a named secret")
    if status == 404:
        return " — check base_url (it ends in /v1 for most servers) and the model name"
    if status == 400:
        return " — the server rejected the request (a vision model loaded? json_mode unsupported?)"
    return ""


def _is_loopback(url: str) -> bool:
    from urllib.parse import urlsplit

    host = (urlsplit(url).hostname or "").lower()
    return host in ("localhost", "::1") or host.startswith("127.")


def _int_or_none(value) -> int | None:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
