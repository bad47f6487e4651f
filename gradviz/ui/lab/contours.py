"""The surface's contour lines as one cached item: one picture to composite per frame, not one
per level (twelve cached full-view pixmaps cost about 10 ms a frame while a race animates)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtGui import QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem

from gradviz.optim.contours import Contour


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
        self.prepareGeometryChange()
        self.levels, self.path = [], QPainterPath()
        for contour in contours:
            path = QPainterPath()
            if contour.lines:
                points = np.concatenate(contour.lines)
                connect = np.ones(len(points), dtype=bool)
                connect[np.cumsum([len(line) for line in contour.lines]) - 1] = False
                path = pg.arrayToQPath(points[:, 0], points[:, 1], connect=connect)
            self.levels.append((contour.level, path))
            self.path.addPath(path)
        self.update()

    def boundingRect(self) -> QRectF:
        return self.path.boundingRect()

    def paint(self, painter: QPainter, *args: object) -> None:
        painter.setPen(self.pen)
        painter.drawPath(self.path)
