"""Two training-loop slips that raise nothing are remarked on at their line, once: a running
total of losses kept as a tensor, and a model evaluated in training mode. What each remark says
is checked in torch; the corrected programs get no remark."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from gradviz.autograd.tracer import trace

LOOP = """torch.manual_seed(0)
model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Dropout(0.5), nn.Linear(8, 1))
opt = torch.optim.SGD(model.parameters(), lr=0.1)
X = torch.randn(8, 2)
y = torch.randn(8, 1)
total = 0.0
for step in range(3):
    opt.zero_grad()
    loss = F.mse_loss(model(X), y)
    loss.backward()
    opt.step()
    total += {added}
print(f"mean training loss {{total / 3}}")
{evaluate}with torch.no_grad():
    test_loss = F.mse_loss(model(X), y)
print(test_loss.item())
"""


def _said(source: str) -> list[tuple[int | None, str]]:
    return trace(source).warnings


def test_a_running_total_of_loss_tensors_is_remarked_on_at_its_line() -> None:
    said = _said(LOOP.format(added="loss", evaluate="model.eval()\n"))
    assert said == [
        (
            12,
            "`total += loss` adds a tensor that carries its graph, so `total` keeps every "
            "step's graph alive and memory grows with each step: for a running total to print, "
            "add the number, `.item()` (or `.detach()`)",
        )
    ]
    assert _said(LOOP.format(added="loss.item()", evaluate="model.eval()\n")) == []


def test_what_the_total_remark_says_is_torchs_behaviour() -> None:
    w = torch.ones(2, requires_grad=True)
    total = 0.0
    for _ in range(3):
        total += (w * 2).sum()
    assert isinstance(total, torch.Tensor) and total.grad_fn is not None  # the graphs, chained


def test_a_total_the_program_differentiates_is_no_slip() -> None:
    source = (
        "w = torch.ones(2, requires_grad=True)\ntotal = 0.0\nfor i in range(3):\n"
        "    total += (w * i).sum()\ntotal.backward()\nprint(total)\n"
    )
    assert _said(source) == []


def test_a_model_evaluated_in_training_mode_is_remarked_on_once() -> None:
    said = _said(LOOP.format(added="loss.item()", evaluate=""))
    assert said == [
        (
            15,
            "`model` runs in training mode under no_grad, as when evaluating: its dropout drops "
            "units at random. Call `model.eval()` before evaluating, and `model.train()` before "
            "training again",
        )
    ]


def test_what_the_training_mode_remark_says_is_torchs_behaviour() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Dropout(0.5), nn.Linear(8, 1))
    X = torch.randn(8, 2)
    with torch.no_grad():
        assert not torch.equal(model(X), model(X))  # dropout on: two looks differ
        model.eval()
        assert torch.equal(model(X), model(X))
    norm = nn.BatchNorm1d(3)
    before = norm.running_mean.clone()
    with torch.no_grad():
        norm(torch.randn(8, 3) + 5)
    assert not torch.equal(norm.running_mean, before)  # training mode updates them


@pytest.mark.parametrize(
    ("layers", "remarked"),
    [
        ("nn.Linear(2, 4), nn.BatchNorm1d(4), nn.Linear(4, 1)", "batch norm uses this batch's"),
        ("nn.Linear(2, 4), nn.Dropout(0.0), nn.Linear(4, 1)", None),
        ("nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1)", None),
    ],
)
def test_only_layers_that_train_differently_are_remarked_on(
    layers: str, remarked: str | None
) -> None:
    source = (
        f"model = nn.Sequential({layers})\nX = torch.randn(8, 2)\n"
        "with torch.no_grad():\n    out = model(X)\n"
    )
    said = _said(source)
    if remarked is None:
        assert said == []
    else:
        ((line, text),) = said
        assert line == 4 and remarked in text
