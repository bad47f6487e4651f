"""The 3D view (pyqtgraph.opengl): the surface as a mesh with the paths drawn on it, orbitable.

Needs an OpenGL context (a real or Xvfb display); the lab creates it only when asked for.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pyqtgraph.opengl as gl
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QWidget

from gradviz.ui.lab.surface_view import SURFACE_COLOURS, GridImage, Path

MESH = 160  # mesh resolution (the 2D view keeps the full grid)


class Surface3D(gl.GLViewWidget):  # type: ignore[misc]
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Loss surface in 3D")
        self.setBackgroundColor("#1e1f22")
        self.setCameraPosition(distance=2.7, elevation=38, azimuth=-60)
        self.mesh: gl.GLSurfacePlotItem | None = None
        self.grid: GridImage | None = None
        self._z: np.ndarray | None = None
        self._lines: list[gl.GLLinePlotItem] = []
        self._heads: list[gl.GLScatterPlotItem] = []
        self.paths: list[Path] = []

    def _normalised(self, grid: GridImage) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        values = grid.values
        step_y = max(1, values.shape[0] // MESH)
        step_x = max(1, values.shape[1] // MESH)
        z = values[::step_y, ::step_x]
        finite = z[np.isfinite(z)]
        low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        z = (np.nan_to_num(z, nan=high) - low) / (high - low if high > low else 1.0) * 0.8
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
        self.mesh = gl.GLSurfacePlotItem(
            x=xs, y=ys, z=z.T, colors=colours.reshape(-1, 4), shader=None, smooth=True
        )
        self.mesh.setGLOptions("opaque")
        self.addItem(self.mesh)

    def _lift(self, points: np.ndarray) -> np.ndarray:
        """Map (x, y) points onto the mesh: normalised x, y and the surface height there."""
        assert self.grid is not None and self._z is not None
        x0, x1, y0, y1 = self.grid.window
        nx = (points[:, 0] - x0) / (x1 - x0) * 2 - 1
        ny = (points[:, 1] - y0) / (y1 - y0) * 2 - 1
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
            colour = QColor(path.colour).getRgbF()
            line = gl.GLLinePlotItem(color=colour, width=4, antialias=True)
            head = gl.GLScatterPlotItem(color=colour, size=16)
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
            lifted = self._lift(path.points[: k + 1])
            line.setData(pos=lifted)
            head.setData(pos=lifted[-1:])
