"""The window's layout, remembered between sessions: size and position, where each dock is,
which are shown, and their sizes (Qt's own ``saveGeometry``/``saveState`` blobs), plus the
canvas overlays' switches (the minimap).

Kept in ``window.ini`` in the editor's config folder (:func:`recent_files.editor_config_dir`,
platformdirs). The file is a cache of how the user left the window, never something to fail
over: a missing, truncated, foreign or hand-edited file is ignored (the default layout is
used) and rewritten on the next close.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6 import QtCore, QtWidgets

FILE_NAME = "window.ini"
#: Bumped when the docks change so much that an old layout should not be restored.
LAYOUT_VERSION = 1

log = logging.getLogger(__name__)


class WindowState:
    """Save and restore a main window's layout in ``folder/window.ini``."""

    def __init__(self, folder: Path) -> None:
        self.file = Path(folder) / FILE_NAME

    def _settings(self) -> QtCore.QSettings:
        return QtCore.QSettings(str(self.file), QtCore.QSettings.IniFormat)

    def restore(self, window: QtWidgets.QMainWindow) -> bool:
        """Put the window back as it was left; False (default layout kept) when nothing usable was saved."""
        if not self.file.is_file():
            return False
        try:
            settings = self._settings()
            if settings.status() != QtCore.QSettings.NoError:
                raise ValueError(f"unreadable ({settings.status()})")
            geometry, state = settings.value("window/geometry"), settings.value("window/state")
            version = settings.value("window/version")
            if not isinstance(geometry, QtCore.QByteArray) or not isinstance(state, QtCore.QByteArray) \
                    or str(version) != str(LAYOUT_VERSION):
                raise ValueError("not a layout this version wrote")
            if not window.restoreGeometry(geometry) or not window.restoreState(state, LAYOUT_VERSION):
                raise ValueError("Qt refused the saved layout")
        except Exception as exc:  # noqa: BLE001 - a layout file must never stop the editor from starting
            log.warning("ignoring the saved window layout %s: %s; the default layout is used", self.file, exc)
            return False
        return True

    def flag(self, key: str, default: bool) -> bool:
        """A remembered on/off switch (``view/minimap``); ``default`` when unset or unreadable."""
        try:
            value = self._settings().value(key) if self.file.is_file() else None
        except Exception:  # noqa: BLE001 - same rule as restore()
            return default
        if isinstance(value, bool):
            return value
        return {"true": True, "false": False}.get(str(value).lower(), default)

    def save(self, window: QtWidgets.QMainWindow, flags: dict[str, bool] | None = None) -> bool:
        """Write the window's layout (and ``flags``); False, logged, when the folder is not writable."""
        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            settings = self._settings()
            settings.clear()  # a foreign file's keys are not carried forward
            settings.setValue("window/version", LAYOUT_VERSION)
            settings.setValue("window/geometry", window.saveGeometry())
            settings.setValue("window/state", window.saveState(LAYOUT_VERSION))
            for key, value in (flags or {}).items():
                settings.setValue(key, bool(value))
            settings.sync()
            if settings.status() != QtCore.QSettings.NoError:
                raise OSError(f"cannot write {self.file} ({settings.status()})")
        except OSError as exc:
            log.warning("the window layout was not saved: %s", exc)
            return False
        return True
