"""The surface's contour lines as one cached item: one picture to composite per frame, not one
per level (twelve cached full-view pixmaps cost about 10 ms a frame while a race animates)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtGui import QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem

from gradviz.optim.contours import Contour

ContourPaths = tuple[list[tuple[float, QPainterPath]], QPainterPath]  # each level's, and all


def contour_paths(contours: list[Contour]) -> ContourPaths:
    """Each level's lines as a QPainterPath, and all of them as one: plain values, made in the
    lab's worker with the grid (on the UI thread, Rastrigin's 104,000 line pieces took 15–55 ms
    of a frozen window at each new grid)."""
    levels, every = [], QPainterPath()
    for contour in contours:
        path = QPainterPath()
        if contour.lines:
            points = np.concatenate(contour.lines)
            connect = np.ones(len(points), dtype=bool)
            connect[np.cumsum([len(line) for line in contour.lines]) - 1] = False
            path = pg.arrayToQPath(points[:, 0], points[:, 1], connect=connect)
        levels.append((contour.level, path))
        every.addPath(path)
    return levels, every


class ContourLines(pg.GraphicsObject):  # type: ignore[misc]
    """Isolines of a row-major grid in its pixel coordinates (parent it to the ImageItem)."""

    def __init__(self, pen: QPen) -> None:
        super().__init__()
        self.pen = pen
        self.levels: list[tuple[float, QPainterPath]] = []  # each level and its lines
        self.path = QPainterPath()
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)

    def set_data(self, contours: list[Contour]) -> None:
        """Lines in the image's pixel coordinates (gradviz.optim.contours, made in a worker)."""
        self.set_paths(contour_paths(contours))

    def set_paths(self, paths: ContourPaths) -> None:
        """Lines already made into paths (contour_paths, in the grid's worker too)."""
        self.prepareGeometryChange()
        self.levels, self.path = paths
        self.update()

    def boundingRect(self) -> QRectF:
        return self.path.boundingRect()

    def paint(self, painter: QPainter, *args: object) -> None:
        painter.setPen(self.pen)
        painter.drawPath(self.path)
