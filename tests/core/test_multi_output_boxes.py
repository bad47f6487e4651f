"""A multi-output op's box shows the output the program read, with its gradient: the
singular values of `svd(A).S` (not U, which nothing read and whose gradient is none), the half
of a chunk that was used; and a walk-through stages those gradients like the others."""

from __future__ import annotations

import torch

from gradviz.autograd.tracer import trace
from gradviz.explain.steps import backward_steps, graph_at
from gradviz.render.labels import build_labels, format_number
from gradviz.render.theme import LIGHT


def _multi(source: str):  # type: ignore[no-untyped-def]
    graph = trace(source).graph
    node = next(n for n in graph.nodes if n.extra_outputs)
    return graph, node, build_labels(graph, LIGHT)[node.id]


def _numbers(values: torch.Tensor) -> str:
    return "[" + ", ".join(format_number(float(v), 3) for v in values) + "]"


def test_svd_s_box_shows_the_singular_values_and_their_gradient() -> None:
    graph, node, label = _multi(
        "A = torch.randn(3, 3, requires_grad=True)\nsize = (torch.linalg.svd(A).S * 2).sum()\n"
    )
    torch.manual_seed(0)
    A = torch.randn(3, 3)
    singular = torch.linalg.svdvals(A)
    assert graph.shown_output(node) == 1
    assert label.value_line == f"output 1 of 3: 3  {_numbers(singular)}"
    assert label.grad_line == f"∇ {_numbers(torch.full((3,), 2.0))}"


def test_the_used_half_of_a_chunk_is_shown_by_its_name() -> None:
    _, node, label = _multi(
        "x = torch.randn(6, requires_grad=True)\na, b = x.chunk(2)\nloss = (b * 3).sum()\n"
    )
    torch.manual_seed(0)
    x = torch.randn(6)
    assert label.title == "a, b"
    assert label.value_line == f"b: 3  {_numbers(x[3:])}"
    assert label.grad_line == f"∇ {_numbers(torch.full((3,), 3.0))}"
    assert node.grad is None  # output 0, `a`, got none: the box did not show that


def test_a_read_first_output_is_shown_as_before() -> None:
    _, _, label = _multi(
        "x = torch.randn(6, requires_grad=True)\na, b = x.chunk(2)\nloss = (a * b).sum()\n"
    )
    torch.manual_seed(0)
    x = torch.randn(6)
    assert label.value_line == f"3  {_numbers(x[:3])}"
    assert label.grad_line == f"∇ {_numbers(x[3:])}"


def test_a_walk_through_shows_the_gradient_only_once_the_node_is_reached() -> None:
    graph, node, _ = _multi(
        "x = torch.randn(6, requires_grad=True)\na, b = x.chunk(2)\nloss = (b * 3).sum()\n"
    )
    steps = backward_steps(graph)
    seen = [graph_at(graph, step).node(node.id).extra_outputs[0].grad is not None for step in steps]
    assert not seen[0] and seen[-1]  # none before its step, the real one from then on
    first = seen.index(True)
    assert all(seen[first:])
    final = graph_at(graph, steps[-1]).node(node.id).extra_outputs[0].grad
    assert isinstance(final, torch.Tensor)
    assert torch.equal(final, torch.full((3,), 3.0))


def test_the_explanation_names_the_output_the_gradient_reached() -> None:
    """At the SVD, ∂out/∂z1[1] (its S) is 2 for each singular value, and what it sent to A is
    torch's A.grad; it no longer says no gradient reached it."""
    from gradviz.explain.chain import explain

    graph, node, _ = _multi(
        "A = torch.randn(3, 3, requires_grad=True)\nsize = (torch.linalg.svd(A).S * 2).sum()\n"
    )
    torch.manual_seed(0)
    A = torch.randn(3, 3, requires_grad=True)
    (torch.linalg.svd(A).S * 2).sum().backward()
    assert A.grad is not None
    explanation = explain(graph, node)
    assert explanation.upstream == f"∂out/∂{node.name}[1] = 3 {_numbers(torch.full((3,), 2.0))}"
    assert "no gradient reached it" not in explanation.fallback
    sent = next(e.grad for e in graph.inputs_of(node.id) if e.input_index is not None)
    assert isinstance(sent, torch.Tensor)
    torch.testing.assert_close(sent, A.grad)


def test_a_split_s_explanation_names_every_output() -> None:
    from gradviz.explain.chain import explain

    graph, node, _ = _multi(
        "x = torch.randn(6, requires_grad=True)\na, b = x.chunk(2)\nloss = (b * 3).sum()\n"
    )
    explanation = explain(graph, node)
    assert explanation.heading.startswith("a, b = ")
    assert explanation.upstream == f"∂out/∂b = 3 {_numbers(torch.full((3,), 3.0))}"
