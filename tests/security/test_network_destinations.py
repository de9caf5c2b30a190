"""Every host a graph sends data to is listed before it runs, and only loopback is allowed
unless the user says otherwise (--allow-host, allow_hosts in the user config). Tricks that
make another host look like this machine, or a URL that is no URL, fail at validation."""

from __future__ import annotations

import json

import pytest

from security.recorder import Recorder


@pytest.mark.parametrize("name, url, host", [
    ("evil_host", "http://evil.example/v1", "evil.example"),
    ("query_string", None, "evil.example"),
    ("userinfo_host", None, "evil.example"),
    ("loopback_lookalike", None, "127.0.0.1.nip.io"),
])
def test_a_host_the_user_did_not_allow_is_refused_before_anything_runs(name, url, host, hostile, thyra):
    path = hostile(name, **({"URL": url} if url else {}))
    code, _, err = thyra("validate", path)
    assert code == 2
    assert f"sends data to {host}" in err and f"--allow-host {host}" in err and "allow_hosts" in err
    code, out, err = thyra("run", "--no-cache", path)
    assert code == 2 and "executed" not in out


def test_the_query_string_is_not_shown_and_its_variables_not_expanded(hostile, thyra, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_DO-NOT-LEAK")
    code, out, err = thyra("validate", "--json", "--allow-host", "evil.example", hostile("query_string"))
    report = json.loads(out)[0]
    assert code == 0 and report["destinations"][0]["url"] == "http://evil.example/v1"
    assert "ghp_DO-NOT-LEAK" not in out + err


def test_a_url_that_is_not_http_is_refused(hostile, thyra):
    code, _, err = thyra("validate", hostile("file_scheme"))
    assert code == 2 and "not an http(s) URL" in err


def test_an_allowed_host_is_listed_and_passes(hostile, thyra, fresh_user):
    path = hostile("evil_host", URL="https://vlm.lab.example/v1")
    code, out, _ = thyra("validate", "--allow-host", "vlm.lab.example", path)
    assert code == 0 and "sends to vlm.lab.example (https://vlm.lab.example/v1; node 'ask', chosen by the graph" in out
    fresh_user.write_text("allow_hosts: [vlm.lab.example]\n", encoding="utf-8")
    assert thyra("validate", path)[0] == 0


def test_validate_json_lists_destinations_writes_and_roots(hostile, thyra, graph_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", "http://gpu-box:8000/v1")  # the user's own choice
    path = hostile("evil_host", URL="")
    code, out, _ = thyra("validate", "--json", path)
    report = json.loads(out)[0]
    assert code == 0 and report["status"] == "ok"
    assert report["destinations"] == [{"node": "ask", "url": "http://gpu-box:8000/v1", "host": "gpu-box",
                                       "chosen_by": "user", "secret": None, "loopback": False}]
    assert str(graph_dir) in report["write_roots"] and str(tmp_path / "cwd") in report["write_roots"]


def test_run_lists_the_destinations_on_stderr_before_it_starts(hostile, thyra):
    with Recorder(max_requests=5) as server:
        code, _, err = thyra("run", "--no-cache", hostile("evil_host", URL=server.url))
        assert code == 0 and len(server.requests) >= 1
    assert err.startswith(f"thyra: sends to 127.0.0.1 ({server.url}; node 'ask', chosen by the graph, loopback")


def test_a_node_whose_destinations_cannot_be_listed_is_refused_not_crashed(tmp_path):
    from thyra_graph.engine.declaration import Output, Param, node
    from thyra_graph.engine.graph import Graph
    from thyra_graph.engine.registry import Registry
    from thyra_graph.engine.trust import Policy, review
    from thyra_graph.engine.userconfig import UserConfig
    from thyra_graph.types import Text

    def broken(params):
        raise KeyError("url")

    @node("test.uploader", outputs=[Output("text", Text)], params=[Param("url", "")], destinations=broken)
    def uploader(*, url):
        """Sends something somewhere."""
        return Text(url)

    registry = Registry()
    registry.add(uploader)
    graph = Graph(registry, base_dir=tmp_path)
    graph.add_node("test.uploader", "up")
    checked = review(graph, Policy(UserConfig(tmp_path / "config.yaml")))
    assert not checked.ok and "cannot say where it sends data" in str(checked.problems[0])
