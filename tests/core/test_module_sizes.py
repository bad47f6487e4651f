"""Layers built from their size rule: the rule bounds what torch really makes, oversized layers
are refused at their line and column before anything is allocated, the built layers are counted
by the guard and are the same as torch's, and no per-op guard call runs inside them."""

from __future__ import annotations

import time
from typing import Any

import pytest
import torch
from torch import nn

from gradviz.lang import guard as guard_module
from gradviz.lang.errors import ProgramError
from gradviz.lang.interpreter import Interpreter, run_program
from gradviz.lang.limits import Limits
from gradviz.lang.module_sizes import RULES, layer_sizes
from gradviz.lang.parser import parse

CASES: list[tuple[type[nn.Module], tuple[Any, ...], dict[str, Any]]] = [
    (nn.Linear, (3, 5), {}),
    (nn.Linear, (7, 2), {"bias": False}),
    (nn.Linear, (4, 4), {"dtype": torch.float64}),
    (nn.Linear, (), {"in_features": 6, "out_features": 1}),
    (nn.Bilinear, (3, 4, 5), {}),
    (nn.Bilinear, (2, 2, 2), {"bias": False}),
    (nn.Conv1d, (3, 8, 5), {}),
    (nn.Conv1d, (4, 8, (3,)), {"groups": 2, "bias": False}),
    (nn.Conv2d, (1, 8, 3), {"padding": 1}),
    (nn.Conv2d, (6, 12, (3, 5)), {"groups": 3}),
    (nn.Conv2d, (2, 4, [2, 2]), {"stride": 2}),
    (nn.ConvTranspose2d, (8, 4, 2), {"stride": 2}),
    (nn.ConvTranspose2d, (6, 4, (3, 1)), {"groups": 2}),
    (nn.BatchNorm1d, (16,), {}),
    (nn.BatchNorm2d, (8,), {"affine": False}),
    (nn.BatchNorm2d, (8,), {"track_running_stats": False}),
    (nn.LayerNorm, (10,), {}),
    (nn.LayerNorm, ((4, 5),), {"elementwise_affine": False}),
    (nn.LayerNorm, ([3, 2],), {"bias": False}),
    (nn.GroupNorm, (2, 8), {}),
    (nn.GroupNorm, (4, 8), {"affine": False}),
    (nn.Embedding, (100, 16), {}),
    (nn.Embedding, (10, 3), {"padding_idx": 0}),
    (nn.MultiheadAttention, (8, 2), {}),
    (nn.MultiheadAttention, (8, 2), {"kdim": 3, "vdim": 5, "add_bias_kv": True}),
    (nn.MultiheadAttention, (6, 3), {"bias": False, "batch_first": True}),
    (nn.TransformerEncoderLayer, (8, 2), {"dim_feedforward": 16}),
    (nn.TransformerEncoderLayer, (), {"d_model": 16, "nhead": 4, "batch_first": True}),
]


@pytest.mark.parametrize(("cls", "args", "kwargs"), CASES, ids=[str(c) for c in range(len(CASES))])
def test_the_rule_bounds_every_tensor_torch_makes(
    cls: type[nn.Module], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    predicted = layer_sizes(cls, list(args), kwargs)
    assert predicted is not None
    layer = cls(*args, **kwargs)
    made = sorted((t.numel() for t in [*layer.parameters(), *layer.buffers()]), reverse=True)
    allowed = sorted((n for n, _ in predicted), reverse=True)
    assert len(made) <= len(allowed)
    assert all(m <= a for m, a in zip(made, allowed, strict=False)), (made, allowed)
    largest = [*layer.parameters(), *layer.buffers()]
    if largest:
        assert max(t.element_size() for t in largest if t.is_floating_point()) == predicted[0][1]
    # exact where no option makes it smaller (no groups, no dropped bias or statistics)
    if not kwargs and cls not in (nn.BatchNorm1d, nn.BatchNorm2d, nn.MultiheadAttention):
        assert made == allowed


def test_every_rule_is_exercised() -> None:
    assert {cls for cls, _, _ in CASES} == set(RULES)


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        ((2.5, 3), {}),  # not an int: torch reports it
        ((True, 3), {}),  # a bool is not a size
        ((-1, 3), {}),
        ((3,), {}),  # missing argument
        ((3, 4), {"device": 7}),
        ((3, 4), {"bogus": 1}),
    ],
)
def test_arguments_that_are_not_plain_sizes_have_no_rule(
    args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    assert layer_sizes(nn.Linear, list(args), kwargs) is None


def test_layers_without_a_rule_have_none() -> None:
    assert layer_sizes(nn.ReLU, [], {}) is None
    assert layer_sizes(nn.LSTM, [3, 4], {}) is None
    assert layer_sizes(nn.MultiheadAttention, [8, 2], {"kdim": 2.5}) is None
    assert layer_sizes(nn.Embedding, [3, 4], {"_weight": torch.ones(3, 4)}) is None
    assert layer_sizes(len, [[1]], {}) is None


@pytest.mark.parametrize(
    ("source", "col"),
    [
        ("layer = nn.Linear(1000000, 1000000)", 9),
        ("x = 1\nlayer = nn.Embedding(100000000, 1000)", 9),
        ("conv = nn.Conv2d(4096, 4096, 64)", 8),
        ("norm = nn.LayerNorm((100000, 100000))", 8),
        ("b = nn.Bilinear(10000, 10000, 1000)", 5),
        ("t = nn.TransformerEncoderLayer(100000, 4, dim_feedforward=100)", 5),
        ("a = nn.MultiheadAttention(100000, 4)", 5),
    ],
)
def test_an_oversized_layer_is_refused_at_its_place_before_allocation(
    source: str, col: int
) -> None:
    start = time.perf_counter()
    with pytest.raises(ProgramError, match="elements") as info:
        run_program(parse(source))
    assert info.value.line == source.count("\n") + 1
    assert info.value.col == col
    assert time.perf_counter() - start < 1.0


def test_layers_count_towards_the_memory_held_at_once() -> None:
    limits = Limits(max_total_bytes=64 << 20)
    source = "layers = []\nfor i in range(20):\n    layers.append(nn.Linear(1000, 1000))\n"
    with pytest.raises(ProgramError, match="at once") as info:
        run_program(parse(source, limits), limits=limits)  # 4 MB each: the 17th is refused
    assert (info.value.line, info.value.col) == (3, 19)
    fewer = source.replace("range(20)", "range(15)")
    run_program(parse(fewer, limits), limits=limits)  # 60 MB: allowed


def test_built_layers_are_counted_and_stop_counting_when_freed() -> None:
    kept = Interpreter(parse("a = nn.Linear(1000, 500)"))
    kept.run()
    assert kept.guard.live_bytes >= 4 * (1000 * 500 + 500)
    freed = Interpreter(parse("a = nn.Linear(1000, 500)\na = 1.0"))
    freed.run()
    assert freed.guard.live_bytes < 1000


def test_built_layers_equal_torchs_with_the_same_seed() -> None:
    result = Interpreter(
        parse(
            "torch.manual_seed(4)\na = nn.Linear(5, 3)\nc = nn.Conv2d(2, 4, 3)\nn = nn.LayerNorm(6)"
        )
    ).run()
    torch.manual_seed(4)
    expected = {"a": nn.Linear(5, 3), "c": nn.Conv2d(2, 4, 3), "n": nn.LayerNorm(6)}
    for name, layer in expected.items():
        built = result.modules[name]
        for (key, got), (_, want) in zip(
            built.state_dict().items(), layer.state_dict().items(), strict=True
        ):
            assert torch.equal(got, want), (name, key)


def test_no_guard_call_runs_inside_a_layer_with_a_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []
    dispatch = guard_module.AllocationGuard.__torch_dispatch__

    def counting(self, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
        seen.append(str(func))
        return dispatch(self, func, types, args, kwargs)

    monkeypatch.setattr(guard_module.AllocationGuard, "__torch_dispatch__", counting)
    run_program(parse("a = nn.Linear(64, 64)"))
    assert seen == []
    run_program(parse("t = nn.TransformerEncoderLayer(16, 4, dim_feedforward=32)"))
    assert seen == []
    run_program(parse("r = nn.LSTM(3, 4)"))  # no rule: its constructor's ops are guarded
    assert seen


BAD_ARGUMENTS: list[tuple[type[nn.Module], tuple[Any, ...], dict[str, Any]]] = [
    (nn.Linear, (3,), {}),  # out_features missing
    (nn.Linear, (3, 4, True, None, None, 7), {}),  # one too many
    (nn.Linear, (3, 4), {"in_features": 3}),  # given twice
    (nn.Linear, (3, 4), {"width": 3}),  # no such argument
    (nn.Conv2d, (1, 8), {}),  # kernel_size missing
]


@pytest.mark.parametrize(
    ("cls", "args", "kwargs"),
    CASES + BAD_ARGUMENTS,
    ids=[str(c) for c in range(len(CASES) + len(BAD_ARGUMENTS))],
)
def test_arguments_are_bound_as_python_binds_them(
    cls: type[nn.Module], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    """The size rules read the constructor's arguments by name, bound by a zip for plain
    signatures: the same names and values as inspect's binding, and none where it refuses."""
    import inspect

    from gradviz.lang.module_sizes import _bound

    try:
        bound = inspect.signature(cls).bind(*args, **kwargs)
    except TypeError:
        assert _bound(cls, list(args), kwargs) is None
        return
    bound.apply_defaults()
    assert _bound(cls, list(args), kwargs) == dict(bound.arguments)
