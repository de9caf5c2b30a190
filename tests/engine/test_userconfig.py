"""The user config: one YAML file (THYRA_CONFIG or the user config folder), read in safe mode;
a malformed file is named with the fix, without quoting what it holds."""

from __future__ import annotations

from pathlib import Path

import pytest

from thyra_graph.engine.userconfig import LOOPBACK_NAMES, UserConfigError, config_path, load_user_config

KEY = "sk-DO-NOT-QUOTE-99"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_config_lives_in_the_user_config_folder_unless_thyra_config_says_otherwise(tmp_path, monkeypatch):
    monkeypatch.delenv("THYRA_CONFIG", raising=False)
    assert config_path().parts[-2:] == ("thyra", "config.yaml")
    monkeypatch.setenv("THYRA_CONFIG", str(tmp_path / "mine.yaml"))
    assert config_path() == tmp_path / "mine.yaml"
    with pytest.raises(UserConfigError, match="THYRA_CONFIG"):
        load_user_config()


def test_hosts_roots_and_secrets_are_read(tmp_path, monkeypatch):
    monkeypatch.setenv("LAB_KEY", KEY)
    config = load_user_config(write(tmp_path, "allow_hosts: [VLM.lab.example]\nallow_write: [~/exports]\n"
                                              "secrets:\n  lab: {env: LAB_KEY, hosts: [vlm.lab.example]}\n"
                                              "  local: {value: abc}\n"))
    assert config.allow_hosts == ("vlm.lab.example",)
    assert config.allow_write == (Path("~/exports").expanduser(),)
    assert config.secret("lab").resolve() == KEY and config.secret("lab").hosts == ("vlm.lab.example",)
    assert config.secret("local").hosts == LOOPBACK_NAMES  # no hosts listed: this machine only


def test_thyra_secret_in_the_environment_wins_and_keeps_the_configured_hosts(tmp_path, monkeypatch):
    config = load_user_config(write(tmp_path, "secrets:\n  lab: {value: old, hosts: [vlm.lab.example]}\n"))
    monkeypatch.setenv("THYRA_SECRET_LAB", KEY)
    assert config.secret("lab").resolve() == KEY and config.secret("lab").hosts == ("vlm.lab.example",)
    monkeypatch.setenv("THYRA_SECRET_LAB_HOSTS", "a.example, b.example")
    assert config.secret("lab").hosts == ("a.example", "b.example")


@pytest.mark.parametrize("text, words", [
    (f"secrets: [{KEY}\n", "cannot be read as YAML"),
    (f"- {KEY}\n", "must be a mapping"),
    ("allow_host: [x]\n", "unknown key(s) allow_host"),
    (f"secrets:\n  lab: {{value: {KEY}, env: X}}\n", "exactly one of env/value"),
    ("allow_hosts: 3\n", "list of text"),
])
def test_a_malformed_config_is_named_with_the_fix_and_never_quoted(tmp_path, text, words):
    with pytest.raises(UserConfigError) as caught:
        load_user_config(write(tmp_path, text))
    assert words in str(caught.value) and str(tmp_path / "config.yaml") in str(caught.value)
    assert KEY not in str(caught.value)


def test_yaml_tags_are_refused(tmp_path):
    with pytest.raises(UserConfigError):
        load_user_config(write(tmp_path, "allow_hosts: !!python/object/apply:os.system ['echo hi']\n"))
