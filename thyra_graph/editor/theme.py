"""A dark Fusion palette, so the panels match NodeGraphQt's dark canvas."""

from __future__ import annotations

from PySide6 import QtGui, QtWidgets


def apply_dark_theme(app: QtWidgets.QApplication) -> None:
    app.setStyle("Fusion")
    palette = QtGui.QPalette()
    colors = {
        QtGui.QPalette.Window: (45, 45, 48), QtGui.QPalette.WindowText: (220, 220, 220),
        QtGui.QPalette.Base: (32, 32, 34), QtGui.QPalette.AlternateBase: (45, 45, 48),
        QtGui.QPalette.ToolTipBase: (30, 30, 30), QtGui.QPalette.ToolTipText: (230, 230, 230),
        QtGui.QPalette.Text: (220, 220, 220), QtGui.QPalette.Button: (55, 55, 58),
        QtGui.QPalette.ButtonText: (220, 220, 220), QtGui.QPalette.Highlight: (60, 120, 200),
        QtGui.QPalette.HighlightedText: (255, 255, 255), QtGui.QPalette.PlaceholderText: (130, 130, 130),
    }
    for role, rgb in colors.items():
        palette.setColor(role, QtGui.QColor(*rgb))
    palette.setColor(QtGui.QPalette.Disabled, QtGui.QPalette.Text, QtGui.QColor(110, 110, 110))
    palette.setColor(QtGui.QPalette.Disabled, QtGui.QPalette.WindowText, QtGui.QColor(110, 110, 110))
    app.setPalette(palette)
