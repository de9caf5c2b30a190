"""The OpenAI-compatible chat client, against the loopback test double in chat_server.py."""

from __future__ import annotations

import time

import pytest

from thyra_graph.engine.declaration import NodeError
from thyra_graph.nodes.label import openai_client
from thyra_graph.nodes.label.openai_client import (DEFAULT_BASE_URL, ChatClient, ChatFailure, resolve_api_key,
                                                   resolve_base_url)

from .chat_server import ChatServer, closed_port_url, reply, stall, status

PNG = b"\x89PNG\r\n\x1a\n fake image bytes"
KEY = "sk-test-0123456789abcdef"


@pytest.fixture
def server():
    with ChatServer() as running:
        yield running


def client(url, *, sleeps=None, **options):
    """A client that records its back-off waits instead of sleeping (fast tests)."""
    options.setdefault("timeout", 5.0)
    return ChatClient(url, "test-model", sleep=(sleeps.append if sleeps is not None else lambda s: None), **options)


def test_a_request_carries_the_prompt_the_png_data_url_and_the_settings(server):
    server.script(reply("A red disc.", prompt_tokens=321, completion_tokens=7))
    with client(server.url, max_tokens=55, temperature=0.2) as chat:
        result = chat.complete(PNG, "What is it?")
    assert (result.text, result.prompt_tokens, result.completion_tokens, result.attempts) == ("A red disc.", 321, 7, 1)
    sent = server.requests[0]
    assert sent.path == "/v1/chat/completions"
    assert sent.prompt == "What is it?"
    assert sent.image_png() == PNG
    assert sent.body["model"] == "test-model" and sent.body["max_tokens"] == 55 and sent.body["temperature"] == 0.2
    assert "response_format" not in sent.body


def test_json_mode_asks_for_a_json_object(server):
    with client(server.url, json_mode=True) as chat:
        chat.complete(PNG, "x")
    assert server.requests[0].body["response_format"] == {"type": "json_object"}


def test_the_api_key_travels_only_in_the_authorization_header(server):
    with client(server.url, api_key=KEY) as chat:
        chat.complete(PNG, "x")
    sent = server.requests[0]
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert KEY.encode() not in sent.raw
    assert all(KEY not in value for name, value in sent.headers.items() if name != "authorization")


def test_no_key_sends_no_authorization_header(server):
    with client(server.url) as chat:
        chat.complete(PNG, "x")
    assert "authorization" not in server.requests[0].headers


def test_http_429_is_retried_after_the_wait_the_server_asks_for(server):
    server.script(status(429, retry_after="3"), reply("ok"))
    sleeps = []
    with client(server.url, sleeps=sleeps, backoff=0.01) as chat:
        result = chat.complete(PNG, "x")
    assert result.text == "ok" and result.attempts == 2 and len(server.requests) == 2
    assert sleeps and sleeps[0] >= 3.0


@pytest.mark.parametrize("code", [500, 502, 503, 504])
def test_server_errors_are_retried_with_growing_waits(server, code):
    server.script(status(code), status(code), reply("ok"))
    sleeps = []
    with client(server.url, sleeps=sleeps, backoff=1.0, retries=3) as chat:
        assert chat.complete(PNG, "x").attempts == 3
    assert len(sleeps) == 2
    assert 0.5 <= sleeps[0] <= 1.0 and 1.0 <= sleeps[1] <= 2.0  # exponential with jitter


def test_retries_give_up_with_the_last_error(server):
    server.default = status(503, message="model is loading")
    with client(server.url, retries=2) as chat, pytest.raises(ChatFailure) as caught:
        chat.complete(PNG, "x")
    assert len(server.requests) == 3 and caught.value.attempts == 3 and caught.value.status == 503
    assert "HTTP 503: model is loading" in str(caught.value) and "3 attempts" in str(caught.value)


def test_a_client_error_is_not_retried_and_says_what_to_check(server):
    server.default = status(404, message="model 'nope' not found")
    with client(server.url, retries=3) as chat, pytest.raises(ChatFailure) as caught:
        chat.complete(PNG, "x")
    assert len(server.requests) == 1
    assert "404" in str(caught.value) and "base_url" in str(caught.value)


def test_a_refused_key_is_not_echoed_in_the_error(server):
    server.default = status(401, message=f"Incorrect API key provided: {KEY}")
    with client(server.url, api_key=KEY) as chat, pytest.raises(ChatFailure) as caught:
        chat.complete(PNG, "x")
    assert KEY not in str(caught.value) and "***" in str(caught.value)
    assert "secret" in str(caught.value)


def test_a_stalled_server_times_out_and_the_retry_gets_the_answer(server):
    server.script(stall(5.0), reply("ok"))
    started = time.perf_counter()
    with client(server.url, timeout=0.3, retries=1) as chat:
        result = chat.complete(PNG, "x")
    assert result.text == "ok" and result.attempts == 2
    assert time.perf_counter() - started < 3.0


def test_a_server_that_never_answers_in_time_fails_naming_the_timeout(server):
    server.default = stall(5.0)
    with client(server.url, timeout=0.2, retries=1) as chat, pytest.raises(ChatFailure) as caught:
        chat.complete(PNG, "x")
    assert "timeout" in str(caught.value) and "0.2 s" in str(caught.value)


def test_a_server_that_is_down_fails_after_its_retries():
    with client(closed_port_url(), retries=2) as chat, pytest.raises(ChatFailure) as caught:
        chat.complete(PNG, "x")
    assert caught.value.attempts == 3 and "cannot connect" in str(caught.value)


def test_a_200_that_is_not_a_chat_completion_is_a_clear_failure(server):
    from .chat_server import Response

    server.default = lambda request: Response(200, b"<html>hello</html>", {"Content-Type": "text/html"})
    with client(server.url) as chat, pytest.raises(ChatFailure) as caught:
        chat.complete(PNG, "x")
    assert "not with a chat completion" in str(caught.value)


def test_map_keeps_at_most_concurrency_requests_in_flight(server):
    server.default = stall(0.15, reply("ok"))
    with client(server.url) as chat:
        results = dict(chat.map([(PNG, f"q{i}") for i in range(6)], concurrency=2))
    assert sorted(results) == list(range(6)) and all(r.text == "ok" for r in results.values())
    assert server.max_in_flight == 2


def test_map_returns_failures_beside_answers(server):
    server.default = lambda request: (status(400) if request.prompt == "bad" else reply("ok"))(request)
    with client(server.url) as chat:
        results = dict(chat.map([(PNG, "good"), (PNG, "bad")], concurrency=2))
    assert results[0].text == "ok" and isinstance(results[1], ChatFailure)


def test_the_base_url_comes_from_the_param_then_the_environment_then_lm_studio(monkeypatch):
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    assert resolve_base_url("") == DEFAULT_BASE_URL == "http://localhost:1234/v1"
    monkeypatch.setenv("OPENAI_BASE_URL", "http://gpu-box:8000/v1/")
    assert resolve_base_url("") == "http://gpu-box:8000/v1"
    assert resolve_base_url("http://localhost:11434/v1") == "http://localhost:11434/v1"


def test_no_secret_means_no_key():
    assert resolve_api_key("", "http://localhost:1234/v1") is None


def test_a_named_secret_comes_from_the_user_config_or_the_environment(monkeypatch, tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("secrets:\n  openai-work: {env: MY_VLM_KEY, hosts: [gpu-box]}\n", encoding="utf-8")
    monkeypatch.setenv("THYRA_CONFIG", str(config))
    monkeypatch.setenv("MY_VLM_KEY", KEY)
    monkeypatch.delenv("THYRA_SECRET_OPENAI_WORK", raising=False)
    assert resolve_api_key("openai-work", "http://gpu-box:8000/v1") == KEY
    monkeypatch.setenv("THYRA_SECRET_OPENAI_WORK", "sk-from-env")
    assert resolve_api_key("openai-work", "http://gpu-box:8000/v1") == "sk-from-env"


def test_a_secret_is_refused_for_a_host_it_is_not_bound_to(monkeypatch, tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text(f"secrets:\n  lab: {{value: {KEY}, hosts: [gpu-box]}}\n", encoding="utf-8")
    monkeypatch.setenv("THYRA_CONFIG", str(config))
    with pytest.raises(NodeError) as caught:
        resolve_api_key("lab", "http://elsewhere.example/v1")
    assert "gpu-box" in str(caught.value) and "elsewhere.example" in str(caught.value) and KEY not in str(caught.value)


def test_a_missing_secret_names_where_to_put_it(monkeypatch, tmp_path):
    monkeypatch.setenv("THYRA_CONFIG", str(tmp_path / "config.yaml"))
    (tmp_path / "config.yaml").write_text("", encoding="utf-8")
    monkeypatch.delenv("THYRA_SECRET_LAB", raising=False)
    with pytest.raises(NodeError) as caught:
        resolve_api_key("lab", "http://localhost:1234/v1")
    assert "config.yaml" in str(caught.value) and "THYRA_SECRET_LAB" in str(caught.value)


def test_urls_are_shown_without_credentials():
    assert openai_client.display_url("http://me:secret@gpu-box:8000/v1") == "http://gpu-box:8000/v1"
    assert openai_client.display_url("http://localhost:1234/v1") == "http://localhost:1234/v1"
