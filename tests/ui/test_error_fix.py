"""The error line offers the change a refusal says was meant, as one click."""

from __future__ import annotations

import torch

from tests.ui.conftest import set_program, wait_graph


def test_a_misspelt_name_is_fixed_by_the_errors_link(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    set_program(qtbot, window, "x = 2.0\nloss = x * 3\ntotal = lossd + 1\n")
    assert window.error is not None and "did you mean `loss`" in window.error[0]
    assert "Change lossd to loss" in window.error_label.text()
    window.error_label.linkActivated.emit("fix")  # the link clicked
    assert window.editor.toPlainText() == "x = 2.0\nloss = x * 3\ntotal = loss + 1\n"
    window.retrace(interrupt=True)
    wait_graph(qtbot, window)
    assert window.error is None
    x = torch.tensor(2.0, requires_grad=True)
    total = x * 3 + 1
    total.backward()
    assert window.graph.find("total").value.item() == total.item()
    assert window.graph.find("x").grad.item() == x.grad.item()  # type: ignore[union-attr]
    window.editor.undo()  # one undoable edit
    assert "lossd" in window.editor.toPlainText()


def test_no_link_where_nothing_is_proposed(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    set_program(qtbot, window, "x = 2.0\ny = x.numpyy()\n")
    assert window.error is not None and window.error_label.isVisible()
    assert "href" not in window.error_label.text()
    assert window.error_fix.apply() is False
