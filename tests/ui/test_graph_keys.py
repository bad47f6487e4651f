"""Arrow keys on the graph: the selection (and the inspector) moves to the neighbour drawn
that way; with nothing selected they scroll; while walking through backprop they do not move it."""

from __future__ import annotations

from PySide6.QtCore import Qt

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
