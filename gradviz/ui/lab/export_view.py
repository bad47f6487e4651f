"""Saving the lab: the view as PNG or SVG, the race as an animated GIF or MP4."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, QPoint, QRect, QRunnable, QSize, QThreadPool, QTimer, Signal
from PySide6.QtGui import QPainter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QFileDialog, QGraphicsView, QWidget

from gradviz.ui.lab.animation import frame_steps, grab, write_frames

if TYPE_CHECKING:
    from gradviz.ui.lab.lab_widget import LabWidget


SAVE_DIALOGS = {  # what: (title, suggested file, filters)
    "view": ("Save view", "surface.png", "PNG (*.png);;SVG (*.svg)"),
    "race": ("Save race", "race.gif", "GIF (*.gif);;MP4 (*.mp4)"),
}


def ask_and_save(parent: QWidget, what: str, save: Callable[[str], None]) -> None:
    """Ask where to save the lab's view or race, then save it there."""
    title, suggested, filters = SAVE_DIALOGS[what]
    path, _ = QFileDialog.getSaveFileName(parent, title, suggested, filters)
    if path:
        save(path)


def save_widget(widget: QWidget, path: str) -> None:
    """PNG (pixels) or SVG (vector, rendered through QSvgGenerator)."""
    if path.lower().endswith(".svg"):
        generator = QSvgGenerator()
        generator.setFileName(path)
        generator.setSize(QSize(widget.width(), widget.height()))
        generator.setViewBox(QRect(0, 0, widget.width(), widget.height()))
        generator.setTitle("gradviz optimizer lab")
        painter = QPainter(generator)
        try:
            if isinstance(widget, QGraphicsView):
                widget.render(painter)  # the scene, as vectors
            else:
                QWidget.render(widget, painter, QPoint(0, 0))
        finally:
            painter.end()
    else:
        widget.grab().save(path, "PNG")


class _Signals(QObject):
    done = Signal(str)
    failed = Signal(str)


class _Encode(QRunnable):
    def __init__(self, frames: list[np.ndarray], path: str, signals: _Signals) -> None:
        super().__init__()
        self.frames, self.path, self.signals = frames, path, signals

    def run(self) -> None:
        try:
            write_frames(self.frames, self.path)
            self.signals.done.emit(self.path)
        except Exception as exc:  # keep the app alive
            self.signals.failed.emit(f"Could not write {self.path}: {exc}")


class RaceRecorder(QObject):
    """Films the race one frame per event-loop turn (the UI stays live), encodes off-thread."""

    def __init__(self, lab: LabWidget, path: str) -> None:
        super().__init__(lab)
        self.lab = lab
        self.path = path
        self.steps = frame_steps(lab.max_steps())
        self.frames: list[np.ndarray] = []
        self.signals = _Signals()
        self.signals.done.connect(lambda p: lab.status.setText(f"Saved {p}"))
        self.signals.failed.connect(lab.status.setText)
        self._timer = QTimer(self, interval=0)
        self._timer.timeout.connect(self._next)

    def start(self) -> None:
        self.lab.status.setText(f"Recording {len(self.steps)} frames…")
        self._timer.start()

    def _next(self) -> None:
        if not self.steps:
            self._timer.stop()
            QThreadPool.globalInstance().start(_Encode(self.frames, self.path, self.signals))
            return
        self.lab.show_frame(self.steps.pop(0))
        widget = self.lab.stack.currentWidget()
        if widget is not None:
            self.frames.append(grab(widget))
