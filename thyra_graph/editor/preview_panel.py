"""The preview panel: the selected node's outputs, drawn by :mod:`.previews`.

A node with several outputs gets a selector; videos and frame series get a slider whose
frames are decoded only when shown; field animations also get a Play button; point clouds,
meshes and cameras get an orbit view.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

from PySide6 import QtCore, QtWidgets

from thyra_graph.types import PortType

from .image_view import ImageView
from .orbit_view import OrbitView
from .previews import IMAGE, SCENE, TABLE, Background, Preview, render


PLAY_INTERVAL_MS = 100


class PreviewPanel(QtWidgets.QWidget):
    clicked = QtCore.Signal(float, float, bool)  # forwarded from the image (prompting)

    def __init__(self, parent: QtWidgets.QWidget | None = None, *,
                 plugin_previews: Mapping[str, Callable[[PortType], Any]] | None = None) -> None:
        super().__init__(parent)
        self.plugin_previews = dict(plugin_previews or {})  # the registry's previews of plugin types
        self.title = QtWidgets.QLabel("No preview")
        self.title.setWordWrap(True)
        self.output = QtWidgets.QComboBox()
        self.output.hide()
        self.image = ImageView()
        self.table = QtWidgets.QTableWidget()
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.NoEditTriggers)
        self.text = QtWidgets.QPlainTextEdit(readOnly=True)
        self.orbit = OrbitView()
        self.stack = QtWidgets.QStackedWidget()
        for widget in (self.text, self.image, self.table, self.orbit):
            self.stack.addWidget(widget)
        self.slider = QtWidgets.QSlider(QtCore.Qt.Horizontal)
        self.slider.hide()
        self.play = QtWidgets.QPushButton("Play", checkable=True)
        self.play.setToolTip("step through the snapshots (each is read from disk when shown)")
        self.play.hide()
        self.caption = QtWidgets.QLabel()
        self.caption.setWordWrap(True)
        top = QtWidgets.QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.output)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.stack, 1)
        frames = QtWidgets.QHBoxLayout()
        frames.addWidget(self.play)
        frames.addWidget(self.slider, 1)
        layout.addLayout(frames)
        layout.addWidget(self.caption)
        self.values: dict[str, PortType] = {}
        self.wanted_output: str | None = None  # the output to show first when it arrives
        self.background = Background()
        self.preview: Preview | None = None
        self._frame_timer = QtCore.QTimer(self, singleShot=True, interval=40)
        self._frame_timer.timeout.connect(self._show_frame)
        self.slider.valueChanged.connect(lambda _: self._frame_timer.start())
        self._play_timer = QtCore.QTimer(self, interval=PLAY_INTERVAL_MS)
        self._play_timer.timeout.connect(self._next_frame)
        self.play.toggled.connect(self._on_play)
        self.output.currentTextChanged.connect(self._show_output)
        self.image.clicked.connect(self.clicked)

    def show_message(self, title: str, text: str) -> None:
        self.values = {}
        self.title.setText(title)
        self.output.hide()
        self.slider.hide()
        self._hide_play()
        self.caption.clear()
        self.text.setPlainText(text)
        self.stack.setCurrentWidget(self.text)

    def show_values(self, title: str, values: dict[str, PortType], background: Background, *, keep_output: bool = True) -> None:
        previous = self.output.currentText() if keep_output else ""
        if self.wanted_output in values:  # asked for by name (a row of the results panel)
            previous, self.wanted_output = self.wanted_output, None
        self.values = values
        self.background = background
        self.title.setText(title)
        blocker = QtCore.QSignalBlocker(self.output)
        self.output.clear()
        self.output.addItems([f"{name}" for name in values])
        if previous in values:
            self.output.setCurrentText(previous)
        del blocker
        self.output.setVisible(len(values) > 1)
        self._show_output(self.output.currentText())

    def _show_output(self, name: str) -> None:
        value = self.values.get(name)
        if value is None:
            return
        self.preview = render(value, self.background, plugin_previews=self.plugin_previews)
        if self.preview.frame_count > 1:
            blocker = QtCore.QSignalBlocker(self.slider)
            self.slider.setRange(0, self.preview.frame_count - 1)
            self.slider.setValue(0)
            del blocker
            self.slider.show()
        else:
            self.slider.hide()
        self._hide_play()
        self.play.setVisible(self.preview.playable)
        self._display(self.preview)

    def _hide_play(self) -> None:
        self.play.setChecked(False)
        self.play.hide()

    def _on_play(self, playing: bool) -> None:
        self.play.setText("Pause" if playing else "Play")
        if playing:
            self._play_timer.start()
        else:
            self._play_timer.stop()

    def _next_frame(self) -> None:
        if self.slider.isHidden() or self.slider.maximum() == 0:
            self.play.setChecked(False)
            return
        # Show the frame now rather than through the slider's debounce timer, so playback
        # decodes exactly one snapshot per tick.
        blocker = QtCore.QSignalBlocker(self.slider)
        self.slider.setValue((self.slider.value() + 1) % (self.slider.maximum() + 1))
        del blocker
        self._show_frame()

    def _show_frame(self) -> None:
        if self.preview is not None and self.preview.frame is not None:
            try:
                shown = self.preview.frame(self.slider.value())
            except Exception as exc:  # a broken frame must not close the window
                shown = Preview("text", text=f"cannot decode frame {self.slider.value()}: {exc}")
            if self.background.points and shown.image is not None:
                from .previews import draw_points

                shown.image = draw_points(shown.image, self.background.points)
            self._display(shown, keep_view=True)

    def _display(self, preview: Preview, *, keep_view: bool = False) -> None:
        self.caption.setText(preview.caption)
        if preview.kind == IMAGE and preview.image is not None:
            self.stack.setCurrentWidget(self.image)  # first, so the picture fits the shown size
            self.image.set_image(preview.image)
        elif preview.kind == SCENE and preview.scene is not None:
            keep_view = keep_view and self.stack.currentWidget() is self.orbit
            self.stack.setCurrentWidget(self.orbit)
            self.orbit.set_scene(preview.scene, keep_view=keep_view)
        elif preview.kind == TABLE:
            self.table.clear()
            self.table.setColumnCount(len(preview.columns))
            self.table.setRowCount(len(preview.rows))
            self.table.setHorizontalHeaderLabels(preview.columns)
            for r, row in enumerate(preview.rows):
                for c, cell in enumerate(row):
                    self.table.setItem(r, c, QtWidgets.QTableWidgetItem(str(cell)))
            self.stack.setCurrentWidget(self.table)
        else:
            self.text.setPlainText(preview.text)
            self.stack.setCurrentWidget(self.text)
