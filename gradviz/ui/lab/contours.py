"""The surface's contour lines as one cached item: one picture to composite per frame, not one
per level (twelve cached full-view pixmaps cost about 10 ms a frame while a race animates)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtGui import QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem


class ContourLines(pg.GraphicsObject):  # type: ignore[misc]
    """Isolines of a row-major grid in its pixel coordinates (parent it to the ImageItem)."""

    def __init__(self, pen: QPen) -> None:
        super().__init__()
        self.pen = pen
        self.levels: list[tuple[float, QPainterPath]] = []  # each level and its lines
        self.path = QPainterPath()
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)

    def set_data(self, values: np.ndarray, levels: list[float]) -> None:
        """values: rows are y (as the image shows them); NaN must be filled beforehand."""
        self.prepareGeometryChange()
        columns_first = values.T  # pyqtgraph's isocurve takes [x, y]
        self.levels, self.path = [], QPainterPath()
        for level in levels:
            path = QPainterPath()
            for line in pg.isocurve(columns_first, level, connected=True, extendToEdge=True):
                path.moveTo(*line[0])
                for point in line[1:]:
                    path.lineTo(*point)
            self.levels.append((float(level), path))
            self.path.addPath(path)
        self.update()

    def boundingRect(self) -> QRectF:
        return self.path.boundingRect()

    def paint(self, painter: QPainter, *args: object) -> None:
        painter.setPen(self.pen)
        painter.drawPath(self.path)
