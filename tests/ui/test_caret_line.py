"""The editor's caret line outlines the nodes that line made (the way back from a node to its
line is the inspector's: it tints the line)."""

from __future__ import annotations

import inspect

import torch
from PySide6.QtGui import QTextCursor

from tests.ui.conftest import set_program, wait_graph

PROGRAM = "x = 2.0\ny = 3.0\nz1 = x * y\nz2 = exp(z1)\nz3 = z1 + z2\n"


def _caret_to(window, line: int) -> None:  # type: ignore[no-untyped-def]
    cursor = window.editor.textCursor()
    cursor.movePosition(QTextCursor.MoveOperation.Start)
    cursor.movePosition(QTextCursor.MoveOperation.Down, n=line - 1)
    window.editor.setTextCursor(cursor)


def _outlined(window) -> set[str]:  # type: ignore[no-untyped-def]
    return {key for key, item in window.canvas.items_by_key.items() if item.matched}


def _named(window, name: str) -> str:  # type: ignore[no-untyped-def]
    return next(n.id for n in window.graph.nodes if n.name == name)


def test_the_caret_line_outlines_the_nodes_it_made(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    set_program(qtbot, window, PROGRAM)
    window.activateWindow()
    window.editor.setFocus()
    qtbot.waitUntil(window.editor.hasFocus, timeout=5000)
    # which op each line made, from torch itself: z2's grad_fn is the exp, z1's the mul
    x, y = (torch.tensor(v, requires_grad=True) for v in (2.0, 3.0))
    z1 = x * y
    z2 = torch.exp(z1)
    ops = {3: type(z1.grad_fn).__name__, 4: type(z2.grad_fn).__name__}
    for line, name in ((3, "z1"), (4, "z2"), (5, "z3")):
        _caret_to(window, line)
        assert _outlined(window) == {_named(window, name)}
        if line in ops:
            assert window.graph.node(_named(window, name)).op == ops[line]
    _caret_to(window, 1)  # `x = 2.0` makes a leaf, no op: the leaf
    assert _outlined(window) == {_named(window, "x")}
    _caret_to(window, 4)
    window.canvas.setFocus()  # the editor loses the focus: nothing outlined
    qtbot.waitUntil(lambda: not window.editor.hasFocus(), timeout=5000)
    assert _outlined(window) == set()


def test_a_search_wins_and_an_edit_not_yet_traced_outlines_nothing(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    set_program(qtbot, window, PROGRAM)
    window.activateWindow()
    window.editor.setFocus()
    qtbot.waitUntil(window.editor.hasFocus, timeout=5000)
    _caret_to(window, 4)
    window.actions_.search.setText("z3")
    assert _outlined(window) == {_named(window, "z3")}
    window.actions_.search.setText("")  # cleared: the caret's line again
    assert _outlined(window) == {_named(window, "z2")}
    cursor = window.editor.textCursor()
    cursor.movePosition(QTextCursor.MoveOperation.Start)
    cursor.insertText("# a note\n")  # every line moves down one until the next trace
    _caret_to(window, 4)
    assert _outlined(window) == set()
    window.retrace(interrupt=True)
    wait_graph(qtbot, window)
    _caret_to(window, 5)  # now `z2 = exp(z1)`
    assert _outlined(window) == {_named(window, "z2")}
    window.editor.setPlainText(PROGRAM + "z4 = undefined\n")  # an error: the last good graph
    window.retrace(interrupt=True)  # stays, but it is of other text: its lines may not match
    wait_graph(qtbot, window)
    assert window.error is not None
    _caret_to(window, 4)
    assert _outlined(window) == set()


def _tip(window, line: int, word: str) -> str | None:  # type: ignore[no-untyped-def]
    """The editor's tooltip with the pointer on the first `word` of `line`."""
    text = window.editor.toPlainText().split("\n")[line - 1]
    return window.editor.name_tooltip(word, line, text.index(word) + len(word))  # type: ignore[no-any-return]


def test_a_name_under_the_pointer_shows_what_it_holds(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    set_program(qtbot, window, PROGRAM + "h = z3\nh = h * 2\n")
    x, y = (torch.tensor(v, requires_grad=True) for v in (2.0, 3.0))
    z1 = x * y
    z1.retain_grad()
    h = (z1 + torch.exp(z1)) * 2
    h.backward()
    assert f"value: {z1.item():.5g}" in _tip(window, 3, "z1")  # type: ignore[operator]
    assert f"∂output/∂node: {z1.grad.item():.7g}" in _tip(window, 3, "z1")  # type: ignore[operator,union-attr]
    assert f"value: {h.item():.7g}" in _tip(window, 7, "h")  # type: ignore[operator]
    assert "value: 2.0" in _tip(window, 1, "x")  # type: ignore[operator]
    assert _tip(window, 1, "2") is None  # a number
    window.editor.insertPlainText(" ")  # the graph is no longer this text's: say nothing
    assert _tip(window, 5, "z3") is None


def test_a_function_under_the_pointer_says_what_it_does(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    set_program(qtbot, window, PROGRAM + "s = torch.stack([z1, z2]).sum()\n")
    # in PyTorch's words: the first sentence of each docstring after its signature
    for line, word, doc in ((4, "exp", torch.exp.__doc__), (6, "stack", torch.stack.__doc__)):
        said = inspect.getdoc(torch.exp if word == "exp" else torch.stack) or doc or ""
        first = next(p for p in said.split("\n\n") if p.strip() and "(" not in p.split("\n")[0])
        tip = _tip(window, line, word)
        assert tip is not None and f"torch.{word}" in tip
        assert first.split("\n")[0].strip() in tip
    tip = _tip(window, 6, "sum")  # a value's method: Tensor.sum, whose doc is torch.sum's
    assert tip is not None and tip.startswith("Tensor.sum")
    assert "sum of all elements" in tip


MLP = (
    "torch.manual_seed(0)\nmodel = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))\n"
    "X = torch.randn(5, 3)\nloss = model(X).pow(2).mean()\nloss.backward()\n"
)


def test_the_line_that_builds_a_model_outlines_its_parameters(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    set_program(qtbot, window, MLP)
    window.activateWindow()
    window.editor.setFocus()
    qtbot.waitUntil(window.editor.hasFocus, timeout=5000)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1))
    paths = {f"model.{name}" for name, _ in model.named_parameters()}
    _caret_to(window, 2)
    assert {window.graph.node(k).param_path for k in _outlined(window)} == paths
    _caret_to(window, 4)  # the forward pass and the loss: ops only
    outlined = [window.graph.node(k) for k in _outlined(window)]
    assert outlined and all(n.kind == "op" for n in outlined)
