"""Arrow keys on the graph: the selection (and the inspector) moves to the neighbour drawn
that way; with nothing selected they scroll; while walking through backprop they do not move it."""

from __future__ import annotations

import time

from PySide6.QtCore import QEvent, QObject, QPoint, Qt
from PySide6.QtWidgets import QApplication

from gradviz.resources import examples
from tests.ui.conftest import set_program

PROGRAM = "x = 2.0\ny = 3.0\nz1 = x*y\nz2 = exp(z1)\nz3 = z1 + z2\nf = z3 * y\n"


def test_arrows_walk_the_graph_and_the_inspector_follows(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    set_program(qtbot, window, PROGRAM)
    graph, canvas = window.graph, window.canvas
    canvas.setFocus()
    canvas.select(graph.output)
    ys = {key: centre[1] for key, centre in canvas.centres().items()}
    path = [graph.output]
    for _ in range(6):  # top-down layout: Up goes to an operand drawn above, to a leaf
        qtbot.keyClick(canvas, Qt.Key.Key_Up)
        if canvas.selected == path[-1]:
            break
        assert canvas.selected in {e.src for e in graph.inputs_of(path[-1])}  # an operand
        assert ys[canvas.selected] < ys[path[-1]]  # drawn above
        assert window.inspector.node_id == canvas.selected  # the inspector follows
        path.append(canvas.selected)
    assert graph.node(path[-1]).kind in ("input", "param", "const") and len(path) >= 3
    leaf = path[-1]
    qtbot.keyClick(canvas, Qt.Key.Key_Down)  # back towards the output: one of its consumers
    assert canvas.selected in {e.dst for e in graph.consumers_of(leaf)}
    # a sibling beside it: the other operand of the same consumer, on that side
    consumer = canvas.selected
    operands = [e.src for e in graph.inputs_of(consumer)]
    xs = {key: centre[0] for key, centre in canvas.centres().items()}
    start = min(operands, key=lambda k: xs[k])
    canvas.select(start)
    qtbot.keyClick(canvas, Qt.Key.Key_Right)
    assert canvas.selected != start and xs[canvas.selected] > xs[start]

    canvas.select(None)  # nothing selected: the arrows scroll the view as before
    bar = canvas.verticalScrollBar()
    canvas.zoom(4.0)
    before = bar.value()
    qtbot.keyClick(canvas, Qt.Key.Key_Down)
    assert canvas.selected is None and bar.value() > before


def test_arrows_leave_the_step_alone_while_walking(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    set_program(qtbot, window, PROGRAM)
    walk = window.walkthrough
    walk.start()
    walk.stepper.go(2)
    stepped = window.canvas.selected
    window.canvas.setFocus()
    qtbot.keyClick(window.canvas, Qt.Key.Key_Up)
    qtbot.keyClick(window.canvas, Qt.Key.Key_Down)
    assert window.canvas.selected == stepped and walk.stepper.index == 2
    walk.stop()


class _Resizes(QObject):
    count = 0

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self.count += 1
        return False


def test_fitting_never_feeds_on_its_own_scroll_bars(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    """At some window sizes each fit brought scroll bars in or out, which resized the view,
    which fitted again: 50,000 resizes in 30 ms, the window frozen (the NaN example in the
    projector theme beside the inspector, 1,103–1,115 px wide)."""
    window.apply_theme("projector")
    window.inspector_dock.show()
    source = next(e for e in examples() if e.name.startswith("15_")).source
    set_program(qtbot, window, source)
    canvas = window.canvas
    resizes = _Resizes()
    canvas.viewport().installEventFilter(resizes)
    for width in range(1100, 1120, 3):
        window.resize(width, 700)
        QApplication.processEvents()
        resizes.count = 0
        deadline = time.perf_counter() + 0.03
        while time.perf_counter() < deadline:
            QApplication.processEvents()
        assert resizes.count <= 2, (width, resizes.count)
    # fitted, the whole graph is in view: no scroll bars; panning brings them back; a click
    # on a node only selects it (the view keeps fitting)
    canvas.fit()
    assert canvas.horizontalScrollBarPolicy() == Qt.ScrollBarPolicy.ScrollBarAlwaysOff
    node = window.graph.output
    centre = canvas.mapFromScene(canvas.items_by_key[node].sceneBoundingRect().center())
    qtbot.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    assert canvas.selected == node and canvas.auto_fit
    qtbot.mousePress(canvas.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(2, 2))
    qtbot.mouseRelease(canvas.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(2, 2))
    assert not canvas.auto_fit
    assert canvas.horizontalScrollBarPolicy() == Qt.ScrollBarPolicy.ScrollBarAsNeeded
