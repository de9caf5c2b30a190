"""What a graph will do outside itself, checked against what the user allowed, before it runs.

A graph file is untrusted input. :func:`review` lists every network destination its nodes
declare and every file or folder its path parameters may write, and reports each pairing the
user has not allowed:

- a host the graph chose that is neither loopback, nor in ``--allow-host`` / the user config's
  ``allow_hosts``, nor confirmed in the editor;
- a secret sent to a host the user did not bind it to (or a secret that is not set);
- a write outside the graph's folder, the working folder, ``--allow-write`` / ``allow_write``
  roots and the paths the user typed (``--set``) or picked (a file dialog);
- a hidden file or folder (``.git/hooks``, ``.profile``) written inside the graph's or the
  working folder, which the user did not name.

Symlinks are resolved first: a link inside the graph's folder that points outside is outside.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import urlsplit

from .declaration import Destination
from .graph import Graph
from .subgraph import flatten
from .userconfig import UserConfig, load_user_config

SCHEMES = ("http", "https")


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address) is this machine."""
    host = host.lower().strip("[]")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def host_of(url: str) -> str:
    """The lower-case host name of ``url`` ('' when it has none)."""
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def secret_allowed(host: str, hosts: Iterable[str]) -> bool:
    """Whether a secret bound to ``hosts`` may go to ``host`` (loopback names stand for each other)."""
    hosts = [h.lower() for h in hosts]
    return host in hosts or (is_loopback(host) and any(is_loopback(h) for h in hosts))


@dataclass
class Policy:
    """What the user allows: hosts, write roots, and their secret bindings (the user config)."""

    config: UserConfig
    allow_hosts: set[str] = field(default_factory=set)
    write_roots: list[Path] = field(default_factory=list)  # the user's own: config, options, typed paths
    cwd: Path | None = None  # the working folder, a root unless it is the home folder or a drive root

    @classmethod
    def for_user(cls, *, allow_hosts: Iterable[str] = (), allow_write: Iterable[str | Path] = (),
                 config: UserConfig | None = None) -> "Policy":
        """The user config plus what was given on the command line; raises UserConfigError."""
        config = config if config is not None else load_user_config()
        hosts = {h.lower() for h in config.allow_hosts} | {h.strip().lower() for h in allow_hosts if h.strip()}
        roots = [*config.allow_write, *(Path(p).expanduser().absolute() for p in allow_write)]
        return cls(config, hosts, roots, Path.cwd())

    def allow_write(self, path: str | Path) -> None:
        """Allow writing at ``path`` and below (a path the user typed or picked)."""
        self.write_roots.append(Path(path).expanduser().absolute())


@dataclass(frozen=True)
class Send:
    node: str
    destination: Destination
    host: str


@dataclass(frozen=True)
class Write:
    node: str
    param: str
    path: Path  # symlinks resolved


@dataclass(frozen=True)
class Problem:
    kind: str  # "host" (the user may confirm it), "secret", "url" or "write"
    node: str
    message: str
    host: str = ""
    param: str = ""  # the path parameter, for "write"

    def __str__(self) -> str:
        return f"node {self.node!r}: {self.message}"


@dataclass
class Review:
    sends: list[Send]
    writes: list[Write]
    roots: list[Path]
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def hosts(self) -> list[str]:
        return sorted({s.host for s in self.sends})

    def to_json(self) -> dict[str, Any]:
        return {
            "destinations": [{"node": s.node, "url": _display(s.destination.url), "host": s.host,
                              "chosen_by": s.destination.chosen_by, "secret": s.destination.secret,
                              "loopback": is_loopback(s.host)} for s in self.sends],
            "writes": [{"node": w.node, "param": w.param, "path": str(w.path)} for w in self.writes],
            "write_roots": [str(r) for r in self.roots],
            "problems": [str(p) for p in self.problems],
        }

    def send_lines(self) -> list[str]:
        """One line per destination, for ``thyra validate`` and the start of ``thyra run``."""
        out = []
        for s in self.sends:
            d = s.destination
            extra = "".join([f", with secret {d.secret!r}" if d.secret else "",
                             ", loopback" if is_loopback(s.host) else "", f"; {d.note}" if d.note else ""])
            out.append(f"sends to {s.host} ({_display(d.url)}; node {s.node!r}, chosen by the {d.chosen_by}{extra})")
        return out

    def lines(self) -> list[str]:
        """The whole review as text lines (``thyra validate``)."""
        out = [f"  {line}" for line in self.send_lines()]
        for w in self.writes:
            out.append(f"  writes  {w.path} (node {w.node!r} {w.param})")
        out.append("  may write under: " + ", ".join(str(r) for r in self.roots))
        return out


def review(graph: Graph, policy: Policy, *, nodes: Iterable[str] | None = None,
           confirmed_hosts: Iterable[str] = ()) -> Review:
    """Every destination and write of ``graph`` (or of ``nodes``, those a run will execute),
    and each one ``policy`` does not allow."""
    confirmed = {h.lower() for h in confirmed_hosts}
    # A subgraph's inner nodes write and send like any others: review them, not the instance.
    flat = flatten(graph)
    if nodes is not None:
        nodes = [m for n in nodes for m in (flat.members.get(n) or [n]) if m in flat.graph.nodes]
    graph = flat.graph
    # The graph's folder and the working folder are roots the user did not name: inside them a
    # graph may not write hidden files or folders (.git/hooks, .ssh, .profile …), and a working
    # folder that is the home folder or a drive root does not count (it would allow everything).
    cwd = Path(os.path.realpath(policy.cwd)) if policy.cwd is not None else None
    broad = cwd is not None and cwd in (Path(os.path.realpath(Path.home())), Path(cwd.anchor))
    implicit = _real_roots([graph.base_dir, *([cwd] if cwd is not None and not broad else [])])
    explicit = _real_roots(policy.write_roots)
    roots = _real_roots([*implicit, *explicit])
    sends, writes, problems = [], [], []
    for node_id in (graph.nodes if nodes is None else nodes):
        spec = graph.spec(node_id)
        params = graph.params(node_id)
        try:
            declared = list(spec.destinations(params)) if spec.destinations is not None else []
        except Exception as exc:  # a plugin's hook: refuse to run what cannot be listed, never crash
            problems.append(Problem("url", node_id, f"{spec.id} cannot say where it sends data ({exc}); "
                                    "report this to the plugin's author"))
            declared = []
        for d in declared:
            host = host_of(d.url)
            sends.append(Send(node_id, d, host))
            problems.extend(_check_send(node_id, d, host, policy, confirmed))
        for p in spec.params:
            value = params.get(p.name)
            # A path param that does not declare io="read" may be written (e.g. a debug folder).
            if p.kind != "path" or p.io == "read" or not isinstance(value, str):
                continue
            path = Path(os.path.realpath(graph.resolve_path(value)))
            writes.append(Write(node_id, p.name, path))
            if any(_under(path, root) for root in explicit):
                continue
            inside = next((root for root in implicit if _under(path, root)), None)
            if inside is None:
                problems.append(Problem("write", node_id, _write_message(node_id, p.name, value, path, policy), param=p.name))
            elif any(part.startswith(".") for part in path.relative_to(inside).parts):
                problems.append(Problem("write", node_id, (
                    f"parameter {p.name!r} ({value!r}) writes the hidden file or folder {path}: a graph file may not "
                    f"write hidden files (such as .git/hooks or .profile). If you meant it, give the path on the command "
                    f"line (--set {node_id}.{p.name}=PATH) or allow its folder with --allow-write"), param=p.name))
    return Review(sends, writes, roots, problems)


def _check_send(node_id: str, d: Destination, host: str, policy: Policy, confirmed: set[str]) -> list[Problem]:
    shown = _display(d.url)
    if urlsplit(d.url).scheme.lower() not in SCHEMES or not host:
        return [Problem("url", node_id, f"{shown!r} is not an http(s) URL with a host: write it like http://localhost:1234/v1")]
    problems = []
    if d.chosen_by == "graph" and not (is_loopback(host) or host in policy.allow_hosts or host in confirmed):
        problems.append(Problem("host", node_id, (
            f"the graph sends data to {host} ({shown}), which you have not allowed. Only loopback "
            f"(this machine) is allowed by default: if you trust {host}, run with --allow-host {host} or add it "
            f"to allow_hosts in {policy.config.path}"), host))
    if d.secret:
        binding = policy.config.secret(d.secret)
        if binding is None:
            from .userconfig import secret_variable

            problems.append(Problem("secret", node_id, (
                f"the secret {d.secret!r} is not set: add `{d.secret}: {{env: VARIABLE, hosts: [{host}]}}` under "
                f"secrets: in {policy.config.path}, or set {secret_variable(d.secret)} (and "
                f"{secret_variable(d.secret)}_HOSTS={host})"), host))
        elif not secret_allowed(host, binding.hosts):
            problems.append(Problem("secret", node_id, (
                f"the secret {d.secret!r} may be sent only to {', '.join(binding.hosts)} (bound in {binding.origin}), "
                f"but the graph sends it to {host}. A graph cannot choose where your secrets go: if you trust "
                f"{host} with it, add {host} to the secret's hosts in {binding.origin}; otherwise correct the "
                "node's URL"), host))
        elif binding.resolve() is None:
            problems.append(Problem("secret", node_id, (
                f"the secret {d.secret!r} has no value: {binding.origin} takes it from "
                f"{'the environment variable ' + binding.env if binding.env else 'an empty value'}; set it"), host))
    return problems


def _write_message(node_id: str, param: str, value: str, path: Path, policy: Policy) -> str:
    folder = path.parent
    return (f"parameter {param!r} ({value!r}) writes to {path}, outside the folders this graph may write to "
            f"(the graph's folder, the current folder and those you allowed). If you meant it, run with "
            f"--allow-write {folder}, add it to allow_write in {policy.config.path}, or give the path on the command "
            f"line: --set {node_id}.{param}=PATH")


def _under(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _real_roots(paths: Iterable[Path]) -> list[Path]:
    roots: list[Path] = []
    for p in paths:
        real = Path(os.path.realpath(p))
        if real not in roots:
            roots.append(real)
    return roots


def _display(url: str) -> str:
    """``url`` without any ``user:password@`` part or query (which may carry a key)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        netloc = f"{host}:{parts.port}" if parts.port else host
    except ValueError:
        return "<unparsable URL>"
    return parts._replace(netloc=netloc, query="", fragment="").geturl()
