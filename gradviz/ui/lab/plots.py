"""Beside the surface: loss against step (log scale) and distance to the nearest minimum
(or, with none known, from the start)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QVBoxLayout, QWidget

from gradviz.ui.lab.surface_view import Path
from gradviz.ui.log_axis import log_plot
from gradviz.ui.plot_style import follow_appearance, restyle

# short: the column beside the surface may be narrow (a 1280 px projector), and pyqtgraph cuts
# a title wider than its plot off at the edge ("the nearest" minimum, of several where a surface
# has several, as Himmelblau's four)
TO_MINIMUM = "distance to minimum"
FROM_START = "distance from start"


class RacePlots(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.loss = log_plot(title="loss")
        self.loss.setLabel("bottom", "step")
        self.distance = log_plot(title=TO_MINIMUM)
        self.distance.setLabel("bottom", "step")
        for plot in (self.loss, self.distance):
            plot.setMouseEnabled(x=False, y=False)
            follow_appearance(plot)
            layout.addWidget(plot)
        self._loss_curves: list[pg.PlotDataItem] = []
        self._distance_curves: list[pg.PlotDataItem] = []
        self._distances: list[np.ndarray] = []
        self._losses: list[np.ndarray] = []
        self._colours: list[str] | None = None  # the racers' colours the curves were made in

    def set_paths(self, paths: list[Path], minima: list[tuple[float, float]]) -> None:
        colours = [path.colour for path in paths]
        if colours != self._colours:  # the same racers again (another surface, start): kept
            self._new_curves(colours)
        self._losses, self._distances = [], []
        floor = 1e-12
        self.distance.setTitle(TO_MINIMUM if minima else FROM_START)
        self.distance.setLogMode(y=bool(minima))
        for path in paths:
            losses = np.asarray(path.losses, dtype=np.float64)
            low = float(np.nanmin(losses)) if losses.size else 0.0
            shift = -low + floor if low <= 0 else 0.0  # log scale needs positive values
            self._losses.append(np.clip(losses + shift, floor, None))
            if minima:
                targets = np.asarray(minima, dtype=np.float64)
                gaps = np.linalg.norm(path.points[:, None, :] - targets[None, :, :], axis=2).min(
                    axis=1
                )
            else:  # no known minimum (a network's landscape): how far each has travelled
                gaps = np.linalg.norm(path.points - path.points[:1], axis=1)
            self._distances.append(np.clip(gaps, floor, None) if minima else gaps)
        # Fixed ranges: axes that re-scale on every frame would cost more than the curves.
        steps = max((len(p.points) for p in paths), default=2) - 1
        for plot, series in ((self.loss, self._losses), (self.distance, self._distances)):
            values = np.concatenate([s[np.isfinite(s)] for s in series]) if series else np.array([])
            plot.enableAutoRange(False)
            plot.setXRange(0, max(steps, 1), padding=0.02)
            if values.size and (plot is self.loss or minima):
                low, high = np.log10(values.min()), np.log10(values.max())
                plot.setYRange(low, high if high > low else low + 1, padding=0.05)
            elif values.size:
                plot.setYRange(0, max(float(values.max()), 1e-9), padding=0.05)

    def _new_curves(self, colours: list[str]) -> None:
        """One loss and one distance curve per racer, in its colour (making them is most of
        the time a new race takes to show: 28 ms for eight)."""
        self._colours = colours
        self.loss.clear()
        self.distance.clear()
        self._loss_curves, self._distance_curves = [], []
        for colour in colours:
            pen = pg.mkPen(QColor(colour), width=2)
            self._loss_curves.append(self.loss.plot(pen=pen, skipFiniteCheck=True))
            self._distance_curves.append(self.distance.plot(pen=pen, skipFiniteCheck=True))
        for plot in (self.loss, self.distance):
            restyle(plot)  # the new curves as wide as the theme draws lines

    def show_step(self, step: int) -> None:
        for curve, values in zip(self._loss_curves, self._losses, strict=True):
            shown = values[: step + 1]
            curve.setData(np.arange(len(shown)), shown)
        for curve, values in zip(self._distance_curves, self._distances, strict=True):
            shown = values[: step + 1]
            curve.setData(np.arange(len(shown)), shown)
