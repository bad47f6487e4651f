"""The graph canvas's right-click menu: a node's name, value and gradient copied in full (every
element, read back exactly as torch has it), backprop walked to the node, a module folded."""

from __future__ import annotations

import ast

import torch
from PySide6.QtCore import QPointF
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtWidgets import QApplication, QMenu

from tests.ui.conftest import set_program, wait_graph
from tests.ui.test_main_window import FOLDING as MODULES  # a network of three modules

PROGRAM = """
W = torch.tensor([[0.1, -0.2, 0.7], [0.3, 0.4, -1.1]], requires_grad=True)
v = torch.tensor([1.5, -2.0, 0.25])
h = W @ v
loss = (h * h).sum() / 3
loss.backward()
"""


def _right_click(qtbot, window, point: QPointF) -> QMenu:  # type: ignore[no-untyped-def]
    canvas = window.canvas
    canvas.centerOn(point)
    at = canvas.mapFromScene(point)
    # what the window system sends for a right-click (QTest's clicks make no context event)
    event = QContextMenuEvent(QContextMenuEvent.Reason.Mouse, at, canvas.viewport().mapToGlobal(at))
    QApplication.sendEvent(canvas.viewport(), event)
    menus = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMenu) and w.isVisible()]
    assert len(menus) == 1
    return menus[0]


def _choose(menu: QMenu, text: str) -> None:
    action = next(a for a in menu.actions() if a.text() == text)
    assert action.isEnabled(), text
    action.trigger()
    menu.close()


def _node_centre(window, name: str) -> QPointF:  # type: ignore[no-untyped-def]
    found = window.graph.find(name)
    key = found.id if found is not None else name
    return window.canvas.items_by_key[key].sceneBoundingRect().center()


def test_right_click_copies_a_nodes_value_and_gradient_in_full(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    set_program(qtbot, window, PROGRAM)
    W = torch.tensor([[0.1, -0.2, 0.7], [0.3, 0.4, -1.1]], requires_grad=True)
    h = W @ torch.tensor([1.5, -2.0, 0.25])
    h.retain_grad()
    ((h * h).sum() / 3).backward()
    clipboard = QApplication.clipboard()

    for name, value, grad in (("h", h, h.grad), ("W", W, W.grad)):
        menu = _right_click(qtbot, window, _node_centre(window, name))
        assert window.canvas.selected == window.graph.find(name).id  # and the inspector shows it
        _choose(menu, "Copy value")
        copied = torch.tensor(ast.literal_eval(clipboard.text()))
        assert torch.equal(copied, value.detach())  # every element, exactly
        menu = _right_click(qtbot, window, _node_centre(window, name))
        _choose(menu, "Copy gradient")
        assert torch.equal(torch.tensor(ast.literal_eval(clipboard.text())), grad)
        menu = _right_click(qtbot, window, _node_centre(window, name))
        _choose(menu, "Copy name")
        assert clipboard.text() == name

    # a constant has no gradient to copy
    menu = _right_click(qtbot, window, _node_centre(window, "v"))
    gradient = next(a for a in menu.actions() if a.text() == "Copy gradient")
    assert not gradient.isEnabled()
    menu.close()
    # a name gradviz made up (z1, …) is not the program's to copy
    auto = next(n for n in window.graph.nodes if n.auto_name)
    menu = _right_click(qtbot, window, _node_centre(window, auto.id))
    assert "Copy name" not in [a.text() for a in menu.actions()]
    assert "Copy value" in [a.text() for a in menu.actions()]
    menu.close()


def test_right_click_walks_backprop_to_the_node(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    set_program(qtbot, window, PROGRAM)
    key = window.graph.find("h").id
    menu = _right_click(qtbot, window, _node_centre(window, "h"))
    _choose(menu, "Step through backprop to here")
    walk = window.walkthrough
    assert walk.active
    step = walk.stepper.current
    assert step is not None and step.node_id == key
    assert step.index == window.graph.backward_order.index(key) + 1  # after the seed's step
    walk.stop()


def test_right_click_in_a_module_box_folds_it(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    set_program(qtbot, window, MODULES)
    x, y, _w, h = window.outcome.scene.clusters["model.0"]
    menu = _right_click(qtbot, window, QPointF(x + 4, y + h - 4))  # in the box, off its nodes
    assert not any(a.text() == "Copy value" for a in menu.actions())
    _choose(menu, "Fold model.0 into one node")
    wait_graph(qtbot, window)
    assert "folded_model.0" in window.canvas.items_by_key
    menu = _right_click(qtbot, window, _node_centre(window, "folded_model.0"))
    _choose(menu, "Unfold model.0")
    wait_graph(qtbot, window)
    assert "folded_model.0" not in window.canvas.items_by_key
