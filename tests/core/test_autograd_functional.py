"""torch.autograd.functional (jacobian, hessian, vjp, jvp, hvp, vhp) of functions a program
defines: what Python prints, and a graph through a jacobian made with create_graph."""

from __future__ import annotations

from pathlib import Path

import torch

from gradviz.autograd.tracer import trace
from tests.core.same_as_python import gradviz_prints, python_prints

PROGRAM = """import torch
from torch.autograd.functional import jacobian, hessian, vjp, jvp, hvp, vhp
def f(x):
    return x ** 2 + 3 * x
def g(x):
    return (x ** 3).sum()
def two(x, y):
    return x * y + y.exp()
x = torch.tensor([1.0, 2.0, 3.0])
y = torch.tensor([0.5, -1.0, 2.0])
print(jacobian(f, x, create_graph=False))
print(jacobian(two, (x, y)))
print(hessian(g, x))
v = torch.ones(3)
print(vjp(f, x, v))
print(jvp(f, x, v))
print(hvp(g, x, v))
print(vhp(g, x, v))
w = torch.tensor([1.0, 2.0], requires_grad=True)
J = jacobian(f, w, create_graph=True)
loss = J.sum()
loss.backward()
print(w.grad)
print(jacobian(f, x, vectorize=True))
"""


def test_autograd_functional_prints_what_python_prints(tmp_path: Path) -> None:
    expected, _ = python_prints(PROGRAM, tmp_path)
    assert gradviz_prints(PROGRAM) == expected


def test_a_jacobian_made_with_create_graph_is_differentiated_in_the_graph() -> None:
    graph = trace(PROGRAM).graph
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    J = torch.autograd.functional.jacobian(lambda x: x**2 + 3 * x, w, create_graph=True)
    J.sum().backward()
    found_w, found_j = graph.find("w"), graph.find("J")
    assert found_w is not None and found_j is not None
    torch.testing.assert_close(found_w.grad, w.grad)
    torch.testing.assert_close(found_j.value, J.detach())
