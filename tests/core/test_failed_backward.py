"""A backward pass that raises: the program's error, with the graph of the forward it ran back
through (values as torch computed them, gradients where the pass got to)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

from gradviz.autograd.failed_pass import BackwardFailed, stopped_at
from gradviz.autograd.tracer import trace
from gradviz.autograd.walk import reachable
from gradviz.lang.errors import ProgramError

IN_PLACE = """import torch
x = torch.tensor([1.0, 2.0], requires_grad=True)
y = x.exp()
z = (y * 3).sum()
y *= 2
z.backward()
"""


def test_an_in_place_write_into_a_saved_tensor_keeps_its_graph() -> None:
    with pytest.raises(BackwardFailed) as failed:
        trace(IN_PLACE)
    error, graph = failed.value, failed.value.graph
    assert error.line == 6 and "changed in place at line 5" in error.message
    assert error.related == [(5, "`y` changed in place here, after autograd saved it for backward")]
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    y.retain_grad()
    z1 = y * 3
    z1.retain_grad()
    z = z1.sum()
    ops = sorted(type(n).__name__ for n in reachable(z.grad_fn))
    ops = [op for op in ops if op != "AccumulateGrad"]
    assert sorted(n.op for n in graph.nodes if n.kind == "op") == ops
    torch.testing.assert_close(graph.find("y").value, y.detach())
    torch.testing.assert_close(graph.find("z").value, z.detach())
    z.backward()
    assert z1.grad is not None
    torch.testing.assert_close(graph.find("z1").grad, z1.grad)  # reached before it stopped
    # where it stopped: the gradient that reached it (what its one consumer sent), no further
    assert y.grad is not None
    torch.testing.assert_close(graph.find("y").grad, y.grad)
    assert graph.find("x").grad is None
    assert [n.name for n in stopped_at(graph)] == ["y"]
    assert graph.notes[0].startswith("backward() stopped at `y` (exp) with an error")
    assert graph.notes[1] == f"✗ the error at line 6: {error.message}"  # (exports say why)


def test_backward_of_a_vector_draws_the_forward_with_no_gradients() -> None:
    source = "import torch\nx = torch.ones(3, requires_grad=True)\ny = x * 2\ny.backward()\n"
    with pytest.raises(BackwardFailed) as failed:
        trace(source)
    graph = failed.value.graph
    assert failed.value.line == 4 and "more than one number" in failed.value.message
    torch.testing.assert_close(graph.find("y").value, torch.ones(3) * 2)
    assert all(n.grad is None for n in graph.nodes) and graph.backward_order == []
    assert graph.notes[0].startswith("backward() failed before any node finished")


def test_a_second_backward_through_a_freed_graph_draws_it() -> None:
    source = (
        "import torch\nx = torch.ones(3, requires_grad=True)\n"
        "y = x.exp().sum()\ny.backward()\ny.backward()\n"
    )
    with pytest.raises(BackwardFailed) as failed:
        trace(source)
    assert failed.value.line == 5 and "freed" in failed.value.message
    graph = failed.value.graph
    torch.testing.assert_close(graph.find("y").value, torch.ones(3).exp().sum())
    assert [n.op for n in stopped_at(graph)] == ["ExpBackward0"]


def test_a_loop_that_fails_at_its_third_step_shows_that_steps_graph() -> None:
    source = """import torch
import torch.nn as nn
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(2, 4), nn.Sigmoid(), nn.Linear(4, 1))
X = torch.randn(8, 2)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
for step in range(3):
    opt.zero_grad()
    h = model[1](model[0](X))
    loss = model[2](h).pow(2).mean()
    if step == 2:
        h.mul_(2)
    loss.backward()
    opt.step()
"""
    with pytest.raises(BackwardFailed) as failed:
        trace(source)
    assert failed.value.line == 13 and "line 12" in failed.value.message
    graph = failed.value.graph
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 4), nn.Sigmoid(), nn.Linear(4, 1))
    X = torch.randn(8, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(2):
        opt.zero_grad()
        model(X).pow(2).mean().backward()
        opt.step()
    loss = model(X).pow(2).mean()
    torch.testing.assert_close(graph.find("loss").value, loss.detach())
    weight = next(n for n in graph.nodes if n.param_path == "model.0.weight")
    torch.testing.assert_close(weight.value, model[0].weight.detach())  # the third step's
    assert weight.grad is None  # never reached
    output = model(X)
    output.retain_grad()
    output.pow(2).mean().backward()
    (stopped,) = stopped_at(graph)
    assert output.grad is not None
    torch.testing.assert_close(stopped.grad, output.grad)  # what reached it
    # the second layer saved h (its input) for its weight's gradient: backward stopped there
    assert [(n.op, n.module) for n in stopped_at(graph)] == [("AddmmBackward0", "model.2")]


def test_a_backward_of_nothing_that_requires_grad_stays_a_plain_error() -> None:
    source = "import torch\nx = torch.ones(3)\ny = (x * 2).sum()\ny.backward()\n"
    with pytest.raises(ProgramError) as failed:
        trace(source)
    assert not isinstance(failed.value, BackwardFailed) and failed.value.line == 4


def test_gradviz_s_own_backward_from_the_output_says_its_error_at_the_output(
    tmp_path: Path,
) -> None:
    """A program that calls no backward(): gradviz runs it from the output, and an in-place
    write into a saved tensor fails only then (it was an uncaught RuntimeError)."""
    path = tmp_path / "p.py"
    path.write_text("x = 2.0\ny = exp(x)\ny *= 2\ny\n")
    with pytest.raises(BackwardFailed) as failed:
        trace(path.read_text())
    assert failed.value.line == 4
    assert "the backward pass gradviz runs from `y` (the program calls no backward())" in str(
        failed.value
    )
    assert "changed in place at line 3" in failed.value.message
    assert [line for line, _ in failed.value.related] == [3]
    torch.testing.assert_close(failed.value.graph.find("y").value, torch.tensor(2.0).exp() * 2)
    result = subprocess.run(
        [sys.executable, "-m", "gradviz", "trace", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith("error: line 4: the backward pass gradviz runs from `y`")
    assert "Traceback" not in result.stderr


def test_a_forward_outside_the_loop_names_the_stepped_weight_and_the_step() -> None:
    """The classic slip: the forward once, above the loop, and retain_graph=True to get past
    the first error; the second backward then meets weights a step changed (torch: in place)."""
    source = """torch.manual_seed(0)
model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1))
opt = torch.optim.SGD(model.parameters(), lr=0.1)
X = torch.randn(16, 2)
y = torch.randn(16, 1)
out = model(X)
for epoch in range(5):
    loss = F.mse_loss(out, y)
    opt.zero_grad()
    loss.backward(retain_graph=True)
    opt.step()
"""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    X, y = torch.randn(16, 2), torch.randn(16, 1)
    out = model(X)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        for _ in range(5):
            loss = nn.functional.mse_loss(out, y)
            opt.zero_grad()
            loss.backward(retain_graph=True)
            opt.step()
    with pytest.raises(BackwardFailed) as failed:
        trace(source)
    error = failed.value
    assert error.line == 10
    assert error.message.startswith(
        "in `loss.backward(retain_graph=True)`: `model.2.weight` was changed in place by the "
        "optimizer's step() at line 11 (`opt.step()`)"
    )
    assert (11, "`model.2.weight` changed in place here, after autograd saved it for backward") in (
        error.related
    )
    torch.testing.assert_close(error.graph.find("out").value, out.detach())


def test_stepping_through_a_failed_pass_ends_where_it_stopped() -> None:
    from gradviz.explain.steps import backward_steps

    with pytest.raises(BackwardFailed) as failed:
        trace(IN_PLACE)
    graph = failed.value.graph
    steps = backward_steps(graph)
    y = graph.find("y")
    assert y is not None
    assert [s.node_id for s in steps[1:]] == [*graph.backward_order, y.id]
    assert steps[-1].caption == (
        f"step {len(steps) - 1}/{len(steps) - 1}: backward() stopped at y (ExpBackward0) with an "
        "error: the gradient reached it, but it sent none on"
    )
    reached = steps[-1].grads[y.id]
    assert reached is not None
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y_torch = x.exp()
    y_torch.retain_grad()
    (y_torch * 3).sum().backward()
    torch.testing.assert_close(reached, y_torch.grad)
    assert graph.find("x").id not in steps[-1].grads  # nothing went further


def test_the_chain_rule_panel_claims_nothing_sent_from_where_it_stopped() -> None:
    from gradviz.explain.chain import explain

    with pytest.raises(BackwardFailed) as failed:
        trace(IN_PLACE)
    graph = failed.value.graph
    y = graph.find("y")
    assert y is not None
    said = explain(graph, y)
    assert said.terms == []
    assert said.fallback.startswith("PyTorch's ExpBackward0 raised the error here")


def test_weights_stepped_by_hand_under_an_old_graph_are_named_without_an_optimizer() -> None:
    source = """torch.manual_seed(0)
model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
X = torch.randn(4, 3)
loss = model(X).pow(2).mean()
loss.backward(retain_graph=True)
with torch.no_grad():
    for p in model.parameters():
        p -= 0.1 * p.grad
loss.backward()
"""
    with pytest.raises(BackwardFailed) as failed:
        trace(source)
    assert failed.value.message.startswith(
        "in `loss.backward()`: `model.2.weight` was changed in place after the forward pass"
    )


def test_a_programs_own_backward_that_raises_is_where_it_stopped() -> None:
    """Example 22's MyExp with a backward returning two gradients for one input: the pass
    stops at MyExpBackward (z1's mul, still waiting for its contribution, is not named)."""
    from pathlib import Path

    import gradviz

    example = Path(gradviz.__file__).parent / "resources" / "examples" / "22_custom_backward.py"
    source = example.read_text().replace(
        "return grad_output * result", "return grad_output * result, 1.0"
    )
    with pytest.raises(BackwardFailed) as failed:
        trace(source)
    graph = failed.value.graph
    assert "returned an incorrect number of gradients" in failed.value.message
    ((stopped,),) = [stopped_at(graph)]
    assert stopped.op == "MyExpBackward" and stopped.defined_by == "MyExp"
    assert graph.notes[0].startswith(f"backward() stopped at `{stopped.name}` (MyExpBackward)")
    z1 = graph.find("z1")
    assert z1 is not None and z1.grad is None  # waiting for MyExp's share, never ran


def test_autograd_grad_through_a_tensor_changed_in_place_is_said_as_for_backward() -> None:
    source = IN_PLACE.replace("z.backward()", "g = torch.autograd.grad(z, x)")
    with pytest.raises(BackwardFailed) as failed:
        trace(source)
    assert failed.value.line == 6 and "changed in place at line 5" in failed.value.message
    assert [line for line, _ in failed.value.related] == [5]
    assert [n.name for n in stopped_at(failed.value.graph)] == ["y"]
