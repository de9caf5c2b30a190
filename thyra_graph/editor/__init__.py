"""The visual editor: a Qt node canvas over the engine's graph model.

The modules without ``qt`` in their role (document, commands, layout, catalog,
param_values, spin_steps, run_states, previews, prompting, recent_files, recovery) hold the editor's
logic and import no Qt, so they are tested without a display. The Qt layer (canvas,
palette, properties, preview_panel, run_controller, main_window, app) only shows that
logic and forwards user gestures to it.

Everything the editor knows about node types comes from the registry's declarations:
a plugin's node appears with its ports, colours and parameter widgets with no change here.
"""

from __future__ import annotations

from pathlib import Path


def launch(path: str | Path | None = None) -> int:
    """Open the editor window (on ``path`` when given) and run until it is closed."""
    from .app import run_editor

    return run_editor(path)
