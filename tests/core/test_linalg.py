"""torch.linalg in programs: imported as a course writes it, results read by their fields, and
listed in the language reference (values and gradients: the corpus's linalg cases)."""

from __future__ import annotations

import torch

from gradviz.autograd.tracer import trace
from gradviz.lang.catalog_names import LINALG
from gradviz.lang.interpreter import run_program
from gradviz.lang.parser import parse
from gradviz.lang.reference import language_reference


def test_closed_form_least_squares_is_torch_s() -> None:
    """The lecture's comparison: the normal equations solved in closed form, as torch solves
    them, next to lstsq's answer."""
    source = (
        "import torch\nimport torch.linalg as LA\nfrom torch.linalg import lstsq\n"
        "X = torch.randn(50, 3)\ny = X @ torch.tensor([1.0, -2.0, 0.5]) + 0.1 * torch.randn(50)\n"
        "w = LA.solve(X.T @ X, X.T @ y)\nbest = lstsq(X, y.unsqueeze(1)).solution.squeeze(1)\n"
    )
    env = run_program(parse(source)).env
    torch.manual_seed(0)
    X = torch.randn(50, 3)
    y = X @ torch.tensor([1.0, -2.0, 0.5]) + 0.1 * torch.randn(50)
    assert torch.equal(env["w"], torch.linalg.solve(X.T @ X, X.T @ y))
    best = torch.linalg.lstsq(X, y.unsqueeze(1)).solution.squeeze(1)
    torch.testing.assert_close(env["best"], best, rtol=1e-5, atol=1e-6)  # (LAPACK's threads)


def test_a_norm_s_gradient_is_drawn_at_its_node() -> None:
    graph = trace("x = torch.randn(4, requires_grad=True)\nn = torch.linalg.norm(x)\n").graph
    node = next(n for n in graph.nodes if n.name == "n")
    leaf = next(n for n in graph.nodes if n.name == "x")
    assert node.op == "LinalgVectorNormBackward0"
    torch.manual_seed(0)
    x = torch.randn(4)
    assert isinstance(leaf.grad, torch.Tensor)
    torch.testing.assert_close(leaf.grad, x / torch.linalg.norm(x))


def test_the_reference_lists_torch_linalg() -> None:
    text = language_reference()
    assert "torch.linalg" in text
    assert all(f"`{name}`" in text for name in LINALG)
