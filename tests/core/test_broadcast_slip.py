"""`pred - y` with pred (N, 1) and y (N,) is remarked on at its line (it makes N × N, silently);
a table of differences written on purpose, and shapes that match, are not."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from gradviz.autograd.tracer import trace

SETUP = "torch.manual_seed(0)\nmodel = nn.Linear(2, 1)\nX = torch.randn(8, 2)\ny = torch.randn(8)\n"


def _said(notes: list[str]) -> list[str]:
    return [n for n in notes if "broadcast shapes" in n]


def test_predictions_against_targets_of_another_shape_are_remarked_on() -> None:
    result = trace(SETUP + "loss = ((model(X) - y) ** 2).mean()\nloss.backward()\n")
    (note,) = _said(result.graph.notes)
    assert note.startswith("⚠ at line 5: `model(X) - y` broadcast shapes (8, 1) and (8,) to (8, 8)")
    assert "`y.view(-1, 1)`, or `model(X).squeeze(1)`" in note
    # the slip is real: torch's loss of that program is not the paired one
    torch.manual_seed(0)
    model = nn.Linear(2, 1)
    X, y = torch.randn(8, 2), torch.randn(8)
    broadcast = ((model(X) - y) ** 2).mean()
    paired = ((model(X) - y.view(-1, 1)) ** 2).mean()
    assert not torch.allclose(broadcast, paired)
    loss = result.graph.node(result.graph.output)  # type: ignore[arg-type]
    torch.testing.assert_close(loss.value, broadcast.detach())


@pytest.mark.parametrize(
    "line",
    [
        "loss = ((model(X) - y.view(-1, 1)) ** 2).mean()",
        "loss = ((model(X).squeeze(1) - y) ** 2).mean()",
        "table = X[:, 0][:, None] - X[:, 0]",  # differences of every pair, on purpose
        "table = X[:, 0].unsqueeze(1) + y",
        "shifted = model(X) - y[:1]",  # (8, 1) and (1,): one number for all
    ],
)
def test_matching_or_intended_shapes_are_not(line: str) -> None:
    assert _said(trace(SETUP + line + "\n").graph.notes) == []


def test_the_shapes_are_said_in_the_operands_order() -> None:
    source = (
        "torch.manual_seed(0)\nmodel = nn.Linear(3, 1)\nX = torch.randn(6, 3)\n"
        "y = X.sum(dim=1)\nloss = ((y - model(X)) ** 2).mean()\n"
    )
    ((line, text),) = trace(source).warnings
    assert line == 5 and text.startswith(
        "`y - model(X)` broadcast shapes (6,) and (6, 1) to (6, 6)"
    )
