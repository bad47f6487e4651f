"""The 3D view (pyqtgraph.opengl): the surface as a mesh with the paths drawn on it, orbitable.
A coarse wireframe shows its shape (the mesh is unlit), a pin marks the start or the weights.

Needs an OpenGL context (a real or Xvfb display); the lab creates it only when asked for.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pyqtgraph.opengl as gl
from PySide6.QtGui import QColor, QVector3D
from PySide6.QtWidgets import QLabel, QWidget

from gradviz.ui.lab.surface_view import SURFACE_COLOURS, GridImage, Path

MESH = 160  # mesh resolution (the 2D view keeps the full grid)
WIRES = 20  # wireframe lines each way
WIRE_COLOUR = (20 / 255, 60 / 255, 140 / 255, 0.45)  # the 2D view's contour blue
OFF = 25.0  # how far a path is drawn beyond the mesh (±1): past ten windows, where races stop
PIN_HEIGHT = 0.2  # in the mesh's units (it spans 2 × 2 × 0.8)
PIN_COLOUR = (213 / 255, 94 / 255, 0.0, 1.0)  # Okabe–Ito vermilion, as the trajectory
START_COLOUR = (0.1, 0.1, 0.1, 1.0)  # the lab's start, black as its 2D cross


class Surface3D(gl.GLViewWidget):  # type: ignore[misc]
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Loss surface in 3D")
        self.setBackgroundColor("#1e1f22")
        # the whole mesh in view, centred on half its height
        self.setCameraPosition(pos=QVector3D(0, 0, 0.3), distance=3.3, elevation=38, azimuth=-60)
        self.mesh: gl.GLSurfacePlotItem | None = None
        self.wires = gl.GLLinePlotItem(color=WIRE_COLOUR, width=1, antialias=True, mode="lines")
        self.wires.setGLOptions("translucent")
        self.addItem(self.wires)
        self.pin = gl.GLLinePlotItem(color=PIN_COLOUR, width=4, antialias=False)  # (wide)
        self.pin_head = _ball(PIN_COLOUR)
        for item in (self.pin, self.pin_head):
            self.addItem(item)
        # said where f is inf or NaN everywhere (the mesh, all at its top, would show a plane)
        self.nothing = QLabel("f is inf or NaN everywhere here: nothing to draw", self)
        self.nothing.setStyleSheet("color: #ebebeb; background: transparent;")
        self.nothing.move(16, 12)
        self.nothing.adjustSize()
        self.nothing.hide()
        self.marker: tuple[float, float] | None = None  # (x, y) the pin stands on
        self.grid: GridImage | None = None
        self._z: np.ndarray | None = None
        self._lines: list[gl.GLLinePlotItem] = []
        self._heads: list[gl.GLMeshItem] = []
        self.paths: list[Path] = []

    def _normalised(self, grid: GridImage) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        values = grid.values
        step_y = max(1, values.shape[0] // MESH)
        step_x = max(1, values.shape[1] // MESH)
        z = values[::step_y, ::step_x]
        finite = z[np.isfinite(z)]
        low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        # inf and NaN stand at the top (not cast to float32 as inf); halves keep the span of
        # values near ±1e308 finite
        z = np.where(np.isfinite(z), z, high) / 2
        span = high / 2 - low / 2
        z = (z - low / 2) / (span if span > 0 else 1.0) * 0.8
        xs = np.linspace(-1, 1, z.shape[1])
        ys = np.linspace(-1, 1, z.shape[0])
        return xs, ys, z

    def set_grid(self, grid: GridImage) -> None:
        self.grid = grid
        xs, ys, z = self._normalised(grid)
        self._z = z
        colours = pg.colormap.get(SURFACE_COLOURS).map(z / 0.8, mode="float")
        colours = colours.reshape(z.shape[0], z.shape[1], 4).transpose(1, 0, 2)
        if self.mesh is not None:
            self.removeItem(self.mesh)
        # unlit (no shader), so no normals: pyqtgraph works them out vertex by vertex in
        # Python, 0.5 s of a frozen window at each new surface for a light nothing uses
        self.mesh = gl.GLSurfacePlotItem(
            x=xs, y=ys, z=z.T, colors=colours.reshape(-1, 4), shader=None, smooth=True,
            computeNormals=False,
        )  # fmt: skip
        self.mesh.setGLOptions("opaque")
        self.addItem(self.mesh)
        self.wires.setData(pos=_wireframe(xs, ys, z))
        drawable = grid.blank < 1
        self.mesh.setVisible(drawable)
        self.wires.setVisible(drawable)
        self.nothing.setVisible(not drawable)
        self._place_pin()

    def set_marker(
        self, x: float, y: float, colour: tuple[float, float, float, float] = PIN_COLOUR
    ) -> None:
        """A pin standing on the surface at (x, y): the start, or the weights themselves."""
        self.marker = (x, y)
        if colour != self.pin.color:
            self.pin.setData(color=colour)
            self.pin_head.setColor(colour)
        self._place_pin()

    def _place_pin(self) -> None:
        if self.marker is None or self.grid is None or self._z is None:
            return
        foot = self._lift(np.array([self.marker], dtype=np.float64))[0]
        top = foot + np.array([0.0, 0.0, PIN_HEIGHT])
        self.pin.setData(pos=np.stack([foot, top]))
        _place(self.pin_head, top)

    def _lift(self, points: np.ndarray) -> np.ndarray:
        """Map (x, y) points onto the mesh: normalised x, y and the surface height there."""
        assert self.grid is not None and self._z is not None
        x0, x1, y0, y1 = self.grid.window
        # a path that ran off (up to ten windows away, or to inf) is drawn to the edge of a
        # box some windows wide: GL's float32 would overflow on it
        nx = np.clip(np.nan_to_num((points[:, 0] - x0) / (x1 - x0) * 2 - 1), -OFF, OFF)
        ny = np.clip(np.nan_to_num((points[:, 1] - y0) / (y1 - y0) * 2 - 1), -OFF, OFF)
        cols = np.clip(
            ((nx + 1) / 2 * (self._z.shape[1] - 1)).round().astype(int), 0, self._z.shape[1] - 1
        )
        rows = np.clip(
            ((ny + 1) / 2 * (self._z.shape[0] - 1)).round().astype(int), 0, self._z.shape[0] - 1
        )
        return np.stack([nx, ny, self._z[rows, cols] + 0.025], axis=1)

    def set_paths(self, paths: list[Path]) -> None:
        for item in (*self._lines, *self._heads):
            self.removeItem(item)
        self._lines, self._heads = [], []
        self.paths = paths
        for path in paths:
            rgb = QColor(path.colour)
            colour = (rgb.redF(), rgb.greenF(), rgb.blueF(), 1.0)
            line = gl.GLLinePlotItem(color=colour, width=4, antialias=True)
            head = _ball(colour)
            line.setGLOptions("translucent")
            self.addItem(line)
            self.addItem(head)
            self._lines.append(line)
            self._heads.append(head)

    def show_step(self, step: int) -> None:
        if self.grid is None:
            return
        for path, line, head in zip(self.paths, self._lines, self._heads, strict=True):
            k = min(step, len(path.points) - 1)
            shown = path.points[: k + 1]
            shown = shown[np.isfinite(shown).all(axis=1)]  # a diverged run's inf or NaN point
            if not len(shown):
                continue
            lifted = self._lift(shown)
            line.setData(pos=lifted)
            _place(head, lifted[-1])


def _wireframe(xs: np.ndarray, ys: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Line segments (pairs of points) along every few rows and columns of the mesh, lifted a
    hair above it so that the surface does not hide them."""
    lifted = z + 0.004
    segments: list[np.ndarray] = []
    for row in np.unique(np.linspace(0, len(ys) - 1, WIRES).round().astype(int)):
        line = np.stack([xs, np.full_like(xs, ys[row]), lifted[row, :]], axis=1)
        segments.append(np.stack([line[:-1], line[1:]], axis=1).reshape(-1, 3))
    for column in np.unique(np.linspace(0, len(xs) - 1, WIRES).round().astype(int)):
        line = np.stack([np.full_like(ys, xs[column]), ys, lifted[:, column]], axis=1)
        segments.append(np.stack([line[:-1], line[1:]], axis=1).reshape(-1, 3))
    return np.concatenate(segments) if segments else np.zeros((0, 3))


BALL = gl.MeshData.sphere(rows=8, cols=16, radius=0.035)  # (points sprites draw as squares, or
# not at all, where OpenGL is Mesa's; a small mesh draws the same everywhere)


def _ball(colour: tuple[float, ...]) -> gl.GLMeshItem:
    ball = gl.GLMeshItem(meshdata=BALL, color=colour, smooth=True, shader="shaded")
    ball.setVisible(False)  # until placed
    return ball


def _place(ball: gl.GLMeshItem, at: np.ndarray) -> None:
    ball.resetTransform()
    ball.translate(float(at[0]), float(at[1]), float(at[2]))
    ball.setVisible(True)
