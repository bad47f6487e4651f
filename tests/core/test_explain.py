"""The walk-through and the chain-rule panel: every step and every number against torch."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
import torch

from gradviz.autograd.tracer import trace
from gradviz.explain.chain import explain
from gradviz.explain.rules import RULES, rule_for
from gradviz.explain.steps import backward_steps, forward_steps, graph_at, recursive_steps
from tests.core.corpus import CASES
from tests.core.test_tracer_corpus import reference_backward_order

# Programs whose op nodes, together, use every rule.
RULE_PROGRAMS = [
    "a = torch.randn(3, 2, requires_grad=True)\nb = torch.randn(2, requires_grad=True)\n"
    "out = (a + b - 2 * b + 3.0 - a * b / (b * b + 1) + (1.5 - a) ** 2).sum()",
    "x = torch.rand(4, requires_grad=True) + 0.5\n"
    "out = (x.exp() + x.log() + x.log1p() + x.expm1() + x.sin() + x.cos() + x.tan() + x.tanh() "
    "+ x.sigmoid() + x.relu() + x.sqrt() + x.rsqrt() + x.reciprocal() + (-x).abs() + x.square() "
    "+ x ** x + (-x)).mean()",
    "A = torch.randn(3, 4, requires_grad=True)\nB = torch.randn(4, 2, requires_grad=True)\n"
    "c = torch.randn(2, requires_grad=True)\nv = torch.randn(4, requires_grad=True)\n"
    "out = (torch.mm(A, B) + torch.addmm(c, A, B)).sum() + torch.mv(A, v).sum() + torch.dot(v, v)",
    "A = torch.randn(2, 3, 4, requires_grad=True)\nB = torch.randn(2, 4, 5, requires_grad=True)\n"
    "out = torch.bmm(A, B).mean(dim=1).sum()",
    "x = torch.randn(2, 3, 4, requires_grad=True)\n"
    "y = x.permute(2, 0, 1).transpose(0, 1).reshape(8, 3).t().unsqueeze(0).squeeze(0)\n"
    "z = x.view(6, 4)[0].expand(3, 4)\nout = (y.sum(dim=0, keepdim=True) * 2).sum() + z.sum()",
    "logits = torch.randn(4, 3, requires_grad=True)\nlabels = torch.tensor([0, 2, 1, 1])\n"
    "p = torch.softmax(logits, dim=1)\nlp = F.log_softmax(logits, dim=1)\n"
    "out = F.nll_loss(lp, labels) + (p * torch.arange(3.0)).sum()",
    "pred = torch.randn(5, requires_grad=True)\ntarget = torch.randn(5)\n"
    "t = torch.tensor([1.0, 0.0, 1.0, 0.0, 1.0])\n"
    "out = F.mse_loss(pred, target) + F.binary_cross_entropy_with_logits(pred, t)",
    "x = torch.randn(6, requires_grad=True)\ny = torch.randn(6, requires_grad=True)\n"
    "out = (torch.clamp(x, -0.5, 0.5) + torch.where(x > 0, x * 2, y)).sum()",
    "v = torch.randn(4, requires_grad=True)\nW = torch.randn(4, 3, requires_grad=True)\n"
    "out = torch.matmul(v, W).sum()",  # matmul of a vector: unsqueeze, mm, squeeze_
]


def autograd_reference(
    op: str, args: tuple[Any, ...], kwargs: dict[str, Any], upstream: torch.Tensor
):  # type: ignore[no-untyped-def]
    """Run the same ATen op on fresh leaves and ask torch.autograd.grad (the test's own path)."""
    _, name, overload = op.split(".")
    packet = getattr(torch.ops.aten, name)
    func = getattr(packet, overload)
    leaves = [
        a.detach().clone().requires_grad_(True)
        if isinstance(a, torch.Tensor) and a.is_floating_point()
        else a
        for a in args
    ]
    inputs = list(leaves)
    if name.endswith("_"):
        inputs[0] = leaves[0] * 1.0  # an in-place op needs a non-leaf to write into
    out = func(*inputs, **kwargs)
    if isinstance(out, (tuple, list)):
        out = out[0]  # e.g. nll_loss_forward returns (loss, total_weight)
    wanted = [leaf for leaf in leaves if isinstance(leaf, torch.Tensor) and leaf.requires_grad]
    grads = torch.autograd.grad(out, [w for w in wanted], upstream, allow_unused=True)
    by_position, k = [], 0
    for leaf in leaves:
        if isinstance(leaf, torch.Tensor) and leaf.requires_grad:
            by_position.append(grads[k])
            k += 1
        else:
            by_position.append(None)
    return by_position


def test_every_rule_reproduces_torch_autograd_grad() -> None:
    checked: Counter[str] = Counter()
    for source in RULE_PROGRAMS:
        graph = trace(source).graph
        for node in graph.nodes:
            if node.call is None or node.grad is None:
                continue
            rule = rule_for(node.call.op)
            if rule is None:
                continue
            value = node.value if isinstance(node.value, torch.Tensor) else torch.tensor(node.value)
            computed = rule.compute(node.call.args, node.call.kwargs, value, node.grad)
            expected = autograd_reference(node.call.op, node.call.args, node.call.kwargs, node.grad)
            for i, (mine, theirs) in enumerate(zip(computed, expected, strict=False)):
                if mine is None or theirs is None or rule.partials[i] is None:
                    continue
                op = node.call.op
                torch.testing.assert_close(
                    mine, theirs, rtol=1e-4, atol=1e-5, msg=lambda m, op=op: f"{op}: {m}"
                )
            checked[node.call.op.split(".")[1]] += 1
    names = {key.split(".")[0] for key in RULES}
    missing = names - set(checked) - {"pow"}
    assert not missing, f"rules never exercised: {sorted(missing)}"
    assert checked["pow"] >= 2


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_the_walkthrough_follows_the_engine_and_shows_its_gradients(case) -> None:  # type: ignore[no-untyped-def]
    graph = trace(case.source).graph
    steps = backward_steps(graph)
    order, grads = reference_backward_order(case)
    assert [graph.node(s.node_id).op for s in steps[1:]] == order
    for step, recorded in zip(steps[1:], grads, strict=True):
        shown = step.grads[step.node_id]
        if recorded[0] is not None:
            torch.testing.assert_close(shown, recorded[0])
    final = steps[-1]
    for node in graph.nodes:  # at the end every leaf shows its full gradient
        if node.kind in ("input", "param") and node.grad is not None:
            torch.testing.assert_close(final.grads[node.id].reshape(node.grad.shape), node.grad)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_every_op_node_has_a_rule_or_an_honest_fallback(case) -> None:  # type: ignore[no-untyped-def]
    graph = trace(case.source).graph
    for node in graph.nodes:
        if node.kind != "op":
            continue
        explanation = explain(graph, node)
        if explanation.fallback is not None:
            assert explanation.fallback.startswith(f"computed by PyTorch's {node.op}")
            continue
        for term in explanation.terms:  # the rule's numbers are what PyTorch sent
            assert term.computed is not None
            if term.recorded is not None:
                torch.testing.assert_close(
                    term.computed.reshape(term.recorded.shape), term.recorded, rtol=1e-4, atol=1e-5
                )


def test_lecture_fan_out_is_an_explicit_sum() -> None:
    graph = trace("x = 2.0\ny = 3.0\nz1 = x*y\nz2 = exp(z1)\nz3 = z1 + z2").graph
    z1 = graph.find("z1")
    assert z1 is not None
    explanation = explain(graph, z1)
    e6 = float(torch.exp(torch.tensor(6.0)))
    assert sorted(v for _, v in explanation.arriving) == sorted(["1.0", f"{e6:.5g}"])
    assert explanation.arriving_total.endswith(f"= {1 + e6:.5g}")
    x_term = next(t for t in explanation.terms if t.operand.endswith("x"))
    assert x_term.product == f"{1 + e6:.5g} × 3.0 = {3 * (1 + e6):.5g}"


def test_leaves_accumulate_and_unreached_nodes_have_no_gradient_yet() -> None:
    graph = trace("a = 1.5\nb = a * a\nc = a + b\nd = c * a").graph
    steps = backward_steps(graph)
    a = graph.find("a")
    assert a is not None and a.grad is not None
    partial = [float(s.grads[a.id]) for s in steps if a.id in s.grads]
    assert partial == sorted(partial) and partial[-1] == pytest.approx(float(a.grad))
    assert len(set(partial)) >= 2  # it grows as contributions arrive
    first = graph_at(graph, steps[1])
    unreached = [n for n in first.nodes if n.kind == "op" and n.id not in steps[1].grads]
    assert unreached and all(n.grad is None for n in unreached)


def test_a_sum_still_waiting_for_contributions_is_marked_until_the_last_arrives() -> None:
    """x of x*y + exp(x*y) gets y·e^xy from one product first, then y from the other: between
    the two its box shows the partial sum, marked with an ellipsis; at the end, the whole one."""
    from gradviz.explain.steps import partial_at
    from gradviz.render.labels import build_labels
    from gradviz.render.theme import LIGHT

    graph = trace("x = 2.0\ny = 3.0\nx*y + exp(x*y)\n").graph
    x = graph.find("x")
    assert x is not None
    steps = backward_steps(graph)
    marked = [s for s in steps if x.id in partial_at(graph, s)]
    assert marked, "some step shows x's gradient before both products have sent theirs"
    step = marked[0]
    torch_x, torch_y = torch.tensor(2.0), torch.tensor(3.0)
    through_exp = torch_y * torch.exp(torch_x * torch_y)  # ∂/∂x of exp(xy), sent first
    assert float(step.grads[x.id]) == pytest.approx(float(through_exp), rel=1e-6)
    labels = build_labels(graph_at(graph, step), LIGHT, partial=partial_at(graph, step))
    assert labels[x.id].grad_line is not None and labels[x.id].grad_line.endswith("…")
    last = steps[-1]
    assert partial_at(graph, last) == frozenset()
    final = build_labels(graph_at(graph, last), LIGHT, partial=partial_at(graph, last))
    assert final[x.id].grad_line is not None and not final[x.id].grad_line.endswith("…")
    assert float(last.grads[x.id]) == pytest.approx(float(through_exp + torch_y), rel=1e-6)


def test_forward_steps_reveal_values_in_execution_order() -> None:
    graph = trace("x = 2.0\ny = 3.0\nz1 = x*y\nz2 = exp(z1)\nz3 = z1 + z2").graph
    steps = forward_steps(graph)
    assert [graph.node(s.node_id).name for s in steps[1:]] == ["z1", "z2", "z3"]
    hidden = graph_at(graph, steps[1])
    assert hidden.find("z3").value is None and hidden.find("z1").value is not None  # type: ignore[union-attr]


def test_recursion_matches_the_lecture() -> None:
    graph = trace("x = 2.0\ny = 3.0\nz1 = x*y\nz2 = exp(z1)\nz3 = z1 + z2").graph
    x = graph.find("x")
    assert x is not None
    steps = recursive_steps(graph, x.id)
    captions = [s.caption for s in steps]
    assert any("is cached" in c for c in captions)  # z3 is reached twice
    assert captions[-1].endswith(f"= {float(x.grad):.5g}")  # type: ignore[arg-type]
    assert max(len(s.stack) for s in steps) == 3  # x → z1 → z2


def test_an_operand_in_another_shape_says_so() -> None:
    """The lecture's torch.matmul(x, w) with a vector x: PyTorch runs mm on x as a 1×5 matrix
    (seen here with torch's own graph), and the panel says "x viewed as 1×5", not "x: 1×5"."""
    source = (
        "import torch\nx = torch.ones(5)\nw = torch.randn(5, 3, requires_grad=True)\n"
        "z = torch.matmul(x, w)\nloss = z.sum()\n"
    )
    reference = torch.matmul(torch.ones(5), torch.randn(5, 3, requires_grad=True))
    ops = []
    node = reference.grad_fn
    while node is not None:  # SqueezeBackward ← MmBackward, as torch decomposes it
        ops.append(node.name())
        node = next((n for n, _ in node.next_functions if n is not None and "Mm" in n.name()), None)
    assert ops[-1].startswith("MmBackward")
    graph = trace(source).graph
    mm = next(n for n in graph.nodes if n.op is not None and n.op.startswith("MmBackward"))
    lines = explain(graph, mm).inputs
    assert lines[0].startswith("A = x viewed as 1×5 "), lines
    assert lines[1].startswith("B = w: 5×3 "), lines  # the same shape: no "viewed as"
