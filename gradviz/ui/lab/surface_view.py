"""The 2D surface view: heatmap and contours (log colour where values span decades), minima,
the start, and every optimizer's path with its current point and gradient arrow."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal, SignalInstance
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QGraphicsItem, QWidget

from gradviz.optim.contours import Contour, contour_lines
from gradviz.ui.lab.contours import ContourLines, ContourPaths
from gradviz.ui.lab.palette import MARKERS
from gradviz.ui.lab.trail import kept_indices, shown_points
from gradviz.ui.legend_row import legend_below
from gradviz.ui.plot_style import follow_appearance

SURFACE_COLOURS = "CET-L2"  # perceptually linear grey, 28 → 240


@dataclass
class GridImage:
    """A surface grid ready to draw: colour values (rows are y) over a window."""

    values: np.ndarray
    window: tuple[float, float, float, float]
    log_scale: bool
    seconds: float
    device: str
    contours: list[Contour] | None = None  # made with the grid in its worker; else when shown
    contour_paths: ContourPaths | None = None  # those lines as paths, made there too
    blank: float = 0.0  # the share of the grid where f is inf or NaN (drawn blank)


@dataclass
class Path:
    """One racer's trajectory: points (steps+1 × 2), losses, gradients at each point."""

    label: str
    colour: str
    points: np.ndarray
    losses: np.ndarray
    gradients: np.ndarray
    diverged_at: int | None
    marker: str = "o"
    undefined_at: int | None = None  # the first point where f is NaN (Run.undefined_at)

    def legend_text(self) -> str:
        """Its label, and what became of it: diverged, or on into points where f is undefined."""
        if self.diverged_at is not None:
            return f"{self.label}  ✗ diverged"
        if self.undefined_at is not None:
            return f"{self.label}  ✗ f undefined from step {self.undefined_at}"
        return self.label


def _pixel_rect(window: tuple[float, float, float, float], shape: tuple[int, ...]) -> QRectF:
    """Where an image of samples taken at linspace(x0, x1, columns) × linspace(y0, y1, rows)
    goes: each pixel centred on its sample, so the edge pixels reach half a step beyond."""
    x0, x1, y0, y1 = window
    rows, columns = shape[0], shape[1]
    dx = (x1 - x0) / max(columns - 1, 1)
    dy = (y1 - y0) / max(rows - 1, 1)
    return QRectF(x0 - dx / 2, y0 - dy / 2, x1 - x0 + dx, y1 - y0 + dy)


# An arrow shows the way downhill, direction only; where the gradient has fallen below this
# fraction of its largest along the path, the racer sits at a minimum and the direction of
# what is left (rounding) would only mislead, so none is drawn.
FLAT = 1e-4


def _steepest(gradients: np.ndarray) -> float:
    """The largest finite gradient norm along a path (0 for none)."""
    norms = np.linalg.norm(gradients, axis=1) if len(gradients) else np.zeros(0)
    finite = norms[np.isfinite(norms)]
    return float(finite.max()) if finite.size else 0.0


def _blank_note(share: float) -> str | None:
    """What the title says of the grid's blank part (None: no title)."""
    if share <= 0:
        return None
    if share >= 1:
        return "f is inf or NaN everywhere here: nothing to draw"
    amount = "under 1 %" if share < 0.01 else f"{share:.0%}"
    return f"blank where f is inf or NaN ({amount} of the view)"


class SurfaceView(pg.PlotWidget):  # type: ignore[misc]
    """`start_chosen(x, y)` on click or after a drag of the start (`start_moved` during it);
    `window_changed(x0, x1, y0, y1)` after pan or zoom."""

    start_chosen = Signal(float, float)  # a click, or the end of a drag of the start marker
    start_moved = Signal(float, float)  # while the start marker is dragged
    window_changed = Signal(float, float, float, float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, enableMenu=False)  # no pyqtgraph menu: see log_axis.log_plot
        self.setAccessibleName("Loss surface")
        self.setAspectLocked(False)
        self.showGrid(x=False, y=False)
        self.setLabel("bottom", "x")
        self.setLabel("left", "y")
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setZValue(-10)
        # The surface does not change while paths animate: keep it as a cached pixmap.
        self.image.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.addItem(self.image)
        # A grey surface (dark = low) lets the optimizers' colours stand out everywhere.
        self.colour_map = pg.colormap.get(SURFACE_COLOURS)
        self.image.setColorMap(self.colour_map)
        self.bar = pg.ColorBarItem(colorMap=self.colour_map, interactive=False, width=14)
        self.bar.setImageItem(self.image, insert_in=self.getPlotItem())
        self.bar.axis.setWidth(None)  # as wide as its tick labels (pyqtgraph fixes 45 px: the
        # projector's "−0.5" at 14 pt ran into the axis title)
        # plain numbers: an axis of log₁₀ losses or of steps along a direction read
        # "(x0.001)" with pyqtgraph's SI prefixes
        for axis in (self.getAxis("bottom"), self.getAxis("left"), self.bar.axis):
            axis.enableAutoSIPrefix(False)
        # faint blue contour lines: visible on dark and light grey; placed as the image is
        self.contours = ContourLines(pg.mkPen(20, 60, 140, 110, width=1))
        self.contours.setParentItem(self.image)
        self.minima = pg.ScatterPlotItem(
            symbol="star", size=18, brush="#ffffff", pen=pg.mkPen("#000000", width=1.5)
        )
        self.minima.setZValue(20)
        self.addItem(self.minima)
        self.start_halo = pg.ScatterPlotItem(symbol="+", size=26, pen=pg.mkPen("#ffffff", width=6))
        # the start: click anywhere to put it there, or drag it (the race follows as it moves)
        self.start_marker = pg.TargetItem(
            pos=(0, 0), size=22, symbol="+", pen=pg.mkPen("#000000", width=3),
            hoverPen=pg.mkPen("#d55e00", width=4), brush=None, movable=True,
        )  # fmt: skip
        self.start_marker.setToolTip("Start: drag it, or click anywhere on the surface")
        self.start_marker.sigPositionChanged.connect(lambda _: self._start_signal(self.start_moved))
        self.start_marker.sigPositionChangeFinished.connect(
            lambda _: self._start_signal(self.start_chosen)
        )
        self.start_halo.setZValue(20.5)
        self.start_marker.setZValue(21)
        self.addItem(self.start_halo)
        self.addItem(self.start_marker)
        self.legend = legend_below(self)  # over the surface it hid the start and the paths
        follow_appearance(self)
        self.paths: list[Path] = []
        self._kept: list[np.ndarray] = []  # per path: the points a line at this zoom needs
        self._step = 0
        self._steepest: list[float] = []  # per path: its largest gradient norm
        self._lines: list[pg.PlotCurveItem] = []
        self._arrows: list[pg.PlotCurveItem] = []
        self.heads = pg.ScatterPlotItem(size=13, pen=pg.mkPen("#000000", width=1.2))
        self.heads.setZValue(20.2)  # over the minima's stars: a racer that reached one stays seen
        self.addItem(self.heads)
        self._head_style: tuple[list[str], list[object]] = ([], [])
        self._racers: list[tuple[str, str, str]] | None = None  # whose items are drawn
        self._legend_samples: list[pg.PlotDataItem] = []
        self.overlay = pg.ImageItem(axisOrder="row-major")
        self.overlay.setZValue(-5)
        self.overlay.setOpacity(0.75)
        self.addItem(self.overlay)
        self.window: tuple[float, float, float, float] | None = None
        self._quiet = False
        self._range_timer = QTimer(self, singleShot=True, interval=200)
        self._range_timer.timeout.connect(self._emit_window)
        self.getViewBox().sigRangeChangedManually.connect(lambda *_: self._range_timer.start())
        self.getViewBox().sigRangeChanged.connect(lambda *_: self._view_moved())
        self.scene().sigMouseClicked.connect(self._clicked)

    # -- the surface -----------------------------------------------------------------------------
    def set_grid(
        self, grid: GridImage, minima: list[tuple[float, float]], reset_view: bool
    ) -> None:
        x0, x1, y0, y1 = grid.window
        values = np.where(np.isfinite(grid.values), grid.values, np.nan)
        finite = values[np.isfinite(values)]
        low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        high = high if high > low else low + 1e-9
        self.image.setImage(values, levels=(low, high), autoLevels=False)
        self.image.setRect(_pixel_rect(grid.window, values.shape))
        self.bar.setLevels((low, high))
        self.bar.axis.setLabel("log₁₀(f − min)" if grid.log_scale else "f")
        if grid.contour_paths is not None:
            self.contours.set_paths(grid.contour_paths)
        else:
            self.contours.set_data(
                grid.contours if grid.contours is not None else contour_lines(values)
            )
        self.minima.setData([p[0] for p in minima], [p[1] for p in minima])
        self.setTitle(_blank_note(grid.blank))
        if reset_view:
            self._quiet = True
            self.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)
            self._quiet = False
        self.window = grid.window

    def visible_window(self) -> tuple[float, float, float, float]:
        (x0, x1), (y0, y1) = self.getViewBox().viewRange()
        return float(x0), float(x1), float(y0), float(y1)

    def _emit_window(self) -> None:
        if not self._quiet:
            self.window_changed.emit(*self.visible_window())

    def set_start(self, x: float, y: float) -> None:
        self.start_halo.setData([x], [y])
        point = self.start_marker.pos()
        dragging = getattr(self.start_marker, "moving", False)  # the hand that holds it wins
        if not dragging and (float(point.x()), float(point.y())) != (x, y):
            self.start_marker.blockSignals(True)
            self.start_marker.setPos(x, y)
            self.start_marker.blockSignals(False)

    def _start_signal(self, signal: SignalInstance) -> None:
        point = self.start_marker.pos()
        signal.emit(float(point.x()), float(point.y()))

    # -- basin overlay ---------------------------------------------------------------------------
    def set_basins(
        self, rgba: np.ndarray | None, window: tuple[float, float, float, float]
    ) -> None:
        if rgba is None:
            self.overlay.clear()
            return
        self.overlay.setImage(rgba, autoLevels=False)
        self.overlay.setRect(_pixel_rect(window, rgba.shape[:2]))

    # -- the race --------------------------------------------------------------------------------
    def set_paths(self, paths: list[Path]) -> None:
        self.paths = paths
        self._kept = []
        self._steepest = [_steepest(path.gradients) for path in paths]
        racers = [(p.legend_text(), p.colour, p.marker) for p in paths]
        if racers != self._racers:  # the same racers again (another surface, start): kept
            self._racers = racers
            self._new_racers(paths)
        self.heads.setData([], [])

    def _new_racers(self, paths: list[Path]) -> None:
        """Each racer's line, arrow and legend entry (making them is most of the time a new
        race takes to show: 21 ms for eight)."""
        for item in (*self._lines, *self._arrows):
            self.removeItem(item)
        self.legend.clear()
        self._lines, self._arrows, self._legend_samples = [], [], []
        symbols, brushes = [], []
        for i, path in enumerate(paths):
            colour = QColor(path.colour)
            # PlotCurveItems, not PlotDataItems: a frame sets 16 of them, and the lighter item
            # keeps a frame of 8 racers inside 60 fps
            line = pg.PlotCurveItem(pen=pg.mkPen(colour, width=3), skipFiniteCheck=True)
            arrow = pg.PlotCurveItem(pen=pg.mkPen(colour, width=2, style=Qt.PenStyle.DashLine))
            for item, z in ((line, 10), (arrow, 11)):
                item.setZValue(z)
                self.addItem(item)
            symbol = path.marker or MARKERS[i % len(MARKERS)]
            sample = pg.PlotDataItem(  # never shown itself: the legend draws its line and marker
                pen=line.opts["pen"], symbol=symbol, symbolSize=11, symbolBrush=pg.mkBrush(colour),
                symbolPen=pg.mkPen("#000000", width=1.2),
            )  # fmt: skip
            # the legend draws the marker from the item's scatter, which takes these options
            # only with data: without, every marker was pyqtgraph's default slate blue
            sample.scatter.setSymbol(symbol)
            sample.scatter.setSize(11)
            sample.scatter.setBrush(pg.mkBrush(colour))
            sample.scatter.setPen(pg.mkPen("#000000", width=1.2))
            self._legend_samples.append(sample)
            self.legend.addItem(sample, path.legend_text())
            symbols.append(symbol)
            brushes.append(pg.mkBrush(colour))
            self._lines.append(line)
            self._arrows.append(arrow)
        self._head_style = (symbols, brushes)

    def show_step(self, step: int) -> None:
        """Draw every path up to `step` (each stops at its last point)."""
        self._step = step
        span = self._span()
        if len(self._kept) != len(self.paths):
            self._thin_paths()
        heads = np.zeros((len(self.paths), 2))
        parts = zip(self.paths, self._kept, self._lines, self._arrows, strict=True)
        for i, (path, kept, line, arrow) in enumerate(parts):
            k = min(step, len(path.points) - 1)
            shown = shown_points(path.points, kept, k)
            line.setData(shown[:, 0], shown[:, 1])
            heads[i] = shown[-1]
            gradient = path.gradients[k] if k < len(path.gradients) else np.zeros(2)
            norm = float(np.linalg.norm(gradient))
            if np.isfinite(norm) and norm > FLAT * self._steepest[i]:
                tip = shown[-1] - gradient / norm * 0.08 * span  # −∇f: the way downhill
                arrow.setData([shown[-1, 0], tip[0]], [shown[-1, 1], tip[1]])
            else:
                arrow.setData([], [])
        symbols, brushes = self._head_style
        self.heads.setData(pos=heads, symbol=symbols, brush=brushes)  # one item for every racer

    def _thin_paths(self) -> None:
        """Which points of each path a line at this zoom needs (again after each zoom)."""
        width, height = self.getViewBox().viewPixelSize()
        self._kept = [kept_indices(p.points, (width, height)) for p in self.paths]

    def _view_moved(self) -> None:
        if self.paths:
            self._thin_paths()
            self.show_step(self._step)

    def _span(self) -> float:
        x0, x1, y0, y1 = self.visible_window()
        return max(x1 - x0, y1 - y0)

    # -- input -----------------------------------------------------------------------------------
    def _clicked(self, event: object) -> None:
        button = getattr(event, "button", lambda: None)()
        if button != Qt.MouseButton.LeftButton or getattr(event, "double", lambda: False)():
            return
        position = event.scenePos()  # type: ignore[attr-defined]
        if not self.getViewBox().sceneBoundingRect().contains(position):
            return
        point: QPointF = self.getViewBox().mapSceneToView(position)
        self.start_chosen.emit(float(point.x()), float(point.y()))
