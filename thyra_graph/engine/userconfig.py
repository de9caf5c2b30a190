"""The user's own settings: which hosts a graph may reach, where it may write, and secrets.

One file, ``<user config dir>/thyra/config.yaml`` (``THYRA_CONFIG`` points elsewhere), read in
YAML safe mode. It is the user's, never the graph's: a graph file can name a secret but only
this file (or ``THYRA_SECRET_<NAME>`` in the user's environment) says what its value is and to
which hosts it may be sent::

    allow_hosts: [api.openai.com]          # hosts any graph may send data to (loopback always may)
    allow_write: [~/datasets/out]          # folders any graph may write into
    secrets:
      openai: {env: OPENAI_API_KEY, hosts: [api.openai.com]}   # value from this variable
      lab:    {value: sk-..., hosts: [vlm.lab.example]}         # or the value itself

A secret set only through ``THYRA_SECRET_<NAME>`` is bound to the hosts listed in
``THYRA_SECRET_<NAME>_HOSTS`` (comma-separated), else to loopback only.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CONFIG_ENV = "THYRA_CONFIG"
TOP_KEYS = ("allow_hosts", "allow_write", "secrets")
SECRET_KEYS = ("env", "value", "hosts")


class UserConfigError(ValueError):
    """The user config file is unreadable or malformed; the message names the file and the fix."""


@dataclass(frozen=True)
class SecretBinding:
    """Where a named secret's value comes from and the hosts it may be sent to."""

    name: str
    hosts: tuple[str, ...]
    value: str | None = None  # the value itself (config ``value:`` or THYRA_SECRET_<NAME>)
    env: str | None = None  # or the user's environment variable holding it
    origin: str = ""  # where the binding was read, for messages

    def resolve(self) -> str | None:
        """The secret's value, or None when its source is empty."""
        if self.value and self.value.strip():
            return self.value.strip()
        if self.env and os.environ.get(self.env, "").strip():
            return os.environ[self.env].strip()
        return None


@dataclass(frozen=True)
class UserConfig:
    path: Path
    allow_hosts: tuple[str, ...] = ()
    allow_write: tuple[Path, ...] = ()
    secrets: dict[str, SecretBinding] = field(default_factory=dict)

    def secret(self, name: str) -> SecretBinding | None:
        """The binding of secret ``name``: ``THYRA_SECRET_<NAME>`` wins over the config file."""
        variable = secret_variable(name)
        configured = self.secrets.get(name)
        if os.environ.get(variable, "").strip():
            hosts = _split_hosts(os.environ.get(variable + "_HOSTS", ""))
            if not hosts and configured is not None:
                hosts = configured.hosts
            return SecretBinding(name, hosts or LOOPBACK_NAMES, value=os.environ[variable], origin=f"environment {variable}")
        return configured


#: What a secret without listed hosts is bound to: this machine only.
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


def secret_variable(name: str) -> str:
    """``THYRA_SECRET_<NAME>``: upper case, other characters → ``_``."""
    return "THYRA_SECRET_" + re.sub(r"[^A-Z0-9]", "_", name.upper())


def config_path() -> Path:
    """``THYRA_CONFIG``, else ``<user config dir>/thyra/config.yaml``."""
    explicit = os.environ.get(CONFIG_ENV, "").strip()
    if explicit:
        return Path(explicit).expanduser()
    import platformdirs

    return Path(platformdirs.user_config_dir("thyra", appauthor=False)) / "config.yaml"


def load_user_config(path: Path | None = None) -> UserConfig:
    """Read the user config (a missing file is an empty config); raise :class:`UserConfigError`."""
    path = path or config_path()
    if not path.is_file():
        if os.environ.get(CONFIG_ENV, "").strip() and path == config_path():
            raise UserConfigError(f"{CONFIG_ENV} points at {path}, which is not a file: correct or unset {CONFIG_ENV}")
        return UserConfig(path)
    from .yamlfile import parse_yaml  # the same safe reader as graph files

    try:
        parsed = parse_yaml(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        parsed = None
    if parsed is None or parsed.fatal or parsed.problems:
        # The file may hold keys: say only where the problem is, never quote it.
        raise UserConfigError(f"the Thyra user config {path} cannot be read as YAML: fix or remove it "
                              "(see SECURITY.md for its format)") from None
    data = parsed.data
    if data is None:
        return UserConfig(path)
    if not isinstance(data, dict):
        raise UserConfigError(f"the Thyra user config {path} must be a mapping with keys {', '.join(TOP_KEYS)}")
    unknown = [str(k) for k in data if k not in TOP_KEYS]
    if unknown:
        raise UserConfigError(f"the Thyra user config {path} has unknown key(s) {', '.join(unknown)}: "
                              f"the known keys are {', '.join(TOP_KEYS)}")
    hosts = tuple(h.lower() for h in _strings(data.get("allow_hosts"), path, "allow_hosts"))
    roots = tuple(Path(p).expanduser() for p in _strings(data.get("allow_write"), path, "allow_write"))
    secrets = data.get("secrets") or {}
    if not isinstance(secrets, dict):
        raise UserConfigError(f"'secrets' in {path} must map a secret name to {{env: VAR or value: KEY, hosts: [HOST]}}")
    return UserConfig(path, hosts, roots, {str(k): _binding(str(k), v, path) for k, v in secrets.items()})


def _binding(name: str, entry: Any, path: Path) -> SecretBinding:
    fix = f"write it as `{name}: {{env: OPENAI_API_KEY, hosts: [api.openai.com]}}` (or value: instead of env:)"
    if not isinstance(entry, dict) or not entry.keys() <= set(SECRET_KEYS) or ("env" in entry) == ("value" in entry):
        raise UserConfigError(f"secret {name!r} in {path} needs exactly one of env/value and a hosts list: {fix}")
    env, value = entry.get("env"), entry.get("value")
    if not isinstance(env or value, str):
        raise UserConfigError(f"secret {name!r} in {path}: env/value must be text: {fix}")
    hosts = tuple(h.lower() for h in _strings(entry.get("hosts"), path, f"secrets.{name}.hosts"))
    return SecretBinding(name, hosts or LOOPBACK_NAMES, value=value, env=env, origin=str(path))


def _strings(value: Any, path: Path, key: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise UserConfigError(f"'{key}' in {path} must be a list of text, e.g. [example.org]")
    return [v.strip() for v in value]


def _split_hosts(text: str) -> tuple[str, ...]:
    return tuple(h.strip().lower() for h in text.split(",") if h.strip())
