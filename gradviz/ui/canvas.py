"""The graph canvas: the scene's nodes and edges as items in a zoomable, pannable view."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QContextMenuEvent,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QGraphicsScene,
    QGraphicsView,
    QLabel,
    QWidget,
)

from gradviz.render.drawing import Scene
from gradviz.ui import painter as draw
from gradviz.ui.canvas_item import DrawingItem

_ARROWS = {
    Qt.Key.Key_Up: (0.0, -1.0),
    Qt.Key.Key_Down: (0.0, 1.0),
    Qt.Key.Key_Left: (-1.0, 0.0),
    Qt.Key.Key_Right: (1.0, 0.0),
}
FOLDED_PREFIX = "folded_"  # gradviz.autograd.collapse.FOLDED_PREFIX (kept here: no torch import)


class GraphCanvas(QGraphicsView):
    """Shows a Scene. Wheel or Ctrl+=/− zooms, dragging pans, F fits, clicking selects."""

    node_selected = Signal(str)
    module_toggled = Signal(str)  # double-click on a module's box or on a folded module
    # a right-click: the node under it ("" for none), the module box around it ("" for none),
    # and where on the screen
    context_requested = Signal(str, str, QPoint)
    # an arrow key with a node selected: the direction on screen (x right, y down)
    arrow_pressed = Signal(float, float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName("Graph canvas")
        self.tooltips: dict[str, str] = {}
        self.items_by_key: dict[str, DrawingItem] = {}
        self._copies: dict[str, DrawingItem] = {}  # a leaf's copies, by their DOT names
        self._edges: list[DrawingItem] = []
        self._background: DrawingItem | None = None
        self._structure: tuple[object, ...] | None = None
        self.selected: str | None = None
        self.current: Scene | None = None
        self._overlay = QLabel(self.viewport())
        self._overlay.setWordWrap(True)
        self._overlay.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self._overlay.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self._overlay.setAccessibleName("Canvas message")
        self._overlay.hide()
        self._auto_fit = False
        self.auto_fit = True  # keep fitting on resize until the user zooms or pans

    # -- content ---------------------------------------------------------------------------------
    def show_scene(self, scene: Scene, tooltips: dict[str, str], fit: bool = False) -> None:
        """Draw `scene`; with the same structure only the drawables change (nothing moves)."""
        self.tooltips = tooltips
        drawn = set(self.items_by_key) | set(self._copies)
        same = self._structure == scene.structure and set(scene.nodes) == drawn
        self.current = scene
        self.setBackgroundBrush(QBrush(draw.colour(scene.background)))
        if same:
            for key, item in scene.nodes.items():
                drawn_by = self.items_by_key[key] if key in self.items_by_key else self._copies[key]
                drawn_by.update_drawables(item)
            for view_item, item in zip(self._edges, scene.edges, strict=True):
                view_item.update_drawables(item)
            if self._background is not None:
                self._background.update_drawables(scene.graph)
            return
        selected = self.selected
        self.scene().clear()
        self.items_by_key.clear()
        self._copies.clear()
        self._edges = []
        self._structure = scene.structure
        self._background = DrawingItem(scene.graph, self)
        if scene.nodes:  # an empty graph's legend and notes would repeat the banner, tiny
            self.scene().addItem(self._background)
        for item in scene.edges:
            edge = DrawingItem(item, self)
            self._edges.append(edge)
            self.scene().addItem(edge)
        for key, item in scene.nodes.items():
            node = DrawingItem(item, self)
            if key == item.key:
                self.items_by_key[key] = node
            else:  # a copy of node item.key, drawn beside its far-away consumers
                self._copies[key] = node
            self.scene().addItem(node)
        self.scene().setSceneRect(
            QRectF(0, 0, scene.width, scene.height).adjusted(-40, -40, 40, 40)
        )
        self.selected = None
        if selected in self.items_by_key:
            self.select(selected, notify=False)
        if fit:
            self.fit()

    def clear(self) -> None:
        self.scene().clear()
        self.items_by_key.clear()
        self._copies.clear()
        self._edges = []
        self._background = None
        self._structure = None
        self.current = None

    def set_dimmed(self, dimmed: bool) -> None:
        """The last good graph stays visible, dimmed, while the program has an error."""
        for item in self.scene().items():
            item.setOpacity(0.3 if dimmed else 1.0)

    def set_message(self, text: str) -> None:
        """A message shown over the top of the canvas (loading, notes), or "" for none."""
        self._overlay.setText(text)
        self._overlay.setVisible(bool(text))
        self._place_overlay()
        if self.auto_fit and self.current is not None:
            self.fit()  # below the banner

    def set_message_px(self, px: int | None) -> None:
        """The banner's type in pixels (presentation mode's, for the back row), or None for the
        application's own."""
        self._overlay.setStyleSheet(f"font-size: {px}px;" if px else "")
        self._place_overlay()
        if self.auto_fit and self.current is not None and self._overlay.isVisible():
            self.fit()

    @property
    def message(self) -> str:
        return self._overlay.text() if self._overlay.isVisible() else ""

    def _place_overlay(self) -> None:
        width = max(100, self.viewport().width() - 32)
        self._overlay.setFixedWidth(width)
        # (adjustSize wraps a long message at a width of its own: its last line fell off)
        height = self._overlay.heightForWidth(width)
        self._overlay.setFixedHeight(height if height > 0 else self._overlay.sizeHint().height())
        self._overlay.move(16, 12)

    # -- selection and search --------------------------------------------------------------------
    def select(self, key: str | None, notify: bool = True) -> None:
        for item in self._drawn(self.selected):
            item.selected = False
            item.update()
        self.selected = key
        for item in self._drawn(key):
            item.selected = True
            item.update()
        if notify and key is not None:
            self.node_selected.emit(key)

    def _drawn(self, key: str | None) -> list[DrawingItem]:
        """The items that draw node `key`: its box, and its copies' (render/copies.py)."""
        if key not in self.items_by_key:
            return []
        copies = [item for item in self._copies.values() if item.key == key]
        return [self.items_by_key[key], *copies]

    def highlight(self, keys: set[str]) -> None:
        for item in [*self.items_by_key.values(), *self._copies.values()]:
            if item.matched != (item.key in keys):
                item.matched = item.key in keys
                item.update()

    def center_on(self, key: str) -> None:
        if key in self.items_by_key:
            self.centerOn(self.items_by_key[key])

    def follow(self, key: str, min_scale: float) -> None:
        """Keep `key` in view at a scale where text is large enough (classroom mode), and the
        whole node on screen (a wide node at that scale ran out of a narrow view both sides)."""
        if key not in self.items_by_key:
            return
        item = self.items_by_key[key]
        box = item.sceneBoundingRect()
        port = self.viewport().rect()
        fits = 0.9 * min(port.width() / max(box.width(), 1), port.height() / max(box.height(), 1))
        target = min(min_scale, fits)
        scale = self.transform().m11()
        if scale < target or scale > fits:
            self.resetTransform()
            self.scale(target, target)
            self.auto_fit = False
        band = self._overlay.height() + 12 if self._overlay.isVisible() else 0  # (the banner)
        visible = self.mapToScene(port.adjusted(0, band, 0, 0)).boundingRect()
        if not visible.contains(box):
            self.centerOn(box.center() - QPointF(0, band / 2 / self.transform().m11()))

    # -- view ------------------------------------------------------------------------------------
    @property
    def auto_fit(self) -> bool:
        return self._auto_fit

    @auto_fit.setter
    def auto_fit(self, on: bool) -> None:
        """Fitting the graph to the view on every resize, scroll bars off: the whole graph is
        in view then, and scroll bars that come and go with each fit changed the view's size,
        which fitted again — at some sizes for ever, the UI thread spinning."""
        self._auto_fit = on
        policy = (
            Qt.ScrollBarPolicy.ScrollBarAlwaysOff if on else Qt.ScrollBarPolicy.ScrollBarAsNeeded
        )
        self.setHorizontalScrollBarPolicy(policy)
        self.setVerticalScrollBarPolicy(policy)

    def fit(self) -> None:
        """The whole graph in view, below the banner over the canvas's top where there is one."""
        self.auto_fit = True
        scene = self.current
        whole = QRectF(0, 0, scene.width, scene.height) if scene else None
        rect = whole or self.scene().itemsBoundingRect()
        if not rect.isValid() or rect.isEmpty():
            return
        rect = rect.adjusted(-20, -20, 20, 20)
        band = self._overlay.height() + 12 if self._overlay.isVisible() else 0  # pixels
        port = self.viewport().rect()
        scale = min(port.width() / rect.width(), max(port.height() - band, 1) / rect.height())
        if scene is not None:  # room above the graph for the banner, in scene units
            rect.setTop(rect.top() - band / min(scale, 2.5))
            self.scene().setSceneRect(rect.adjusted(-20, -20, 20, 20))
        self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)
        if self.transform().m11() > 2.5:  # a tiny graph should not fill the screen
            self.resetTransform()
            self.scale(2.5, 2.5)
            self.centerOn(rect.center())

    def zoom(self, factor: float, anchor: QPointF | None = None) -> None:
        self.auto_fit = False
        scale = self.transform().m11() * factor
        if 0.02 <= scale <= 20:
            self.scale(factor, factor)

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        super().scrollContentsBy(dx, dy)  # scrolls the viewport's child widgets along
        self._overlay.move(16, 12)  # the message stays at the top, whatever is scrolled

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._place_overlay()
        if self.auto_fit:
            self.fit()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        on_node = self.node_at(event.position().toPoint()) != ""
        if event.button() == Qt.MouseButton.LeftButton and not on_node:
            self.auto_fit = False  # the user is panning (a click on a node only selects it)
        super().mousePressEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        """Fold the module whose box was double-clicked; unfold a folded one."""
        path = self.module_at(self.mapToScene(event.position().toPoint()))
        if path is not None:
            self.module_toggled.emit(path)
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def node_at(self, pos: QPoint) -> str:
        """The key of the node drawn at viewport position `pos`, or ""."""
        return next(
            (
                item.key
                for item in self.items(pos)
                if isinstance(item, DrawingItem) and item.kind == "node"
            ),
            "",
        )

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        point = self.mapToScene(event.pos())
        node = self.node_at(event.pos())
        self.context_requested.emit(node, self.module_at(point) or "", event.globalPos())
        event.accept()

    def module_at(self, point: QPointF) -> str | None:
        """The folded module node at `point`, else the innermost module box around it."""
        for key, item in self.items_by_key.items():
            if key.startswith(FOLDED_PREFIX) and item.sceneBoundingRect().contains(point):
                return key.removeprefix(FOLDED_PREFIX)
        if self.current is None:
            return None
        around = [
            (w * h, path)
            for path, (x, y, w, h) in self.current.clusters.items()
            if QRectF(x, y, w, h).contains(point)
        ]
        return min(around)[1] if around else None

    def wheelEvent(self, event: QWheelEvent) -> None:
        delta = event.angleDelta().y()
        if delta:
            self.zoom(1.0015**delta)
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.matches(QKeySequence.StandardKey.ZoomIn) or event.key() in (
            Qt.Key.Key_Plus,
            Qt.Key.Key_Equal,
        ):
            self.zoom(1.25)
        elif event.matches(QKeySequence.StandardKey.ZoomOut) or event.key() == Qt.Key.Key_Minus:
            self.zoom(0.8)
        elif event.key() == Qt.Key.Key_F:
            self.fit()
        elif event.key() == Qt.Key.Key_Escape:
            self.select(None)
        elif Qt.Key(event.key()) in _ARROWS and self.selected in self.items_by_key:
            # to a neighbour; with nothing selected they scroll
            self.arrow_pressed.emit(*_ARROWS[Qt.Key(event.key())])
        else:
            super().keyPressEvent(event)

    def centres(self) -> dict[str, tuple[float, float]]:
        """Each node's centre in the scene."""
        found = {}
        for key, item in self.items_by_key.items():
            centre = item.mapRectToScene(item.box).center()
            found[key] = (centre.x(), centre.y())
        return found

    def reveal(self, key: str) -> None:
        """Scroll just enough to show node `key` whole."""
        if key in self.items_by_key:
            self.ensureVisible(self.items_by_key[key], 40, 40)
