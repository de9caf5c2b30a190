"""The node palette's contents: every registered node type, grouped, searchable.

Built from the registry's declarations only, so plugin nodes appear like built-ins. A node
whose optional dependency is missing is listed, marked unavailable, with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from thyra_graph.engine.registry import Registry


@dataclass(frozen=True)
class CatalogEntry:
    type_id: str
    title: str
    category: str
    summary: str
    origin: str
    missing: tuple[str, ...] = ()
    input_types: tuple[type, ...] = ()   # the port types, for a search filtered by a dropped pipe
    output_types: tuple[type, ...] = ()

    @property
    def available(self) -> bool:
        return not self.missing

    @property
    def reason(self) -> str:
        """Why the node cannot run here, as the palette's tooltip says it."""
        if self.available:
            return ""
        modules = ", ".join(self.missing)
        return f"unavailable: needs {modules} (pip install {' '.join(m.split('.')[0] for m in self.missing)})"


class Catalog:
    def __init__(self, registry: Registry) -> None:
        unavailable = registry.unavailable()
        self.entries = [
            CatalogEntry(spec.id, spec.title, spec.category, spec.summary, registry.origins.get(spec.id, ""),
                         tuple(unavailable.get(spec.id, ())), tuple(i.type for i in spec.inputs),
                         tuple(o.type for o in spec.outputs))
            for spec in registry
        ]

    def by_category(self) -> dict[str, list[CatalogEntry]]:
        groups: dict[str, list[CatalogEntry]] = {}
        for entry in self.entries:
            groups.setdefault(entry.category, []).append(entry)
        return groups

    def search(self, query: str, limit: int = 20,
               only: Callable[[CatalogEntry], bool] | None = None) -> list[CatalogEntry]:
        """Entries matching every word of ``query`` in id, title or summary, best first:
        a match in the id or title ranks above one in the summary only. ``only`` keeps the
        entries it accepts (those that can take a dropped pipe)."""
        entries = [e for e in self.entries if only is None or only(e)]
        words = query.lower().split()
        if not words:
            return entries[:limit]
        scored = []
        for entry in entries:
            name = f"{entry.type_id} {entry.title}".lower()
            text = f"{name} {entry.summary}".lower()
            if not all(w in text for w in words):
                continue
            score = sum(3 if w in name else 1 for w in words)
            tail = entry.type_id.rsplit(".", 1)[-1]
            if tail.startswith(words[0]) or entry.title.lower().startswith(words[0]):
                score += 5
            if not entry.available:
                score -= 2
            scored.append((-score, entry.type_id, entry))
        scored.sort(key=lambda item: item[:2])
        return [entry for _, _, entry in scored[:limit]]
