"""A plot's legend in rows under its axis, in the plot's own layout: never over the curves."""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGraphicsLayoutItem

LEGEND_ROW = 4  # PlotItem's layout: title 0, top axis 1, view 2, bottom axis 3
PREFERRED = Qt.SizeHint.PreferredSize


def _wanted(item: QGraphicsLayoutItem) -> float:
    """An entry's own width (its cell may have stretched it to a wider neighbour's)."""
    return float(item.effectiveSizeHint(PREFERRED).width())


class LegendRow(pg.LegendItem):  # type: ignore[misc]
    """pyqtgraph's legend (themed by plot_style as any other), placed by the plot's layout
    under the x axis instead of anchored over the view, where a small plot (a 1280×720
    projector, the projector's 14 pt type) had it hide the curves. Its entries stand side by
    side, as many to a row as the plot's width holds."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(frame=False, **kwargs)
        self.layout.setContentsMargins(2, 4, 2, 4)  # clear of the axis above, the edge below

    def updateSize(self) -> None:
        """Refit the entries to the width the plot gives (their size changes with the theme's
        type), then ask its layout for the room they take (pyqtgraph's own legend resizes
        itself in place instead)."""
        width = self.geometry().width()
        if width > 0 and self.items:
            columns = self.columns_fitting(width)
            if columns != self.columnCount:
                self.setColumnCount(columns)  # (which calls updateSize again)
                return
        wanted = self.layout.effectiveSizeHint(PREFERRED)
        self.setMinimumSize(0, wanted.height())
        self.setPreferredSize(wanted)
        self.setMaximumHeight(wanted.height())
        self.updateGeometry()

    def setGeometry(self, *args: Any) -> None:
        old = self.geometry().width()
        super().setGeometry(*args)
        if self.geometry().width() != old:
            self.updateSize()

    def columns_fitting(self, width: float) -> int:
        """The most entries to a row (filled row by row, each column as wide as its widest
        entry) that fit in `width`."""
        spacing = self.layout.horizontalSpacing()
        left, _, right, _ = self.layout.getContentsMargins()
        samples = [_wanted(sample) for sample, _ in self.items]
        labels = [_wanted(label) for _, label in self.items]
        for columns in range(len(self.items), 1, -1):
            cells = [max(samples[c::columns]) + max(labels[c::columns]) for c in range(columns)]
            if sum(cells) + (2 * columns - 1) * spacing + left + right <= width:
                return columns
        return 1


def legend_below(plot: pg.PlotWidget) -> LegendRow:
    """Give `plot` a legend under its x axis (curves added with a name join it)."""
    item = plot.getPlotItem()
    legend = LegendRow(colCount=1)
    columns = max(item.layout.columnCount(), 3)  # under the axes and a colour bar too: room
    item.layout.addItem(legend, LEGEND_ROW, 0, 1, columns)
    item.legend = legend
    return legend
