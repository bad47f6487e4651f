"""A backward() adding to a .grad left over from an earlier step (no zero_grad()) is remarked on
at its line, once; correct loops, and gradients accumulated on purpose, are not."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from gradviz.autograd.tracer import trace
from gradviz.lang.interpreter import Interpreter
from gradviz.lang.parser import parse

LOOP = """
torch.manual_seed(0)
model = nn.Linear(2, 1)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
X = torch.randn(8, 2)
y = torch.randn(8, 1)
for step in range(3):
{zeroing}    loss = ((model(X) - y) ** 2).mean()
    loss.backward()
    opt.step()
"""


def _stale(notes: list[str]) -> list[str]:
    return [n for n in notes if "still held the gradient of an earlier backward()" in n]


def test_a_loop_without_zero_grad_is_remarked_at_its_backward_once() -> None:
    notes = _stale(trace(LOOP.format(zeroing="")).graph.notes)
    assert len(notes) == 1  # (every later step repeats the slip: said once)
    assert notes[0].startswith("⚠ at line 9: `model.weight.grad`")  # loss.backward()
    assert "optimizer.zero_grad()" in notes[0]


def test_what_it_remarks_on_is_real_the_grad_adds_up_in_torch() -> None:
    """The same loop in plain torch: the last .grad is not the last step's gradient alone."""
    torch.manual_seed(0)
    model = nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    X, y = torch.randn(8, 2), torch.randn(8, 1)
    for _ in range(3):
        loss = ((model(X) - y) ** 2).mean()
        loss.backward()
        opt.step()
    alone = torch.autograd.grad(((model(X) - y) ** 2).mean(), model.weight)[0]
    assert model.weight.grad is not None
    assert not torch.allclose(model.weight.grad, alone)


@pytest.mark.parametrize(
    "zeroing",
    [
        "    opt.zero_grad()\n",
        "    opt.zero_grad(set_to_none=False)\n",
        "    model.zero_grad()\n",
        "    for p in model.parameters():\n        p.grad = None\n",
    ],
)
def test_a_loop_that_zeroes_each_step_is_not(zeroing: str) -> None:
    assert _stale(trace(LOOP.format(zeroing=zeroing)).graph.notes) == []


def test_by_hand_sgd_that_forgets_zero_names_the_tensor_and_runs_without_a_tracer() -> None:
    source = (
        "w = torch.zeros(3, requires_grad=True)\nX = torch.ones(4, 3)\n"
        "for step in range(2):\n    loss = (X @ w - 1).pow(2).mean()\n    loss.backward()\n"
        "    with torch.no_grad():\n        w -= 0.1 * w.grad\n"
    )
    plain = Interpreter(parse(source))  # no tracer: the interpreter remarks on it itself
    plain.run()
    assert len(_stale(plain.warnings.notes())) == 1
    (note,) = _stale(trace(source).graph.notes)
    assert note.startswith("⚠ at line 5: `w.grad` still held")
    fixed = source.replace("w -= 0.1 * w.grad\n", "w -= 0.1 * w.grad\n        w.grad.zero_()\n")
    assert _stale(trace(fixed).graph.notes) == []


def test_gradients_accumulated_on_purpose_are_not() -> None:
    """Two micro-batches per step, zeroed after each step; or two backward passes into the
    same .grad with no step between them."""
    accumulate = LOOP.format(zeroing="").replace(
        "    opt.step()\n", "    if step % 2 == 1:\n        opt.step()\n        opt.zero_grad()\n"
    )
    assert _stale(trace(accumulate).graph.notes) == []
    twice = (
        "w = torch.ones(3, requires_grad=True)\n(w * 2).sum().backward()\n"
        "(w * 3).sum().backward()\nprint(w.grad)\n"
    )
    assert _stale(trace(twice).graph.notes) == []


def test_a_step_with_no_gradient_is_remarked_at_its_line() -> None:
    """zero_grad() between backward() and step(): torch's SGD skips every parameter, and the
    weights do not move (checked in torch); the remark says so at the step."""
    swapped = LOOP.format(zeroing="").replace(
        "    opt.step()\n", "    opt.zero_grad()\n    opt.step()\n"
    )
    result = trace(swapped)
    ((line, text),) = result.warnings
    assert line == 11 and text.startswith("this step() found no gradient")
    torch.manual_seed(0)
    model = nn.Linear(2, 1)
    before = model.weight.detach().clone()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    ((model(torch.randn(8, 2)) - torch.randn(8, 1)) ** 2).mean().backward()
    opt.zero_grad()
    opt.step()
    assert torch.equal(model.weight.detach(), before)
    weight = result.run.env["model"].weight  # the program's weights never moved either
    torch.testing.assert_close(weight.detach(), before)


@pytest.mark.parametrize(
    "clip",
    [
        "nn.utils.clip_grad_norm_(model.parameters(), 0.01)",
        "torch.nn.utils.clip_grad_value_(model.parameters(), 0.001)",
    ],
)
def test_clipping_the_gradients_is_no_zeroing(clip: str) -> None:
    """Clipping scales .grad in place; without zero_grad() the next backward still adds to it
    (checked in torch: the clipped gradient is in the sum). With zero_grad(): no remark."""
    clipped = LOOP.format(zeroing="").replace("    opt.step()\n", f"    {clip}\n    opt.step()\n")
    notes = _stale(trace(clipped).graph.notes)
    assert len(notes) == 1 and notes[0].startswith("⚠ at line 9: `model.weight.grad`")
    zeroed = LOOP.format(zeroing="    opt.zero_grad()\n").replace(
        "    opt.step()\n", f"    {clip}\n    opt.step()\n"
    )
    assert _stale(trace(zeroed).graph.notes) == []
    torch.manual_seed(0)
    model = nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    X, y = torch.randn(8, 2), torch.randn(8, 1)
    ((model(X) - y) ** 2).mean().backward()
    nn.utils.clip_grad_norm_(model.parameters(), 0.01)
    assert model.weight.grad is not None
    kept = model.weight.grad.clone()
    opt.step()
    ((model(X) - y) ** 2).mean().backward()
    alone = torch.autograd.grad(((model(X) - y) ** 2).mean(), model.weight)[0]
    torch.testing.assert_close(model.weight.grad, kept + alone)


def _summed(notes: list[str]) -> list[str]:
    return [n for n in notes if "sums every backward()" in n]


TWO_LOSSES = """
torch.manual_seed(0)
a = torch.randn(3, requires_grad=True)
b = torch.randn(3, requires_grad=True)
l1 = (a * b).sum()
l2 = (a + b).pow(2).sum()
l1.backward()
l2.backward()
print(a.grad, b.grad)
"""


def test_two_passes_into_the_same_grad_say_the_graph_shows_one_pass_not_the_sum() -> None:
    result = trace(TWO_LOSSES)
    (note,) = _summed(result.graph.notes)
    assert note.startswith("⚠ at line 8: `a.grad`, `b.grad` still hold the gradient of the ")
    assert "backward() at line 7" in note and "∂l2/∂node" in note
    torch.manual_seed(0)  # a run starts from seed 0, as gradviz's does, then the program's
    torch.manual_seed(0)
    a = torch.randn(3, requires_grad=True)
    b = torch.randn(3, requires_grad=True)
    l1 = (a * b).sum()
    l2 = (a + b).pow(2).sum()
    alone = torch.autograd.grad(l2, [a, b], retain_graph=True)
    l1.backward()
    l2.backward()
    for name, tensor, own in (("a", a, alone[0]), ("b", b, alone[1])):
        torch.testing.assert_close(result.graph.find(name).grad, own)  # the last pass's own
        assert tensor.grad is not None and not torch.allclose(tensor.grad, own)  # .grad: more


def test_the_tutorials_second_call_is_remarked_and_a_zeroed_third_is_not() -> None:
    source = (
        "inp = torch.eye(4, 5, requires_grad=True)\nout = (inp+1).pow(2).t()\n"
        "out.backward(torch.ones_like(out), retain_graph=True)\n"
        "out.backward(torch.ones_like(out), retain_graph=True)\n"
        "inp.grad.zero_()\n"
        "out.backward(torch.ones_like(out), retain_graph=True)\n"
    )
    (note,) = _summed(trace(source).graph.notes)
    assert note.startswith("⚠ at line 4: `inp.grad` still holds the gradient of the backward() at")
    first = "retain_graph=True)\nout"
    zeroed = source.replace(first, "retain_graph=True)\ninp.grad = None\nout", 1)
    assert _summed(trace(zeroed).graph.notes) == []


def test_a_stepped_loop_without_zero_grad_gets_the_slips_remark_alone() -> None:
    notes = trace(LOOP.format(zeroing="")).graph.notes
    assert len(_stale(notes)) == 1 and _summed(notes) == []


@pytest.mark.parametrize(
    "zeroing",
    ["    opt.zero_grad()\n", "    opt.zero_grad(set_to_none=False)\n", "    model.zero_grad()\n"],
)
def test_a_loop_that_zeroes_each_step_sums_nothing(zeroing: str) -> None:
    assert _summed(trace(LOOP.format(zeroing=zeroing)).graph.notes) == []


def test_a_leaf_whose_name_was_rebound_is_said_so_not_given_a_made_up_name() -> None:
    source = (
        "x = torch.ones(3, requires_grad=True)\nloss = x.sum()\nloss.backward()\n"
        "x = x - 0.1 * x.grad\nloss = x.sum()\nloss.backward()\n"
    )
    (note,) = _summed(trace(source).graph.notes)
    assert note.startswith("⚠ at line 6: the .grad of a leaf no name holds now still holds ")
    first = torch.ones(3, requires_grad=True)  # torch: the first x's .grad gets both passes
    first.sum().backward()
    assert first.grad is not None
    (first - 0.1 * first.grad).sum().backward()
    torch.testing.assert_close(first.grad, torch.full((3,), 2.0))


@pytest.mark.parametrize(
    "zeroing",
    [
        "        w.grad.data.zero_()\n",  # old tutorials: a write through .data
        "        g = w.grad.data\n        g.zero_()\n",  # through a view the program names
        "        g = w.grad.data\n        g.mul_(0.0)\n        g = None\n",  # named, then dropped
    ],
)
def test_zeroing_through_data_is_zeroing(zeroing: str) -> None:
    """`.data` has a version counter of its own, so the gradient's does not move; torch agrees
    the gradient was zeroed (the next .grad is that step's gradient alone)."""
    source = (
        "w = torch.zeros(3, requires_grad=True)\nX = torch.ones(4, 3)\n"
        "for step in range(3):\n    loss = (X @ w - 1).pow(2).mean()\n    loss.backward()\n"
        f"    with torch.no_grad():\n        w -= 0.1 * w.grad\n{zeroing}"
    )
    result = trace(source)
    assert _stale(result.graph.notes) == []
    w = torch.zeros(3, requires_grad=True)
    X = torch.ones(4, 3)
    for _ in range(3):
        (X @ w - 1).pow(2).mean().backward()
        with torch.no_grad():
            w -= 0.1 * w.grad  # type: ignore[operator]
        w.grad.data.zero_()  # type: ignore[union-attr]
    alone = torch.autograd.grad((X @ w - 1).pow(2).mean(), w)[0]
    traced = result.run.env["w"]
    torch.testing.assert_close(traced.detach(), w.detach())
    (X @ w - 1).pow(2).mean().backward()
    torch.testing.assert_close(w.grad, alone)


def test_reading_data_without_writing_still_leaves_the_gradient_stale() -> None:
    source = (
        "w = torch.zeros(3, requires_grad=True)\nX = torch.ones(4, 3)\n"
        "for step in range(2):\n    loss = (X @ w - 1).pow(2).mean()\n    loss.backward()\n"
        "    print(w.grad.data)\n    g = w.grad.data\n"
        "    with torch.no_grad():\n        w -= 0.1 * w.grad\n"
    )
    (note,) = _stale(trace(source).graph.notes)
    assert note.startswith("⚠ at line 5: `w.grad` still held")
