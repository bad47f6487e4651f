"""A backward pass that raises: its error marked, and the graph of its forward drawn beside it."""

from __future__ import annotations

import torch
from PySide6.QtGui import QFontInfo
from PySide6.QtWidgets import QLabel

from tests.core.test_failed_backward import IN_PLACE
from tests.ui.conftest import set_program, wait_graph


def test_a_failed_backward_draws_its_forward_and_selects_where_it_stopped(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    set_program(qtbot, window, IN_PLACE)
    graph = window.graph
    assert graph is not None and window.error is not None
    assert window.editor.error_line == 6
    assert "changed in place at line 5" in window.error_label.text()
    assert "`y` changed in place here" in window.editor.warning_lines[5]  # the line it names
    assert "backward() failed" in window.statusBar().currentMessage()
    assert window.canvas.message == (  # (the error's words are in the editor, not repeated)
        "backward() stopped at `y` (exp) with an error: see the note under the graph"
    )
    assert all(item.opacity() == 1 for item in window.canvas.items_by_key.values())  # not dimmed
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    y.retain_grad()
    z1 = y * 3
    z1.retain_grad()
    z1.sum().backward()
    torch.testing.assert_close(graph.find("y").value, y.detach())  # as the forward read it
    assert z1.grad is not None
    torch.testing.assert_close(graph.find("z1").grad, z1.grad)  # reached before it stopped
    torch.testing.assert_close(graph.find("y").grad, y.grad)  # what reached where it stopped
    assert graph.find("x").grad is None
    assert window.inspector.node_id == graph.find("y").id  # where backward stopped
    assert "stopped at `y` (exp)" in graph.notes[0]
    set_program(qtbot, window, IN_PLACE.replace("y *= 2", "y = y * 2"))
    assert window.error is None and window.editor.error_line is None
    assert window.graph is not None and window.graph.find("x").grad is not None


def test_an_error_keeps_the_values_the_sliders_were_set_to(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    source = "x = 2.0\ny = 3.0\nx*y + exp(x*y)\n"
    set_program(qtbot, window, source)
    _slider, spin = window.variables.row("x")
    spin.setValue(1.25)
    wait_graph(qtbot, window)
    set_program(qtbot, window, source + "x +* 1\n")  # a typo: nothing runs
    assert window.error is not None
    set_program(qtbot, window, source)
    assert float(window.graph.find("x").value) == 1.25


def test_deleting_an_inputs_line_forgets_its_slider_value(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    set_program(qtbot, window, "x = 2.0\ny = 3.0\nx*y + exp(x*y)\n")
    _slider, spin = window.variables.row("x")
    spin.setValue(1.25)
    wait_graph(qtbot, window)
    set_program(qtbot, window, "y = 3.0\ny * exp(y)\n")
    assert window.error is None and "x" not in window.document.overrides
    y = torch.tensor(3.0, requires_grad=True)
    (y * y.exp()).backward()
    torch.testing.assert_close(window.graph.find("y").grad, y.grad)


def test_the_line_that_cut_the_loss_off_is_marked_beside_the_error(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    source = (
        "import torch\nimport torch.nn as nn\nmodel = nn.Linear(2, 1)\nX = torch.randn(4, 2)\n"
        "out = model(X).detach()\nloss = out.pow(2).mean()\nloss.backward()\n"
    )
    set_program(qtbot, window, source)
    assert window.error is not None and window.editor.error_line == 7
    assert window.editor.warning_lines == {5: "this cut `loss` off from the graph"}
    assert "because line 5 (`out = model(X).detach()`) cut it off" in window.error_label.text()


def test_presenting_a_failed_backward_puts_its_error_in_the_banner(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    set_program(qtbot, window, IN_PLACE)
    window.resize(1920, 1080)
    walk = window.walkthrough
    walk.toggle_presentation()  # (the editor, where the error is marked, is hidden)
    wait_graph(qtbot, window)
    lines = window.canvas.message.split("\n")
    assert lines[0] == "backward() stopped at `y` (exp) with an error"
    assert lines[1].startswith("✗ the error at line 6: ")
    assert "changed in place at line 5" in lines[1]
    assert "(torch:" not in lines[1]  # (torch's words stay in the note under the graph)
    assert any("(torch:" in note for note in window.graph.notes)
    banner = next(w for w in window.canvas.viewport().findChildren(QLabel) if w.isVisible())
    assert banner.height() >= banner.heightForWidth(banner.width())  # no line cut off
    scale = window.screen().geometry().height() / 1080  # (for the back row, as the player's)
    assert QFontInfo(banner.font()).pixelSize() >= round(22 * scale)
    walk.toggle_presentation()
    wait_graph(qtbot, window)
    assert window.canvas.message == (
        "backward() stopped at `y` (exp) with an error: see the note under the graph"
    )
    assert QFontInfo(banner.font()).pixelSize() == QFontInfo(window.canvas.font()).pixelSize()
