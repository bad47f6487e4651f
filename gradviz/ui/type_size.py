"""Plot titles, legends and side panels that follow the application's type size (the projector
theme's 14 pt): pyqtgraph draws its own 9 pt text, and a panel sized in pixels clips bigger type."""

from __future__ import annotations

from collections.abc import Callable

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication, QScrollArea, QWidget

FONT_EVENTS = (QEvent.Type.FontChange, QEvent.Type.ApplicationFontChange)


def text_size() -> str:
    """The application's type size as pyqtgraph's CSS size ("14pt")."""
    app = QApplication.instance()
    size = app.font().pointSizeF() if isinstance(app, QApplication) else 10.0
    return f"{size if size > 0 else 10.0:g}pt"


class _OnFontChange(QObject):
    """Calls `react` whenever the watched widget's font changes (a theme switch)."""

    def __init__(self, watched: QWidget, react: Callable[[], None]) -> None:
        super().__init__(watched)
        self.react = react
        watched.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in FONT_EVENTS:
            self.react()
        return False


def on_font_change(widget: QWidget, react: Callable[[], None]) -> None:
    """Call `react` after every change of `widget`'s type size (a theme switch)."""
    _OnFontChange(widget, react)


def _restyle(plot: pg.PlotWidget) -> None:
    size = text_size()
    item = plot.getPlotItem()
    if item is None:  # a closed plot (pyqtgraph drops its item on close), not yet deleted
        return
    title = item.titleLabel
    if title.text:
        item.setTitle(title.text, size=size)
    else:
        title.opts["size"] = size  # for a title set later
    legend = item.legend
    if legend is not None:
        legend.opts["labelTextSize"] = size
        for _, label in legend.items:
            label.setText(label.text, size=size)
        legend.updateSize()


def follow_type_size(plot: pg.PlotWidget) -> pg.PlotWidget:
    """`plot`'s title and legend (including entries added later) in the application's type
    size, now and after every theme change."""
    _restyle(plot)
    on_font_change(plot, lambda: _restyle(plot))
    return plot


def fit_to_contents(panel: QScrollArea) -> QScrollArea:
    """A side panel at least as wide as its contents need (no clipped controls, no sideways
    scrolling), re-measured after every theme change."""

    def fit() -> None:
        content = panel.widget()
        if content is None:
            return
        scrollbar = panel.verticalScrollBar().sizeHint().width()
        panel.setMinimumWidth(
            content.minimumSizeHint().width() + scrollbar + 2 * panel.frameWidth()
        )

    fit()
    on_font_change(panel, fit)
    return panel
