"""The guard counts the bytes of tensors alive at once: freed ones stop counting, so a loop that
rebinds a name runs, while one that keeps every tensor is refused before it exhausts memory."""

from __future__ import annotations

import pytest
import torch

from gradviz.autograd.tracer import trace
from gradviz.lang.errors import ProgramError
from gradviz.lang.interpreter import Interpreter, run_program
from gradviz.lang.limits import Limits
from gradviz.lang.parser import parse

LIMITS = Limits(max_total_bytes=64 << 20)  # 64 MiB; each tensor below is 4 MB

REBOUND = """
total = 0.0
for i in range(100):
    x = torch.ones(1000, 1000)
    total = total + float(x[0, 0])
"""

KEPT = """
kept = []
for i in range(100):
    kept.append(torch.ones(1000, 1000))
"""


def test_tensors_freed_along_the_way_stop_counting() -> None:
    run_program(parse(REBOUND, LIMITS), limits=LIMITS)  # 400 MB made, 4 MB alive at a time


def test_tensors_kept_alive_add_up_to_the_limit() -> None:
    with pytest.raises(ProgramError, match="at once"):
        run_program(parse(KEPT, LIMITS), limits=LIMITS)


def test_a_tensor_counts_while_it_is_bound_and_stops_when_freed() -> None:
    kept = Interpreter(parse("a = torch.ones(1000, 1000)\nb = a * 2", LIMITS), limits=LIMITS)
    kept.run()
    assert kept.guard.live_bytes >= 8_000_000  # a and b, 4 MB each, still bound
    freed = Interpreter(
        parse("a = torch.ones(1000, 1000)\nb = a * 2\na = 1.0\nb = 2.0", LIMITS), limits=LIMITS
    )
    result = freed.run()
    assert isinstance(result.output, torch.Tensor)  # the run's last tensor, a * 2, is kept
    assert 4_000_000 <= freed.guard.live_bytes < 4_001_000  # a itself is no longer counted


@pytest.mark.parametrize(
    "kept",
    [
        "torch.ones(1000, 1000).detach()",
        "torch.ones(1000, 1000).data",
        "torch.ones(1000, 1000).view(-1)",
        "torch.randn(1000, 1000).view(-1)",
        "torch.ones(2, 1000, 1000)[0]",
        "nn.Parameter(torch.ones(1000, 1000))",
        "nn.LSTM(500, 500)",  # its parameters made by nn.Parameter, with no size rule of ours
    ],
)
@pytest.mark.parametrize("traced", [False, True], ids=["run", "trace"])
def test_an_alias_that_outlives_the_tensor_that_made_it_still_counts(
    kept: str, traced: bool
) -> None:
    """A view, detach, .data or nn.Parameter keeps the storage alive after the tensor the op
    returned is gone (each of these once ran past the limit to 6–10 GB)."""
    source = f"kept = []\nfor i in range(100):\n    kept.append({kept})\n"
    with pytest.raises(ProgramError, match="at once") as info:
        if traced:
            trace(parse(source, LIMITS), limits=LIMITS)
        else:
            run_program(parse(source, LIMITS), limits=LIMITS)
    assert info.value.line == 3


def test_aliases_of_one_storage_count_once() -> None:
    source = "a = torch.ones(1000, 1000)\nb = a.view(-1)\nc = a.detach()\nd = a.data\ne = a[0]\n"
    run = Interpreter(parse(source, LIMITS), limits=LIMITS)
    result = run.run()
    assert result.env["e"].untyped_storage().data_ptr() == result.env["a"].data_ptr()
    assert 4_000_000 <= run.guard.live_bytes < 4_001_000


def test_a_storage_stops_counting_when_its_last_alias_goes() -> None:
    source = "a = torch.ones(1000, 1000)\nb = a.detach()\na = 1.0\n"
    run = Interpreter(parse(source, LIMITS), limits=LIMITS)
    run.run()
    assert 4_000_000 <= run.guard.live_bytes < 4_001_000  # b still holds the storage
    source += "b = 2.0\nz = torch.zeros(1)\n"  # (a run keeps its last tensor: z now)
    run = Interpreter(parse(source, LIMITS), limits=LIMITS)
    run.run()
    assert run.guard.live_bytes < 1_000


GRADIENTS_KEPT = {
    "leaf": (
        "x = torch.randn(1000, 1000, requires_grad=True)\nopt = torch.optim.SGD([x], lr=0.1)\n"
        "keep = []\nfor i in range(100):\n    opt.zero_grad()\n    (x * 2).sum().backward()\n"
        "    keep.append(x.grad)\n"
    ),
    "retained": (
        "x = torch.randn(1000, 1000, requires_grad=True)\nkeep = []\nfor i in range(100):\n"
        "    h = x * 2\n    h.retain_grad()\n    h.sum().backward()\n    keep.append(h.grad)\n"
    ),
}


@pytest.mark.parametrize("traced", [False, True], ids=["run", "trace"])
@pytest.mark.parametrize("kind", list(GRADIENTS_KEPT))
def test_gradients_a_backward_pass_made_count_once_it_is_over(kind: str, traced: bool) -> None:
    """A backward pass runs unguarded; the .grad it leaves is counted afterwards, so a loop
    that keeps each step's fresh gradient stops at the limit (it reached 6.8 GB)."""
    program = parse(GRADIENTS_KEPT[kind], LIMITS)
    with pytest.raises(ProgramError, match="at once"):
        if traced:
            trace(program, limits=LIMITS)
        else:
            run_program(program, limits=LIMITS)


def test_a_training_loop_that_drops_its_gradients_runs() -> None:
    source = GRADIENTS_KEPT["leaf"].replace("    keep.append(x.grad)\n", "    opt.step()\n")
    run_program(parse(source, LIMITS), limits=LIMITS)  # one gradient alive at a time


def test_only_tensors_of_a_handful_of_numbers_go_uncounted() -> None:
    """Tensors of at most SMALL_BYTES are not counted (each would cost more to count than its
    op): a program can hold no more than max_ops of them, a small share of the limit; one
    element more and a tensor counts."""
    from gradviz.lang.held_storages import SMALL_BYTES
    from gradviz.lang.limits import DEFAULT_LIMITS

    assert SMALL_BYTES * DEFAULT_LIMITS.max_ops <= DEFAULT_LIMITS.max_total_bytes // 16
    elements = SMALL_BYTES // 4  # float32
    small = Interpreter(
        parse(f"kept = []\nfor i in range(50):\n    kept.append(torch.ones({elements}) * 2)\n")
    )
    small.run()
    assert small.guard.live_bytes < SMALL_BYTES
    larger = Interpreter(
        parse(f"kept = []\nfor i in range(50):\n    kept.append(torch.ones({elements + 1}) * 2)\n")
    )
    larger.run()
    assert larger.guard.live_bytes >= 50 * (elements + 1) * 4


def test_a_layers_small_tensors_still_count() -> None:
    """Layers are built without the guard's ops (max_ops bounds none of them): their tensors
    count however small — nn.Linear(2, 3): a 6-float weight and a 3-float bias."""
    run = Interpreter(parse("kept = []\nfor i in range(20):\n    kept.append(nn.Linear(2, 3))\n"))
    run.run()
    assert run.guard.live_bytes >= 20 * (6 + 3) * 4


VIEWS_REBOUND = """
y = torch.ones(1000, 1000)
for i in range(40):
    y = torch.tanh(y.T * 0.5)
w = torch.ones(1000, requires_grad=True)
loss = (y[0] * w).sum()
"""


def test_a_trace_keeps_no_view_of_a_constant_the_program_let_go() -> None:
    # 40 tensors of 4 MB and a view of each: the tracer once held every view (to follow a
    # constant back to what it views), so the trace ran out at 64 MiB where the program did not
    result = trace(parse(VIEWS_REBOUND, LIMITS), limits=LIMITS)
    y = torch.ones(1000, 1000)
    for _ in range(40):
        y = torch.tanh(y.T * 0.5)
    w = torch.ones(1000, requires_grad=True)
    (y[0] * w).sum().backward()
    assert w.grad is not None
    torch.testing.assert_close(result.graph.find("w").grad, w.grad)
    loss = result.graph.node(result.graph.output)
    torch.testing.assert_close(loss.value, (y[0] * w).sum().detach())
