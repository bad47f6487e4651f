"""What training looks like: the decision boundary (or regression surface) under the data, the
train/test loss curves, and each layer's gradient norm over time."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Signal
from PySide6.QtGui import QBrush, QColor, QResizeEvent
from PySide6.QtWidgets import QVBoxLayout, QWidget

from gradviz.ui.lab.palette import RACER_COLOURS
from gradviz.ui.legend_row import legend_below
from gradviz.ui.log_axis import log_plot
from gradviz.ui.nets.tasks import Snapshot
from gradviz.ui.plot_style import follow_appearance, restyle
from gradviz.ui.type_size import on_font_change

MAX_POINTS = 1500  # per curve drawn at most: about two per pixel column of a wide plot
PLOT_MIN_EMS = 13  # the plots' narrowest, in lines of the type: axis, ticks and curves readable
CLASS_COLOURS = ("#E69F00", "#0072B2")  # Okabe–Ito orange (class 0) and blue (class 1)
RINGS = "ringed white: training points, black: test points"  # as Playground rings them
CLASSIFICATION_BAR = f"the network's P(class 1) · points: blue class 1, orange class 0<br>{RINGS}"
REGRESSION_BAR = f"the network's output · points: their targets, in the same colours<br>{RINGS}"
REGRESSION_MAP = pg.colormap.get("CET-D1")
SHADES = 64  # of REGRESSION_MAP for the points: more than the eye tells apart on a dot


def _diverging_map() -> pg.ColorMap:
    """Pale orange (class 0) → white (undecided) → pale blue (class 1): the regions stay
    lighter than the points, so every point shows on either side of the boundary."""
    return pg.ColorMap([0.0, 0.5, 1.0], [QColor("#f3c77a"), QColor("#f7f7f7"), QColor("#7fb2dd")])


class DecisionView(pg.PlotWidget):  # type: ignore[misc]
    """The network's output over the plane, with the training (filled) and test (ringed) points."""

    reshaped = Signal()  # the view changed size: a picture of another shape would fill it

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, enableMenu=False)  # no pyqtgraph menu: see log_axis.log_plot
        self.setAspectLocked(True)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.addItem(self.image)
        # as Playground draws them: training points ringed in white, test points in black
        self.train_points = pg.ScatterPlotItem(size=10, pen=pg.mkPen("#ffffff", width=1.5))
        self.test_points = pg.ScatterPlotItem(size=11, pen=pg.mkPen("#000000", width=2))
        self.addItem(self.train_points)
        self.addItem(self.test_points)
        self.setLabel("bottom", "x")
        self.setLabel("left", "y")
        self.showGrid(x=False, y=False)
        # what the background's colours mean, beside it (it drives the image's levels and map)
        self.bar = pg.ColorBarItem(
            values=(0.0, 1.0), colorMap=_diverging_map(), interactive=False, colorMapMenu=False
        )
        self.bar.setImageItem(self.image, insert_in=self.getPlotItem())
        self.bar.getAxis("right").setWidth(None)  # as wide as its tick labels (45 px cut them)
        follow_appearance(self)
        self._shape: tuple[float, ...] | None = None
        self._data: tuple[np.ndarray, ...] | None = None  # the points drawn, their targets, split

    def aspect(self) -> float:
        """The plot area's width over its height (1 before it has a size)."""
        area = self.getViewBox().sceneBoundingRect()
        return area.width() / area.height() if area.width() > 0 and area.height() > 0 else 1.0

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.reshaped.emit()

    def show_snapshot(self, shot: Snapshot) -> None:
        x0, x1, y0, y1 = shot.extent
        if shot.classification:
            levels, title = (0.0, 1.0), CLASSIFICATION_BAR
        else:  # the targets' range: the points' colours, and a scale that stays put
            levels, title = _target_range(shot), REGRESSION_BAR
        self.image.setImage(shot.grid, autoLevels=False)
        axis = self.bar.getAxis("right")  # the bar's values, and what they are beside them
        if axis.labelText != title:
            self.bar.setColorMap(_diverging_map() if shot.classification else REGRESSION_MAP)
            axis.setLabel(title)
        if tuple(self.bar.levels()) != tuple(levels):  # (set again, the bar's axis and its
            self.bar.setLevels(levels)  # two-line caption were laid out at every picture)
        rows, columns = shot.grid.shape
        dx, dy = (x1 - x0) / max(columns - 1, 1), (y1 - y0) / max(rows - 1, 1)
        self.image.setRect(QRectF(x0 - dx / 2, y0 - dy / 2, x1 - x0 + dx, y1 - y0 + dy))
        if self._data is None or not all(
            np.array_equal(a, b)
            for a, b in zip(self._data, (shot.points, shot.targets, shot.is_test), strict=True)
        ):  # the same points in every picture of a run: drawn again, they took 38 ms a picture
            self._data = (shot.points, shot.targets, shot.is_test)
            self._show_points(shot)
        if self._shape != (x0, x1, y0, y1):
            self._shape = (x0, x1, y0, y1)
            self.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)

    def _show_points(self, shot: Snapshot) -> None:
        brushes = self._brushes(shot)
        train, test = ~shot.is_test, shot.is_test
        self.train_points.setData(
            pos=shot.points[train], brush=[b for b, t in zip(brushes, train, strict=True) if t]
        )
        self.test_points.setData(
            pos=shot.points[test], brush=[b for b, t in zip(brushes, test, strict=True) if t]
        )

    @staticmethod
    def _brushes(shot: Snapshot) -> list[QBrush]:
        """One brush object per colour: pyqtgraph renders a symbol for each brush object it
        is given (200 points, 200 brushes of two colours: 40 ms at the tab's first opening)."""
        if shot.classification:
            names = [CLASS_COLOURS[int(t > 0.5)] for t in shot.targets]
        else:  # in 64 shades (each new one a symbol drawn: 2,000 points took 0.1 s more)
            low, high = _target_range(shot)
            steps = np.round((shot.targets - low) / (high - low) * (SHADES - 1)) / (SHADES - 1)
            shades = {v: REGRESSION_MAP.map(float(v), mode="qcolor").name() for v in set(steps)}
            names = [shades[v] for v in steps]
        shared = {name: QBrush(QColor(name)) for name in set(names)}
        return [shared[name] for name in names]


def layer_titles(paths: list[str]) -> dict[str, str]:
    """Each Linear's module path with the builder's name for it: `model.0 · layer 1`, …, the
    last `model.6 · output` (the paths alone do not say which layer is first or last)."""
    last = len(paths) - 1
    return {
        path: f"{path} · output" if i == last else f"{path} · layer {i + 1}"
        for i, path in enumerate(paths)
    }


def _target_range(shot: Snapshot) -> tuple[float, float]:
    """The regression targets' lowest and highest value (one apart where they are all one)."""
    low, high = float(shot.targets.min()), float(shot.targets.max())
    return low, high if high > low else low + 1.0


class TrainingPlots(QWidget):
    """Loss (batch, whole training set, test set) and per-layer gradient norms, by step."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.loss = log_plot(title="loss")
        self.loss.setLabel("bottom", "step")
        legend_below(self.loss)
        self.batch = self.loss.plot(pen=pg.mkPen("#bbbbbb", width=1), name="batch")
        self.train = self.loss.plot(pen=pg.mkPen("#0072B2", width=3), name="training set")
        self.test = self.loss.plot(pen=pg.mkPen("#D55E00", width=3), name="test set")
        self.grads = log_plot(title="‖∂L/∂W‖ per layer, smoothed")  # short: 14 pt must fit
        self.grads.setLabel("bottom", "step")
        legend_below(self.grads)
        self._grad_curves: dict[str, pg.PlotDataItem] = {}
        for plot in (self.loss, self.grads):
            plot.setMouseEnabled(x=False, y=False)
            # ranges set once a picture (_fit), and thinning that does not follow the view:
            # auto-ranging, clipping to the view and automatic thinning each changed the
            # curves once the view moved during a paint, drawing every plot twice
            plot.enableAutoRange(False)
            follow_appearance(plot)
            layout.addWidget(plot)
        # never squeezed to a sliver beside a wide view (a plot's own minimum is 68 px)
        self._keep_readable()
        on_font_change(self, self._keep_readable)

    def _keep_readable(self) -> None:
        self.setMinimumWidth(PLOT_MIN_EMS * self.fontMetrics().height())

    def show_snapshot(self, shot: Snapshot) -> None:
        m = shot.metrics
        positive = 1e-12
        self.batch.setData(m.steps, np.maximum(m.batch_loss, positive))
        self.train.setData(m.eval_steps, np.maximum(m.train_loss, positive))
        tested = ~np.isnan(m.test_loss)  # NaN: no test set
        self.test.setData(m.eval_steps[tested], np.maximum(m.test_loss[tested], positive))
        if set(self._grad_curves) != set(m.grad_norms):
            self.grads.clear()
            self._grad_curves = {}
            titles = layer_titles(list(m.grad_norms))
            for index, name in enumerate(m.grad_norms):
                pen = pg.mkPen(RACER_COLOURS[index % len(RACER_COLOURS)], width=2.5)
                self._grad_curves[name] = self.grads.plot(pen=pen, name=titles[name])
            restyle(self.grads)  # the new curves as wide as the theme draws lines
        for name, curve in self._grad_curves.items():
            curve.setData(m.steps, np.maximum(m.smoothed_grad_norms[name], positive))
        # a long run's curves thinned to a stretch per pixel column (at most MAX_POINTS / 2),
        # each stretch's lowest and highest kept (50,000 steps drawn whole took 240 ms a
        # picture; 1,500 points a curve in a 400-pixel plot, 12 ms a paint of both plots)
        for plot, curves in ((self.loss, (self.batch, self.train, self.test)),
                             (self.grads, self._grad_curves.values())):  # fmt: skip
            width = int(plot.getViewBox().width())  # (not laid out yet while hidden)
            columns = min(MAX_POINTS // 2, width) if width >= 100 else MAX_POINTS // 2
            for curve in curves:
                count = len(curve.xData) if curve.xData is not None else 0
                curve.setDownsampling(ds=max(1, -(-count // columns)), auto=False, method="peak")
        last = float(m.steps[-1]) if len(m.steps) else 1.0
        losses = [m.batch_loss, m.train_loss, m.test_loss[tested]]
        _fit(self.loss, last, losses)
        _fit(self.grads, last, list(m.smoothed_grad_norms.values()))
        for plot in (self.loss, self.grads):
            # the new ranges applied now, not at the paint (pyqtgraph defers them to its first
            # paint, whose changes then asked for a second paint of every plot each picture)
            plot.getViewBox().prepareForPaint()

    def clear(self) -> None:
        for curve in (self.batch, self.train, self.test, *self._grad_curves.values()):
            curve.setData([], [])


def _fit(plot: pg.PlotWidget, last_step: float, series: list[np.ndarray]) -> None:
    """The plot's range: steps 0 to a round number past the last, log₁₀ of the curves'
    positive values out to the next quarter decade. Rounded, the ranges (and the axes, whose
    labels pyqtgraph lays out again whenever its range moves) change a few times a run,
    not at every picture: the labels hold still to be read while training plays."""
    plot.setXRange(0, round_up(max(last_step, 1.0)), padding=0.02)
    values = [v[np.isfinite(v) & (v > 0)] for v in series]
    values = [v for v in values if v.size]
    if values:
        low = math.log10(min(float(v.min()) for v in values))
        high = math.log10(max(float(v.max()) for v in values))
        low, high = math.floor(low * 4) / 4, math.ceil(high * 4) / 4
        plot.setYRange(low, high if high > low else low + 0.25, padding=0.02)


_ROUND = (1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)


def round_up(value: float) -> float:
    """The least of 1, 1.25, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a power of ten that is at
    least `value` (positive): at most 25 % beyond it."""
    power = 10.0 ** math.floor(math.log10(value))
    return next(n * power for n in _ROUND if n * power >= value * (1 - 1e-12))
