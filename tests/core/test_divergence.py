"""A training loop whose loss turns inf or NaN is remarked on at the backward() where it first
did, with that pass's number, checked against the same loop in torch."""

from __future__ import annotations

import math

import torch

from gradviz.autograd.tracer import trace

DIVERGING = """
torch.manual_seed(0)
w = torch.randn(3, requires_grad=True)
X = torch.randn(20, 3) * 10
y = torch.randn(20)
opt = torch.optim.SGD([w], lr={lr})
for step in range(30):
    opt.zero_grad()
    loss = ((X @ w - y) ** 2).mean()
    loss.backward()
    opt.step()
"""


def _first_not_finite_in_torch(lr: float) -> tuple[int, float] | None:
    torch.manual_seed(0)
    w = torch.randn(3, requires_grad=True)
    X, y = torch.randn(20, 3) * 10, torch.randn(20)
    opt = torch.optim.SGD([w], lr=lr)
    for step in range(30):
        opt.zero_grad()
        loss = ((X @ w - y) ** 2).mean()
        if not math.isfinite(loss.item()):
            return step + 1, loss.item()
        loss.backward()
        opt.step()
    return None


def test_the_pass_where_the_loss_stopped_being_finite_is_named() -> None:
    found = _first_not_finite_in_torch(0.5)
    assert found is not None and found[0] > 1  # this loop does diverge, after finite steps
    passes, value = found
    result = trace(DIVERGING.format(lr=0.5))
    ((line, text),) = result.warnings
    assert line == 10  # loss.backward()
    assert text.startswith(f"the loss is {value} at this backward(), pass {passes} of the run")
    assert f"after {passes - 1} finite ones" in text


def test_a_loop_that_converges_or_a_loss_bad_from_the_start_is_not() -> None:
    assert _first_not_finite_in_torch(0.001) is None
    assert trace(DIVERGING.format(lr=0.001)).warnings == []
    nan_from_start = "x = torch.tensor(-1.0, requires_grad=True)\ny = torch.sqrt(x)\ny.backward()\n"
    assert trace(nan_from_start).warnings == []  # (the graph's NaN marks say where)
