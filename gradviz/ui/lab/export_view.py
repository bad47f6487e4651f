"""Saving the lab: the view as PNG or SVG, the race as an animated GIF or MP4."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import (
    QObject,
    QPoint,
    QRect,
    QRunnable,
    QSize,
    QThreadPool,
    QTimer,
    Signal,
)
from PySide6.QtGui import QPainter, QPixmap
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QFileDialog, QGraphicsView, QWidget

from gradviz.ui.lab.animation import frame_steps, grab, write_frames

if TYPE_CHECKING:
    from gradviz.ui.lab.lab_widget import LabWidget


SAVE_DIALOGS = {  # what: (title, suggested file, filters)
    "view": ("Save view", "surface.png", "PNG (*.png);;SVG (*.svg)"),
    "race": ("Save race", "race.gif", "GIF (*.gif);;MP4 (*.mp4)"),
    "training": ("Save picture", "training.png", "PNG (*.png);;SVG (*.svg)"),
}


def ask_and_save(parent: QWidget, what: str, save: Callable[[str], None]) -> None:
    """Ask where to save the lab's view or race (or the Network tab's picture), then save it
    there."""
    title, suggested, filters = SAVE_DIALOGS[what]
    path, _ = QFileDialog.getSaveFileName(parent, title, suggested, filters)
    if path:
        save(path)


def save_widget(
    widget: QWidget | Sequence[QWidget], path: str, title: str = "gradviz optimizer lab"
) -> None:
    """PNG (pixels, as on screen) or SVG (vectors, rendered through QSvgGenerator) of `widget`,
    or of several widgets side by side."""
    widgets = [widget] if isinstance(widget, QWidget) else list(widget)
    width = sum(w.width() for w in widgets)
    height = max((w.height() for w in widgets), default=0)
    if path.lower().endswith(".svg"):
        generator = QSvgGenerator()
        generator.setFileName(path)
        generator.setSize(QSize(width, height))
        generator.setViewBox(QRect(0, 0, width, height))
        generator.setTitle(title)
        painter = QPainter(generator)
        try:
            with _export_mode(widgets):
                x = 0
                for w in widgets:  # (pyqtgraph's views paint their scenes as vectors)
                    QWidget.render(w, painter, QPoint(x, 0))
                    x += w.width()
        finally:
            painter.end()
    elif len(widgets) == 1:
        widgets[0].grab().save(path, "PNG")
    else:
        ratio = widgets[0].devicePixelRatioF()
        picture = QPixmap(round(width * ratio), round(height * ratio))
        picture.setDevicePixelRatio(ratio)
        picture.fill(widgets[0].palette().window().color())
        painter = QPainter(picture)
        x = 0
        for w in widgets:
            painter.drawPixmap(x, 0, w.grab())
            x += w.width()
        painter.end()
        picture.save(path, "PNG")


@contextlib.contextmanager
def _export_mode(widgets: list[QWidget]) -> Iterator[None]:
    """pyqtgraph's scatter plots in export mode: each point drawn as a vector symbol, not as a
    fragment of a cached pixmap (which an SVG receives as a broken image). Only those: other
    items in export mode lose their place in the view (an image filled the whole plot)."""
    import pyqtgraph as pg

    views = [v for w in widgets for v in (w, *w.findChildren(QGraphicsView))]
    items = [
        item
        for view in views
        if isinstance(view, QGraphicsView) and view.scene() is not None
        for item in view.scene().items()
        if isinstance(item, pg.ScatterPlotItem)
    ]
    for item in items:
        item.setExportMode(True, {"antialias": True})
    try:
        yield
    finally:
        for item in items:
            item.setExportMode(False)


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
