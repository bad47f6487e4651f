"""Foreach and fused in-place ops (clip_grad_norm_, `foreach=True` and fused optimizers, the
default on CUDA) move version counters under gradviz's dispatch modes as torch does without
one: torch's own check of saved tensors, and gradviz's, see their writes."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode

from gradviz.autograd.live import LiveRecording
from gradviz.autograd.tracer import trace
from gradviz.lang.errors import ProgramError
from gradviz.lang.foreach_versions import run_versioned

STEP_THEN_BACKWARD_AGAIN = """
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
X = torch.randn(4, 3)
loss = model(X).pow(2).mean()
loss.backward(retain_graph=True)
opt = {optimizer}
opt.step()
loss.backward()
"""
OPTIMIZERS = {  # the program's text, and the same optimizer made here
    "torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, foreach=True)": lambda p: (
        torch.optim.SGD(p, lr=0.1, momentum=0.9, foreach=True)
    ),
    "torch.optim.Adam(model.parameters(), lr=0.1, foreach=True)": lambda p: torch.optim.Adam(
        p, lr=0.1, foreach=True
    ),
    "torch.optim.Adam(model.parameters(), lr=0.1, fused=True)": lambda p: torch.optim.Adam(
        p, lr=0.1, fused=True
    ),
}


class _Mode(TorchDispatchMode):
    def __init__(self, run: Any) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.run = run

    def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        return self.run(func, args, kwargs or {})


def _moved(run: Any, inside: Any) -> list[int]:
    a, b = torch.ones(3), torch.ones(2)
    before = [a._version, b._version]
    with _Mode(run):
        inside(a, b)
    return [a._version - before[0], b._version - before[1]]


def test_a_foreach_write_moves_versions_under_a_mode_as_torch_does_outside_one() -> None:
    def plain(func: Any, args: Any, kwargs: Any) -> Any:
        return func(*args, **kwargs)

    def scale(a: torch.Tensor, b: torch.Tensor) -> None:
        torch._foreach_mul_([a, b], 2.0)

    a, b = torch.ones(3), torch.ones(2)
    scale(a, b)
    outside = [a._version, b._version]
    assert outside == [1, 1]
    assert _moved(run_versioned, scale) == outside
    # (what it works around: torch leaves them unchanged under a plain mode; if a later
    # torch moves them itself, run_versioned moves them no further)
    assert _moved(plain, scale) in ([0, 0], outside)
    assert _moved(run_versioned, lambda a, b: a.add_(1)) == [1, 0]


@pytest.mark.parametrize("optimizer", OPTIMIZERS, ids=["sgd foreach", "adam foreach", "fused"])
def test_backward_through_weights_a_step_changed_fails_exactly_where_torch_fails(
    optimizer: str,
) -> None:
    """The second layer saved its weight for the first layer's gradient, and the step changed
    it: torch refuses the second backward after a foreach step (not after a fused one, which
    moves no version counter), and so does gradviz."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    loss = model(torch.randn(4, 3)).pow(2).mean()
    loss.backward(retain_graph=True)
    OPTIMIZERS[optimizer](model.parameters()).step()
    try:
        loss.backward()
        torch_refused = False
    except RuntimeError as exc:
        assert "modified by an inplace operation" in str(exc)
        torch_refused = True
    assert torch_refused == ("foreach" in optimizer)
    source = STEP_THEN_BACKWARD_AGAIN.format(optimizer=optimizer)
    if not torch_refused:
        trace(source)
        return
    with pytest.raises(ProgramError, match="changed in place") as failed:
        trace(source)
    assert failed.value.line == 9


def test_a_foreach_optimizer_without_zero_grad_is_remarked() -> None:
    source = """
torch.manual_seed(0)
model = nn.Linear(2, 1)
opt = torch.optim.SGD(model.parameters(), lr=0.1, foreach=True)
X = torch.randn(8, 2)
for step in range(3):
    loss = model(X).pow(2).mean()
    loss.backward()
    opt.step()
"""
    notes = trace(source).graph.notes
    assert any("`model.weight.grad` still held the gradient" in n for n in notes)


def test_recorded_plain_code_sees_a_foreach_step_as_torch_does() -> None:
    torch.manual_seed(0)
    plain = nn.Linear(2, 1)
    torch.manual_seed(0)
    recorded = nn.Linear(2, 1)
    versions = []
    for model, recording in ((plain, None), (recorded, LiveRecording({"model": recorded}))):
        X = torch.ones(4, 2)
        opt = torch.optim.Adam(model.parameters(), lr=0.1, foreach=True)
        if recording is not None:
            with recording:
                loss = model(X).sum()
                before = model.weight._version
                loss.backward(retain_graph=True)
                opt.step()
        else:
            loss = model(X).sum()
            before = model.weight._version
            loss.backward(retain_graph=True)
            opt.step()
        versions.append(model.weight._version - before)
    assert versions[0] == versions[1] == 1


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_on_cuda_the_default_optimizer_step_is_seen_as_torch_sees_it() -> None:
    """On CUDA torch.optim takes the foreach path by default: a backward through weights its
    step changed fails in gradviz as in torch."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1)).cuda()
    loss = model(torch.randn(4, 3, device="cuda")).pow(2).mean()
    loss.backward(retain_graph=True)
    torch.optim.Adam(model.parameters(), lr=0.1).step()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()
    source = STEP_THEN_BACKWARD_AGAIN.format(
        optimizer="torch.optim.Adam(model.parameters(), lr=0.1)"
    )
    with pytest.raises(ProgramError, match="changed in place by the optimizer's step"):
        trace(source, device="cuda")
