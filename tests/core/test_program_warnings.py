"""torch's warnings during a run become notes of the graph, with the line that raised them: at
every run (not once per process), once per distinct warning, never on the terminal; warnings
outside a run still go where Python sends them."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import torch

from gradviz.autograd.tracer import trace

BROADCAST = (
    "x = torch.randn(8, 1, requires_grad=True)\ny = torch.randn(9)\n"
    "loss = F.mse_loss(x, y)\nloss.backward()\n"
)


def _warned(notes: list[str]) -> list[str]:
    return [n for n in notes if n.startswith("⚠ torch warned")]


def test_a_broadcasting_loss_is_noted_at_its_line_at_every_run() -> None:
    for _ in range(2):  # Python's default would show it at the first run only
        notes = _warned(trace(BROADCAST).graph.notes)
        assert len(notes) == 1
        assert notes[0].startswith("⚠ torch warned at line 3: Using a target size")
        assert "torch.Size([9])" in notes[0] and "torch.Size([8, 1])" in notes[0]


def test_a_warning_repeated_by_a_loop_is_noted_once() -> None:
    source = (
        "w = torch.zeros(8, 1, requires_grad=True)\ny = torch.randn(9)\n"
        "for step in range(5):\n    loss = F.mse_loss(w * 2, y)\n    loss.backward()\n"
    )
    notes = _warned(trace(source).graph.notes)
    assert len(notes) == 1 and "at line 4" in notes[0]


def test_reading_the_grad_of_a_non_leaf_is_noted() -> None:
    source = "x = torch.ones(3, requires_grad=True)\ny = x * 2\nprint(y.grad)\ny.sum().backward()\n"
    graph = trace(source).graph
    notes = _warned(graph.notes)
    assert len(notes) == 1 and "at line 3" in notes[0] and "not a leaf" in notes[0]
    assert "call `.retain_grad()` on it before backward()" in notes[0]  # said what to do
    y = graph.find("y")  # and the graph has the gradient .grad did not keep: d sum / d y
    assert y is not None
    torch.testing.assert_close(y.grad, torch.ones(3))


def test_a_program_without_warnings_has_no_such_note() -> None:
    assert _warned(trace("x = 2.0\ny = 3.0\nx*y + exp(x*y)\n").graph.notes) == []


def test_warnings_outside_a_run_go_where_they_went() -> None:
    trace(BROADCAST)
    with pytest.warns(UserWarning, match="outside"):
        warnings.warn("outside any program", UserWarning, stacklevel=1)


def test_the_cli_keeps_the_terminal_clean_and_the_note_in_the_json(tmp_path: Path) -> None:
    program = tmp_path / "p.py"
    program.write_text(BROADCAST)
    result = subprocess.run(
        [sys.executable, "-m", "gradviz", "trace", str(program)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0 and result.stderr == ""
    notes = _warned(json.loads(result.stdout)["notes"])
    assert len(notes) == 1 and notes[0].startswith("⚠ torch warned at line 3: Using a target size")


def test_a_method_named_but_not_called_is_remarked_on_with_its_line() -> None:
    """`loss.backward` (no parentheses) runs nothing, in Python too; the graph then shows no
    backward pass, and the note says why, at the line."""
    from gradviz.autograd.tracer import trace

    source = "x = 2.0\ny = x * x\ny.backward\nopt = torch.optim.SGD([x], lr=0.1)\nopt.zero_grad\n"
    result = trace(source)
    assert (3, "`y.backward` does nothing without its call: write `y.backward()`") in (
        result.warnings
    )
    assert any(line == 5 and "opt.zero_grad()" in text for line, text in result.warnings)
    assert "⚠ at line 3: `y.backward` does nothing" in " ".join(result.graph.notes)
    assert not result.run.backward_called
    quiet = trace("x = 2.0\ny = x * x\ny.backward()\nprint(abs(-1))\n")
    assert quiet.warnings == []
