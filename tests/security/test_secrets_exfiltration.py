"""A graph file may name a secret, never choose its value or where it goes: each attempt to send
a key somewhere the user did not bind it fails before anything is sent, naming the secret, the
host and the fix."""

from __future__ import annotations

import pytest

from security.recorder import Recorder

TOKEN = "ghp_DO-NOT-LEAK-1234567890"


@pytest.fixture
def server():
    with Recorder(max_requests=5, lifetime=60) as recorder:
        yield recorder


@pytest.mark.parametrize("name", ["api_key_env_github_token", "api_key_env_unversioned"])
def test_a_graph_cannot_send_an_environment_variable_it_names(name, hostile, thyra, server, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", TOKEN)
    path = hostile(name, URL=server.url)
    code, out, err = thyra("validate", path)
    assert code == 2 and "api_key_env" in err
    code, out, err = thyra("run", "--no-cache", path)
    assert code == 2 and server.requests == []
    assert TOKEN not in out + err


def test_version_1_names_the_new_way_to_bind_the_key(hostile, thyra, server):
    code, _, err = thyra("validate", hostile("api_key_env_github_token", URL=server.url))
    assert code == 2 and "GITHUB_TOKEN" in err and "secret" in err and "SECURITY.md" in err


def test_a_secret_bound_to_one_host_is_not_sent_to_another(hostile, thyra, server, fresh_user, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", TOKEN)
    fresh_user.write_text("secrets:\n  openai: {env: OPENAI_API_KEY, hosts: [api.openai.com]}\n", encoding="utf-8")
    path = hostile("secret_to_other_host", URL=server.url)
    code, _, err = thyra("validate", path)
    assert code == 2
    assert "'openai'" in err and "api.openai.com" in err and "127.0.0.1" in err and str(fresh_user) in err
    code, out, err = thyra("run", "--no-cache", "--allow-host", "127.0.0.1", path)
    assert code == 2 and server.requests == [] and TOKEN not in out + err


def test_allowing_a_host_does_not_hand_it_a_secret(hostile, thyra, monkeypatch):
    # THYRA_SECRET_LAB without THYRA_SECRET_LAB_HOSTS is bound to loopback only.
    monkeypatch.setenv("THYRA_SECRET_LAB", TOKEN)
    path = hostile("redirecting_server", URL="http://evil.example/v1")
    code, _, err = thyra("validate", "--allow-host", "evil.example", path)
    assert code == 2 and "'lab'" in err and "evil.example" in err and "THYRA_SECRET_LAB" in err


def test_an_unset_secret_fails_at_validation_naming_where_to_set_it(hostile, thyra, server, fresh_user):
    code, _, err = thyra("validate", hostile("unknown_secret", URL=server.url))
    assert code == 2 and "'prod-aws'" in err and "THYRA_SECRET_PROD_AWS" in err and str(fresh_user) in err


def test_the_user_bound_secret_reaches_its_host_only_in_the_authorization_header(
        hostile, thyra, server, fresh_user, monkeypatch):
    monkeypatch.setenv("MY_LAB_KEY", TOKEN)
    fresh_user.write_text("secrets:\n  openai: {env: MY_LAB_KEY, hosts: [127.0.0.1]}\n", encoding="utf-8")
    code, out, err = thyra("run", "--no-cache", hostile("secret_to_other_host", URL=server.url))
    assert code == 0, err
    assert server.requests and all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in server.requests)
    assert TOKEN not in out + err


def test_a_redirect_never_carries_the_key_to_another_port_or_host_alias(hostile, thyra, monkeypatch):
    monkeypatch.setenv("THYRA_SECRET_LAB", TOKEN)  # the user's key, bound to loopback
    with Recorder(max_requests=5) as elsewhere:
        target = f"http://localhost:{elsewhere.port}/v1/chat/completions"
        with Recorder(redirect_to=target, max_requests=5) as first:
            code, out, err = thyra("run", "--no-cache", hostile("redirecting_server", URL=first.url))
        assert len(first.requests) == 1 and first.requests[0].headers["authorization"] == f"Bearer {TOKEN}"
        assert elsewhere.requests == []
    assert code == 1 and "redirect" in out + err and TOKEN not in out + err


def test_a_broken_user_config_is_named_without_quoting_it(hostile, thyra, server, fresh_user):
    fresh_user.write_text(f"secrets: [{TOKEN}\n", encoding="utf-8")
    code, out, err = thyra("validate", hostile("unknown_secret", URL=server.url))
    assert code == 2 and str(fresh_user) in err and TOKEN not in out + err
