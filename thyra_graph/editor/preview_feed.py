"""What the preview panel shows: the selected node's values, fetched from the run's caches.

The title switches to the selected node at once (never the last node's title over another
node's content); the values follow when read, also while a run goes on, as each node's result
arrives. A prompt node before its first run shows its input image to click on.
"""

from __future__ import annotations

from thyra_graph.engine.results import RunResult

from .previews import Background, background_source
from .prompting import prompt_param
from .run_states import FAILED, HAS_RESULT


class PreviewFeed:
    """Fills one window's preview panel for its selected node."""

    def __init__(self, window) -> None:
        self.window = window
        self._shown: str | None = None  # the node whose title the preview shows

    def forget(self) -> None:
        """Another document: nothing is shown."""
        self._shown = None

    def refresh(self) -> None:
        """Show the selected node: its title at once, its values when they are read."""
        window = self.window
        node = window.selected_node()
        if node is None or node not in window.document.graph.nodes:
            self._shown = None
            window.preview.show_message("No preview", "Select one node to see its outputs.")
            return
        graph = window.document.graph
        spec = graph.spec(node)
        state = window.controller.states.get(node)
        title = f"<b>{node}</b> ({spec.title})"
        if node != self._shown:  # never the last node's title over this one
            self._shown = node
            window.preview.show_message(title, "Reading its result…")
        background = background_source(graph, node)
        background_ready = background is not None and window.controller.states.get(background.split(".")[0]).status in HAS_RESULT
        prompt = prompt_param(spec)
        if state.status not in HAS_RESULT and not (prompt and background_ready):
            if state.status == FAILED:
                window.preview.show_message(title, f"failed:\n{state.message}")
            else:
                window.preview.show_message(title, "Not computed yet: Run (F5) to see its outputs."
                                            + ("\nThe node was changed since its last run." if state.stale else ""))
            return
        if state.stale and window.controller.running:
            # Fetched now, it would be computed a second time beside the run that recomputes it.
            window.preview.show_message(title, "Changed since its last run: its new result shows when the run has it.")
            return
        targets = [node] if state.status in HAS_RESULT else []
        if background_ready:
            targets.append(background)
        points = graph.params(node)[prompt] if prompt else []

        def show(result: RunResult | None, error: str) -> None:
            if window.selected_node() != node:
                return  # the selection moved on while the values were fetched
            if result is None:
                window.preview.show_message(title, f"cannot preview: {error}")
                return
            values = {o.name: result.outputs[f"{node}.{o.name}"] for o in spec.outputs if f"{node}.{o.name}" in result.outputs}
            image = result.outputs.get(background) if background else None
            rgb = image.as_uint8_rgb() if image is not None and hasattr(image, "as_uint8_rgb") else None
            if not values and image is not None:
                values = {"input image": image}  # prompt before the first run: click on the input
            window.preview.show_values(title, values, Background(rgb, list(points or [])))

        window.controller.fetch(window.document.snapshot(), targets, show)
