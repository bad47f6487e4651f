"""`loss.backward()` on a loss the program cut off from the graph names the line that cut it
(and marks it), not only "does not require grad"; a loss with nothing requiring grad upstream
keeps the general advice."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from gradviz.autograd.tracer import trace
from gradviz.lang.errors import ProgramError

HEAD = (
    "torch.manual_seed(0)\nmodel = nn.Linear(2, 1)\nX = torch.randn(4, 2)\ny = torch.randn(4, 1)\n"
)


@pytest.mark.parametrize(
    ("lines", "cut_line", "why"),
    [
        ("out = model(X).detach()\nloss = ((out - y) ** 2).mean()\n", 5, "`.detach()` returns"),
        ("loss = torch.tensor(((model(X) - y) ** 2).mean().item())\n", 5, "`torch.tensor(…)`"),
        ("err = ((model(X) - y) ** 2).mean()\nloss = torch.tensor(err)\n", 6, "`torch.tensor(…)`"),
        ("out = model(X).data\nloss = ((out - y) ** 2).mean()\n", 5, "`.data` is the values"),
        (
            "with torch.no_grad():\n    out = model(X)\nloss = ((out - y) ** 2).mean()\n",
            6,
            "inside `with torch.no_grad():`",
        ),
    ],
    ids=["detach", "item", "tensor of a tensor", "data", "no_grad"],
)
def test_the_line_that_cut_the_loss_off_is_named_and_marked(
    lines: str, cut_line: int, why: str
) -> None:
    source = HEAD + lines + "loss.backward()\n"
    backward_line = source.count("\n")
    with pytest.raises(ProgramError) as failed:
        trace(source)
    error = failed.value
    assert error.line == backward_line
    assert error.message.startswith(
        f"in `loss.backward()`: `loss` does not require grad because line {cut_line} ("
    )
    assert why in error.message and "(torch: element 0 of tensors does not require grad" in (
        error.message
    )
    assert error.related == [(cut_line, "this cut `loss` off from the graph")]


def test_torch_agrees_the_detached_loss_has_nothing_to_differentiate() -> None:
    torch.manual_seed(0)
    model = nn.Linear(2, 1)
    X, y = torch.randn(4, 2), torch.randn(4, 1)
    loss = ((model(X).detach() - y) ** 2).mean()
    with pytest.raises(RuntimeError, match="does not require grad"):
        loss.backward()


def test_a_forgotten_requires_grad_is_not_blamed_on_an_unrelated_item() -> None:
    """`scale` is cut (`.item()`), but it never read anything requiring grad: the cause is `w`,
    made without requires_grad, and the general advice stands."""
    source = (
        "X = torch.randn(4, 3)\nw = torch.randn(3)\nscale = X.std().item()\n"
        "loss = (X @ w * scale).sum()\nloss.backward()\n"
    )
    with pytest.raises(ProgramError) as failed:
        trace(source)
    assert "`loss` depends on no tensor that requires grad" in failed.value.message
    assert failed.value.related == []


def test_a_functions_own_names_are_not_the_programs() -> None:
    """`v` detached inside a function is not the `v` the loss was computed from: the general
    advice, not a line of the function."""
    source = (
        "w = torch.ones(2, requires_grad=True)\nX = torch.randn(4, 2)\nv = X * 2\n"
        "def show(t):\n    v = (t * w).detach()\n    return v\n"
        "loss = v.sum()\nloss.backward()\n"
    )
    with pytest.raises(ProgramError) as failed:
        trace(source)
    assert "`loss` depends on no tensor that requires grad" in failed.value.message


def test_a_gradient_made_without_create_graph_names_that_call() -> None:
    """torch agrees: without create_graph the gradient has no grad_fn to differentiate."""
    x = torch.tensor(2.0, requires_grad=True)
    (g,) = torch.autograd.grad(x**3, x)
    assert g.grad_fn is None and not g.requires_grad
    source = (
        "x = torch.tensor(2.0, requires_grad=True)\ny = x ** 3\n"
        "(g,) = torch.autograd.grad(y, x)\ng.backward()\n"
    )
    with pytest.raises(ProgramError) as failed:
        trace(source)
    assert failed.value.line == 4
    assert "`g` does not require grad because line 3 (`(g,) = torch.autograd.grad(y, x)`)" in (
        failed.value.message
    )
    assert "pass create_graph=True" in failed.value.message
    assert trace(source.replace("grad(y, x)", "grad(y, x, create_graph=True)")).graph.nodes
