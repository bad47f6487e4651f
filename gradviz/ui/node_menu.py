"""The graph canvas's right-click menu: copy a node's name, value or gradient in full, walk
backprop to it, fold or unfold the module around it, fit, copy the picture."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMenu

if TYPE_CHECKING:
    from torch import Tensor

    from gradviz.autograd.graph import GraphNode
    from gradviz.ui.main_window import MainWindow


def _copy(text: str) -> None:
    clipboard = QGuiApplication.clipboard()
    if clipboard is not None:
        clipboard.setText(text)


def _add_copy(menu: QMenu, label: str, value: Tensor | float | None, what: str) -> None:
    from gradviz.render.clipboard_text import MAX_COPIED_ELEMENTS, copyable, full_text

    action = menu.addAction(label)
    if not copyable(value):
        action.setEnabled(False)
        action.setToolTip(
            f"no {what}" if value is None else f"more than {MAX_COPIED_ELEMENTS:,} elements"
        )
    else:  # written when chosen: a 100×100 matrix takes 0.05 s
        action.setToolTip("every element, as Python reads it back")
        action.triggered.connect(lambda: _copy(full_text(value) or ""))


def _node_part(menu: QMenu, window: MainWindow, node: GraphNode) -> None:
    title = menu.addAction(f"{node.name or node.label}  ({node.op or node.kind})")
    title.setEnabled(False)  # says which node the menu is about
    if node.name and not node.auto_name:  # a name the program gave it (not z1, z2, …)
        name = node.name
        menu.addAction("Copy name").triggered.connect(lambda: _copy(name))
    _add_copy(menu, "Copy value", node.value, "value")
    _add_copy(menu, "Copy gradient", node.grad, "gradient")
    graph = window.graph
    if graph is not None and (node.id in graph.backward_order or node.id == graph.output):
        key = node.id

        def walk() -> None:
            if not window.walkthrough.go_to_node(key):
                window.report("The player's mode has no step about this node.")

        menu.addAction("Step through backprop to here").triggered.connect(walk)


def canvas_menu(window: MainWindow, key: str, module: str) -> QMenu:
    """The menu for a right-click on node `key` ("" for none) inside module box `module` ("" for
    none)."""
    menu = QMenu(window.canvas)
    graph = window.graph
    node = None
    if graph is not None and key:  # (a folded module's node too: the layer's output)
        try:
            node = graph.node(key)
        except KeyError:
            node = None
    if node is not None:
        _node_part(menu, window, node)
        menu.addSeparator()
    if module:
        folded = module in window.settings.folded
        label = f"Unfold {module}" if folded else f"Fold {module} into one node"
        menu.addAction(label).triggered.connect(lambda: window.toggle_module(module))
        menu.addSeparator()
    menu.addAction("Fit the graph to the view (F)").triggered.connect(window.canvas.fit)
    copy_image = menu.addAction("Copy image")
    copy_image.setEnabled(graph is not None)
    copy_image.triggered.connect(window.copy_image)
    return menu


def show_canvas_menu(window: MainWindow, key: str, module: str, at: QPoint) -> QMenu:
    """Select the right-clicked node (the inspector shows it) and open its menu at `at`."""
    if key:
        window.canvas.select(key)
    menu = canvas_menu(window, key, module)
    menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    menu.popup(at)
    return menu
