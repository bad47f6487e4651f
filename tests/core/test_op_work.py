"""The guard's work rules (convolution, pooling, attention, matrix products, torch.linalg)
against what PyTorch counts or makes for the same call, and programs past the limit refused
before the op runs."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import pytest
import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode, sdpa_flop_count

from gradviz.lang.errors import ProgramError
from gradviz.lang.interpreter import run_program
from gradviz.lang.parser import parse
from gradviz.lang.work import work_rule
from tests.core.test_sizes import _Calls


def _one_ruled_call(run: Callable[[], object]) -> tuple[Any, tuple[Any, ...], dict[str, Any], Any]:
    with _Calls() as seen:
        run()
    ruled = [call for call in seen.calls if work_rule(call[0]) is not None]
    assert len(ruled) == 1, [call[0] for call in ruled]
    return ruled[0]


def _predicted(call: tuple[Any, tuple[Any, ...], dict[str, Any], Any]) -> int | None:
    func, args, kwargs, _ = call
    rule = work_rule(func)
    assert rule is not None
    return rule.rule(args, kwargs)


X1, X2, X3 = torch.randn(2, 3, 17), torch.randn(2, 3, 13, 11), torch.randn(1, 2, 7, 6, 5)
CONVOLUTIONS: dict[str, Callable[[], torch.Tensor]] = {
    "conv1d": lambda: F.conv1d(X1, torch.randn(4, 3, 5)),
    "conv1d stride dilation": lambda: F.conv1d(X1, torch.randn(4, 3, 3), stride=2, dilation=2),
    "conv2d padding": lambda: F.conv2d(X2, torch.randn(5, 3, 3, 2), padding=(1, 2)),
    "conv2d groups": lambda: F.conv2d(X2, torch.randn(6, 1, 3, 3), groups=3),
    "conv2d same": lambda: F.conv2d(X2, torch.randn(2, 3, 3, 5), padding="same"),
    "conv3d": lambda: F.conv3d(X3, torch.randn(3, 2, 2, 3, 2), stride=(1, 2, 1)),
    "conv_transpose1d": lambda: F.conv_transpose1d(X1, torch.randn(3, 2, 4), stride=3),
    "conv_transpose2d groups": lambda: F.conv_transpose2d(
        X2, torch.randn(3, 2, 3, 3), groups=3, stride=2, output_padding=1
    ),
}


POOLINGS: dict[str, tuple[Callable[[], torch.Tensor], list[int]]] = {
    "max_pool1d": (lambda: F.max_pool1d(X1, 4), [4]),
    "max_pool1d ceil": (lambda: F.max_pool1d(X1, 4, stride=3, ceil_mode=True), [4]),
    "max_pool2d": (lambda: F.max_pool2d(X2, 3), [3, 3]),
    "max_pool2d all": (
        lambda: F.max_pool2d(X2, (3, 2), stride=(2, 1), padding=1, dilation=(2, 3)),
        [3, 2],
    ),
    "max_pool2d ceil pad": (
        lambda: F.max_pool2d(X2, 3, stride=2, padding=1, ceil_mode=True),
        [3, 3],
    ),
    "max_pool2d grad": (lambda: F.max_pool2d(X2.clone().requires_grad_(), 2, 1), [2, 2]),
    "max_pool3d": (lambda: F.max_pool3d(X3, 2, stride=1), [2, 2, 2]),
    "avg_pool1d": (lambda: F.avg_pool1d(X1, 5, stride=2, padding=2), [5]),
    "avg_pool2d": (lambda: F.avg_pool2d(X2, (4, 3), ceil_mode=True), [4, 3]),
    "avg_pool3d": (lambda: F.avg_pool3d(X3, (3, 2, 2), stride=1, padding=1), [3, 2, 2]),
    "lp_pool2d": (lambda: F.lp_pool2d(X2, 2, 3), [3, 3]),
}


@pytest.mark.parametrize("name", list(POOLINGS))
def test_a_poolings_work_is_its_outputs_times_its_window(name: str) -> None:
    run, kernel = POOLINGS[name]
    call = _one_ruled_call(run)
    output = run()
    assert output.numel() > 0
    assert _predicted(call) == output.numel() * math.prod(kernel)


@pytest.mark.parametrize(
    ("query", "key", "value"),
    [((2, 3, 5, 4), (2, 3, 7, 4), (2, 3, 7, 4)), ((1, 1, 9, 8), (1, 1, 9, 8), (1, 1, 9, 8))],
)
def test_attentions_work_is_half_pytorchs_flop_count(
    query: tuple[int, ...], key: tuple[int, ...], value: tuple[int, ...]
) -> None:
    q, k, v = torch.randn(query), torch.randn(key), torch.randn(value)
    call = _one_ruled_call(lambda: F.scaled_dot_product_attention(q, k, v))
    assert _predicted(call) == sdpa_flop_count(query, key, value) // 2


MATRIX_PRODUCTS: dict[str, Callable[[], torch.Tensor]] = {
    "mm": lambda: torch.randn(5, 7) @ torch.randn(7, 3),
    "addmm": lambda: torch.addmm(torch.randn(3), torch.randn(5, 7), torch.randn(7, 3)),
    "bmm": lambda: torch.bmm(torch.randn(4, 5, 7), torch.randn(4, 7, 3)),
    "baddbmm": lambda: torch.baddbmm(
        torch.randn(4, 5, 3), torch.randn(4, 5, 7), torch.randn(4, 7, 3)
    ),
    "linear": lambda: F.linear(torch.randn(6, 9), torch.randn(4, 9), torch.randn(4)),
    "batched matmul": lambda: torch.randn(2, 3, 5, 7) @ torch.randn(2, 3, 7, 4),
}


COUNTED = {**CONVOLUTIONS, **MATRIX_PRODUCTS}  # what torch's FlopCounterMode counts


@pytest.mark.parametrize("name", list(COUNTED))
def test_a_convolutions_or_products_work_is_half_pytorchs_flop_count(name: str) -> None:
    call = _one_ruled_call(COUNTED[name])
    with FlopCounterMode(display=False) as counter:
        COUNTED[name]()
    assert counter.get_total_flops() > 0
    assert _predicted(call) == counter.get_total_flops() // 2  # a multiply-add is two FLOPs


FACTORISATIONS: dict[str, tuple[Callable[[], object], int]] = {  # multiply-adds, by hand
    "solve": (lambda: torch.linalg.solve(torch.eye(6) * 2, torch.randn(2, 6, 3)), 6**3 + 36 * 3),
    "inv": (lambda: torch.linalg.inv(torch.eye(5).expand(3, 5, 5)), 3 * 5**3),
    "det": (lambda: torch.linalg.det(torch.eye(4)), 4**3),
    "lstsq": (lambda: torch.linalg.lstsq(torch.randn(9, 2), torch.randn(9, 4)), 9 * 2 * 2 + 72),
    "qr": (lambda: torch.linalg.qr(torch.randn(8, 3)), 8 * 3 * 3),
    "svd": (lambda: torch.linalg.svd(torch.randn(2, 6, 4)), 2 * 10 * 6 * 4 * 4),
    "eigvalsh": (lambda: torch.linalg.eigvalsh(torch.eye(5)), 10 * 5**3),
}


@pytest.mark.parametrize("name", list(FACTORISATIONS))
def test_a_factorisations_work_is_rows_times_columns_times_the_smaller(name: str) -> None:
    run, expected = FACTORISATIONS[name]
    assert _predicted(_one_ruled_call(run)) == expected


BOMBS = [
    (
        "x = torch.randn(1, 1, 3000, 3000)\nw = torch.randn(1, 1, 1500, 1500)\ny = F.conv2d(x, w)",
        3,
        "convolution would take",
    ),
    (
        "conv = nn.Conv1d(1, 1, 1000000)\ny = conv(torch.randn(1, 1, 2000000))",
        2,
        "convolution would take",
    ),
    (
        "x = torch.randn(1, 1, 3000, 3000)\ny = F.max_pool2d(x, 1500, stride=1)",
        2,
        "through its windows",
    ),
    (
        "x = torch.randn(1, 1, 3000, 3000)\ny = F.avg_pool2d(x, 1500, stride=1)",
        2,
        "through its windows",
    ),
    (
        "q = torch.randn(1, 1, 200000, 1)\ny = F.scaled_dot_product_attention(q, q, q)",
        2,
        "attention would take",
    ),
    (
        "m = nn.MultiheadAttention(2, 1)\nx = torch.randn(200000, 1, 2)\n"
        "y = m(x, x, x, need_weights=False)",
        3,
        "attention would take",
    ),
    (
        "a = torch.randn(4096, 4096)\nb = a @ a",
        2,
        "matrix product would take",
    ),
    (
        "x = torch.randn(64, 600, 600)\nU, S, Vh = torch.linalg.svd(x)",
        2,
        "multiply-adds",
    ),
]


@pytest.mark.parametrize(("source", "line", "fragment"), BOMBS, ids=[b[2] for b in BOMBS])
def test_an_op_that_would_run_for_hours_is_refused_before_it_runs(
    source: str, line: int, fragment: str
) -> None:
    start = time.perf_counter()
    with pytest.raises(ProgramError) as info:
        run_program(parse(source))
    assert fragment in info.value.message and "the limit is" in info.value.message
    assert info.value.line == line
    assert time.perf_counter() - start < 5.0


def test_a_resnet_sized_convolution_and_pooling_still_run() -> None:
    source = (
        "torch.manual_seed(0)\nconv = nn.Conv2d(64, 64, 3, padding=1)\n"
        "x = torch.randn(16, 64, 56, 56)\ny = F.max_pool2d(torch.relu(conv(x)), 2)\n"
    )
    y = run_program(parse(source)).env["y"]
    torch.manual_seed(0)
    conv = torch.nn.Conv2d(64, 64, 3, padding=1)
    x = torch.randn(16, 64, 56, 56)
    assert torch.equal(y, F.max_pool2d(torch.relu(conv(x)), 2))
