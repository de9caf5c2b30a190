"""Before the editor runs a graph: where it sends data and writes, as the user allowed.

The same review as ``thyra run`` (:mod:`thyra_graph.engine.trust`), with two editor habits:
a host the user confirms in a dialog is remembered for that file for the session, and a write
path the user set in the editor (typed, or picked in a file dialog) is the user's choice, so only
the write paths that came from the file itself are held to the allowed folders.
"""

from __future__ import annotations

from typing import Any, Protocol

from thyra_graph.engine.graph import Graph, GraphError
from thyra_graph.engine.trust import Policy, review
from thyra_graph.engine.userconfig import UserConfigError


class Asks(Protocol):
    def allow_hosts(self, hosts: list[str], details: list[str]) -> bool: ...
    def error(self, title: str, text: str) -> None: ...


def write_values(graph: Graph) -> dict[tuple[str, str], Any]:
    """(node, param) → value of every path param that may be written."""
    return {(n, p.name): graph.params(n)[p.name] for n in graph.nodes for p in graph.spec(n).params
            if p.kind == "path" and p.io != "read"}


class RunGate:
    """Asks before the first run of a file that sends data to hosts not allowed; refuses what cannot be asked."""

    def __init__(self, prompter: Asks) -> None:
        self.prompter = prompter
        self._confirmed: dict[str, set[str]] = {}  # file → hosts the user confirmed this session
        self._from_file: dict[tuple[str, str], Any] = {}

    def opened(self, graph: Graph) -> None:
        """Remember the write paths as the file gave them (a new graph has none)."""
        self._from_file = write_values(graph)

    def allows(self, graph: Graph, key: str, targets: list[str] | None = None) -> bool:
        """Whether ``graph`` may run; asks about hosts not yet allowed, explains refusals."""
        from thyra_graph.engine.planner import make_plan

        try:
            policy = Policy.for_user()
        except UserConfigError as exc:
            self.prompter.error("Not run: the user config is broken", str(exc))
            return False
        try:
            nodes = make_plan(graph, targets).order
        except (GraphError, ValueError):
            nodes = list(graph.nodes)  # the run reports what is wrong with the plan itself
        checked = review(graph, policy, nodes=nodes, confirmed_hosts=self._confirmed.get(key, ()))
        problems = [p for p in checked.problems if p.kind != "write" or self._from_the_file(graph, p.node, p.param)]
        refused = [p for p in problems if p.kind != "host"]
        if refused:
            self.prompter.error("Not run: the graph reaches beyond what you allowed",
                                "\n\n".join(str(p) for p in refused))
            return False
        hosts = sorted({p.host for p in problems})
        if hosts:
            if not self.prompter.allow_hosts(hosts, checked.send_lines()):
                return False
            self._confirmed.setdefault(key, set()).update(hosts)
        return True

    def _from_the_file(self, graph: Graph, node: str, param: str) -> bool:
        """Whether a write path is still the one the file gave (not one the user set)."""
        key = (node, param)
        return key in self._from_file and graph.params(node)[param] == self._from_file[key]
