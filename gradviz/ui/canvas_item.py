"""One node's or edge's drawing on the graph canvas: painted from the scene's drawables, a node
hoverable, clickable and outlined when selected or matched by a search."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsSceneHoverEvent,
    QGraphicsSceneMouseEvent,
    QStyleOptionGraphicsItem,
    QWidget,
)

from gradviz.render.drawing import Drawable, SceneItem
from gradviz.ui import painter as draw

if TYPE_CHECKING:
    from gradviz.ui.canvas import GraphCanvas

SELECT_COLOUR = QColor("#e66100")  # orange: distinct from the viridis range and colour-blind safe
MATCH_COLOUR = QColor("#5d3a9b")


class DrawingItem(QGraphicsItem):
    """Paints one node's or edge's drawables; nodes are hoverable and clickable."""

    def __init__(self, item: SceneItem, canvas: GraphCanvas) -> None:
        super().__init__()
        self.key = item.key
        self.kind = item.kind
        self._canvas = canvas
        self._drawables: list[Drawable] = item.drawables
        self._paths: list[QPainterPath | None] | None = None  # made on first paint, then kept
        self._rect = draw.bounds(item.drawables, margin=6.0)
        x, y, w, h = self._bbox = item.bbox
        self.box = QRectF(x, y, w, h)  # the node's own box, for the selection outline
        self.selected = False
        self.matched = False
        self.hovered = False
        if item.kind == "node":
            self.setAcceptHoverEvents(True)
            self.setCursor(Qt.CursorShape.PointingHandCursor)
            self.setZValue(2)
        else:
            self.setZValue(1 if item.kind == "edge" else 0)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)

    def update_drawables(self, item: SceneItem) -> None:
        self._drawables = item.drawables
        self._paths = None
        self.update()

    def boundingRect(self) -> QRectF:
        return self._rect

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        if self._paths is None:
            self._paths = draw.paths_of(self._drawables)
        scale = option.levelOfDetailFromTransform(painter.worldTransform())
        box = self._bbox if self.kind == "node" else None
        draw.paint(painter, self._drawables, scale, self._paths, box)
        if self.selected or self.matched or self.hovered:
            colour = SELECT_COLOUR if self.selected else MATCH_COLOUR
            pen = QPen(colour, 4.0 if not self.hovered or self.selected else 3.0)
            pen.setStyle(Qt.PenStyle.SolidLine if self.selected else Qt.PenStyle.DashLine)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(self.box.adjusted(-4, -4, 4, 4), 6, 6)

    def hoverEnterEvent(self, event: QGraphicsSceneHoverEvent) -> None:
        self.setToolTip(self._canvas.tooltips.get(self.key, ""))
        self.hovered = True  # a pointer highlight, for whoever is presenting
        self.update()
        super().hoverEnterEvent(event)

    def hoverLeaveEvent(self, event: QGraphicsSceneHoverEvent) -> None:
        self.hovered = False
        self.update()
        super().hoverLeaveEvent(event)

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.kind == "node":
            self._canvas.select(self.key)
            event.accept()
            return
        super().mousePressEvent(event)
