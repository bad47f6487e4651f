"""Every value and gradient the tracer reports equals torch computed independently in the test."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
import torch

from gradviz.autograd.tracer import trace
from tests.core.corpus import CASES, Case

ACC = "torch::autograd::AccumulateGrad"


def reference_walk(output: torch.Tensor) -> list[Any]:
    """The test's own walk over grad_fn.next_functions (not gradviz's)."""
    seen: list[Any] = []
    stack = [output.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.append(node)
        stack.extend(child for child, _ in node.next_functions)
    return seen


def reference_backward_order(case: Case) -> tuple[list[str], list[tuple[torch.Tensor | None, ...]]]:
    """Run the reference again with pre-hooks on every node; the engine's order and grads."""
    order: list[str] = []
    grads: list[tuple[torch.Tensor | None, ...]] = []
    original_backward = torch.Tensor.backward

    def backward_with_hooks(self: torch.Tensor, *args: Any, **kwargs: Any) -> None:
        handles = []
        for node in reference_walk(self):
            if node.name() == ACC:
                continue

            def hook(grad_outputs: Any, node: Any = node) -> None:
                order.append(node.name())
                grads.append(
                    tuple(g.detach().clone() if g is not None else None for g in grad_outputs)
                )

            handles.append(node.register_prehook(hook))
        order.clear()
        grads.clear()
        try:
            original_backward(self, *args, **kwargs)
        finally:
            for handle in handles:
                handle.remove()

    torch.Tensor.backward = backward_with_hooks  # type: ignore[method-assign]
    try:
        case.reference()
    finally:
        torch.Tensor.backward = original_backward  # type: ignore[method-assign]
    return order, grads


def assert_close(actual: Any, expected: torch.Tensor, what: str) -> None:
    assert isinstance(actual, torch.Tensor), f"{what}: no tensor recorded"
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    torch.testing.assert_close(actual.float(), expected.detach().float(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_values_and_gradients_match_torch(case: Case) -> None:
    graph = trace(case.source).graph
    named, output = case.reference()
    for name, expected in named.items():
        found = graph.lookup(name)
        assert found is not None, f"no node named {name!r}; have {[n.name for n in graph.nodes]}"
        node, nr = found
        assert_close(graph.output_value(node, nr), expected, f"{name} value")
        if expected.requires_grad:
            assert expected.grad is not None, f"reference has no grad for {name}"
            assert_close(graph.output_grad(node, nr), expected.grad, f"{name} grad")
        else:
            assert graph.output_grad(node, nr) is None, f"{name} should have no gradient"
    out_node = graph.node(graph.output)  # type: ignore[arg-type]
    assert_close(out_node.value, output, "output value")


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_op_nodes_are_pytorchs_autograd_nodes(case: Case) -> None:
    graph = trace(case.source).graph
    _, output = case.reference()
    expected = Counter(n.name() for n in reference_walk(output) if n.name() != ACC)
    actual = Counter(n.op for n in graph.nodes if n.kind == "op")
    assert actual == expected


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_backward_order_and_gradients_follow_the_engine(case: Case) -> None:
    graph = trace(case.source).graph
    order, grads = reference_backward_order(case)
    assert [graph.node(i).op for i in graph.backward_order] == order
    for node_id, expected in zip(graph.backward_order, grads, strict=True):
        node = graph.node(node_id)
        if expected[0] is not None:
            assert_close(node.grad, expected[0], f"{node.name} grad at its backward step")
        for extra, want in zip(node.extra_outputs, expected[1:], strict=False):
            if want is not None:
                assert_close(extra.grad, want, f"{node.name} extra output grad")
                assert extra.value is not None


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_gradient_is_the_sum_of_its_consumers_contributions(case: Case) -> None:
    graph = trace(case.source).graph
    for node in graph.nodes:
        if node.kind == "const" or node.grad is None:
            continue
        contributions = [
            e.grad for e in graph.consumers_of(node.id) if e.grad is not None and e.output_nr == 0
        ]
        if not contributions or node.id == graph.output:
            continue
        total = torch.stack([c.expand_as(node.grad) for c in contributions]).sum(0)
        torch.testing.assert_close(total, node.grad, rtol=1e-5, atol=1e-6)


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 30
