"""`out=` (as PyTorch's Tensors tutorial writes `torch.matmul(tensor, tensor.T, out=y3)`): the
result written into the given tensor as Python does, with its memory checked before torch
resizes it and counted while it lives."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from gradviz.autograd.tracer import trace
from gradviz.lang.errors import ProgramError
from gradviz.lang.interpreter import Interpreter
from gradviz.lang.limits import Limits
from gradviz.lang.parser import parse
from tests.core.same_as_python import assert_refused_at, gradviz_prints, python_prints

WRITES = """import torch
a = torch.arange(6.0).reshape(2, 3)
same = torch.rand_like(a @ a.T)
torch.matmul(a, a.T, out=same)
print(same)
empty = torch.empty(0)
torch.mul(a, a, out=empty)
print(empty.shape, empty)
filled = torch.empty(1)
torch.ones(2, 2, out=filled)
print(filled)
values, indices = torch.empty(0), torch.empty(0, dtype=torch.long)
torch.max(a, dim=0, out=(values, indices))
print(values, indices)
given = torch.zeros(3)
result = torch.add(torch.ones(3), 1, out=given)
print(result is given, given)
kwargs = {"out": torch.empty(0)}
torch.sub(a, 1, **kwargs)
print(kwargs["out"])
"""


def test_out_writes_what_python_writes(tmp_path: Path) -> None:
    expected, _ = python_prints(WRITES, tmp_path)
    assert gradviz_prints(WRITES) == expected


def test_an_out_torch_would_grow_past_the_limit_is_refused_before() -> None:
    assert_refused_at(
        "a = torch.ones(100000, 1)\nb = torch.ones(1, 100000)\ny = torch.empty(0)\n"
        "torch.mm(a, b, out=y)\n",
        4,
        "10,000,000,000 elements",
    )


def test_what_an_out_gains_counts_while_it_lives() -> None:
    limits = Limits(max_total_bytes=64 << 20)
    grown = Interpreter(parse("y = torch.empty(0)\ntorch.ones(1000, 1000, out=y)\n"), limits=limits)
    grown.run()
    assert 4_000_000 <= grown.guard.live_bytes < 4_001_000
    freed = Interpreter(
        parse("y = torch.empty(0)\ntorch.ones(1000, 1000, out=y)\ny = 1.0\nz = torch.zeros(1)\n"),
        limits=limits,
    )
    freed.run()
    assert freed.guard.live_bytes < 1_000
    kept = (
        "kept = []\nfor i in range(100):\n    y = torch.empty(0)\n"
        "    torch.ones(1000, 1000, out=y)\n    kept.append(y)\n"
    )
    with pytest.raises(ProgramError, match="at once"):
        Interpreter(parse(kept), limits=limits).run()


def test_out_into_a_tensor_that_requires_grad_gets_torchs_error_at_its_line() -> None:
    assert_refused_at(
        "x = torch.ones(2, requires_grad=True)\ny = torch.empty(2)\ntorch.mul(x, 2, out=y)\n",
        3,
        "don't support automatic differentiation",
    )


def test_a_constant_written_through_out_feeds_the_graph_with_its_value() -> None:
    graph = trace(
        "x = torch.ones(2, 2, requires_grad=True)\nw = torch.empty(2, 2)\n"
        "torch.ones(2, 2, out=w)\ntorch.mul(w, 3, out=w)\nloss = (x * w).sum()\n"
    ).graph
    x = torch.ones(2, 2, requires_grad=True)
    w = torch.full((2, 2), 3.0)
    (x * w).sum().backward()
    found_x, found_w = graph.find("x"), graph.find("w")
    assert found_x is not None and found_w is not None and found_w.kind == "const"
    torch.testing.assert_close(found_w.value, w)
    torch.testing.assert_close(found_x.grad, x.grad)
