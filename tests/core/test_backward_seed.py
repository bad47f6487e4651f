"""`y.backward(v)` in a program does what it does in PyTorch (gradients, hooks, accumulation,
`inputs=`, torch's own errors), also inside `torch.no_grad()`."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from gradviz.autograd.tracer import trace
from tests.core.same_as_python import assert_refused_at, gradviz_prints, python_prints

PASSES = """import torch
x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
w = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
y = x * w + x ** 2
seen = []
def remember(g):
    seen.append(g.clone())
handle = y.register_hook(remember)
y.retain_grad()
v = torch.tensor([0.1, 1.0, 0.0001])
y.backward(v, retain_graph=True)
print(x.grad, w.grad, y.grad, seen)
with torch.no_grad():
    y.backward(gradient=v * 3, retain_graph=True)
print(x.grad, w.grad)
y.backward(v, inputs=[w], retain_graph=True)
print(x.grad, w.grad)
x.backward(torch.ones(3))
print(x.grad)
u = torch.ones(3, requires_grad=True)
y.backward(u)
print(x.grad, u.grad, len(seen))
d = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
(d * 2).backward(torch.tensor([1.0, 1.0], dtype=torch.float64))
print(d.grad)
(x * 2).backward(torch.ones(3, dtype=torch.float64))  # torch casts the gradient
print(x.grad, x.grad.dtype)
"""


def test_backward_with_a_gradient_does_what_pytorch_does(tmp_path: Path) -> None:
    expected, _ = python_prints(PASSES, tmp_path)
    assert gradviz_prints(PASSES) == expected


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        ("x = torch.ones(3, requires_grad=True)\ny = x * 2\ny.backward(torch.ones(2))\n", "shape"),
        ("x = torch.ones(3)\ny = x * 2\ny.backward(torch.ones(3))\n", "does not require grad"),
    ],
)
def test_a_gradient_that_does_not_fit_gets_torchs_error(source: str, fragment: str) -> None:
    assert_refused_at(source, 3, fragment)


def test_the_traced_pass_shows_the_gradient_given() -> None:
    graph = trace(
        "x = torch.tensor([1.0, 2.0], requires_grad=True)\ny = x.exp()\n"
        "y.backward(torch.tensor([3.0, -1.0]))\n"
    ).graph
    y, x = graph.find("y"), graph.find("x")
    assert y is not None and x is not None
    assert y.grad is not None and y.grad.tolist() == [3.0, -1.0]
    expected = torch.tensor([3.0, -1.0]) * torch.tensor([1.0, 2.0]).exp()
    torch.testing.assert_close(x.grad, expected)
    assert [graph.node(i).op for i in graph.backward_order] == ["ExpBackward0"]
