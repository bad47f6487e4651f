"""The guard's size rules: each equals (or, where marked, bounds) what the real op makes; and a
first trace, typed surface, landscape or export never pays for importing sympy or torch._dynamo
(a second or more: torch.optim imports torch._dynamo itself, so programs with one still do)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Callable
from typing import Any

import pytest
import torch
import torch.nn.functional as F
from torch.utils._python_dispatch import TorchDispatchMode

from gradviz.lang.errors import ProgramError
from gradviz.lang.interpreter import run_program
from gradviz.lang.parser import parse
from gradviz.lang.sizes import RULES, data_numel, predicted_numel

BOUNDS_ONLY = {"nonzero"}  # data-dependent: the rule is an upper bound


class _Calls(TorchDispatchMode):
    """Every aten call torch makes, with what it returned."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[Any, tuple[Any, ...], dict[str, Any], Any]] = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        self.calls.append((func, args, kwargs, out))
        return out


x = torch.randn(4, 3)
img = torch.randn(2, 3, 7, 9)
CASES: list[Callable[[], object]] = [
    lambda: torch.cat([x, x, x[:1]]),
    lambda: torch.stack([x, x]),
    lambda: torch.mv(x, torch.ones(3)),
    lambda: torch.dot(x[0], x[1]),
    lambda: torch.arange(7),
    lambda: torch.arange(2.0, 9.5),
    lambda: torch.arange(1, 10, 3),
    lambda: torch.arange(0, 1, 0.1),
    lambda: torch.arange(5, 0, -2),
    lambda: torch.linspace(0, 1, 11),
    lambda: torch.logspace(0, 2, 5),
    lambda: torch.randperm(9),
    lambda: torch.eye(4),
    lambda: torch.eye(3, 5),
    lambda: torch.randint(0, 5, (3, 4)),
    lambda: torch.randint(5, (6,)),
    lambda: x.repeat(2, 3),
    lambda: x.repeat(2, 1, 3),
    lambda: x[torch.tensor([0, 2, 3])],
    lambda: x[:, torch.tensor([[0, 1], [2, 0]])],
    lambda: x[torch.tensor([0, 1]), torch.tensor([2, 0])],
    lambda: img[:, torch.tensor([0, 2]), :, torch.tensor([1, 3])],
    lambda: x[x > 0],
    lambda: x[..., torch.tensor([2, 0])],
    lambda: img[torch.tensor([1]), ..., torch.tensor([[0], [3]])],
    lambda: x[torch.tensor([[True, False, True]] * 4)],
    lambda: F.embedding(torch.tensor([[1, 2], [0, 3]]), torch.randn(5, 6)),
    lambda: F.conv2d(img, torch.randn(4, 3, 3, 3)),
    lambda: F.conv2d(img, torch.randn(4, 3, 3, 2), stride=2, padding=1, dilation=(1, 2)),
    lambda: F.conv2d(img, torch.randn(6, 1, 3, 3), groups=3),
    lambda: F.conv1d(torch.randn(2, 3, 10), torch.randn(5, 3, 4), stride=3),
    lambda: F.conv2d(img, torch.randn(4, 3, 3, 3), padding="same", dilation=2),
    lambda: F.conv2d(img, torch.randn(4, 3, 5, 1), padding=(2, 0), stride=(1, 3)),
    lambda: F.conv_transpose2d(img, torch.randn(3, 2, 2, 2), groups=3, dilation=2),
    lambda: F.conv_transpose1d(torch.randn(2, 3, 10), torch.randn(3, 4, 3), stride=2, padding=1),
    lambda: F.conv_transpose2d(img, torch.randn(3, 2, 3, 3), stride=2, output_padding=1),
    lambda: F.adaptive_avg_pool2d(img, (2, 3)),
    lambda: F.adaptive_max_pool2d(img, 4),
    lambda: F.interpolate(img, size=(14, 5)),
    lambda: torch.nonzero(x > 0),
    lambda: torch.tril(x),
    lambda: torch.triu(x, 1),
    lambda: torch.flip(x, [0, 1]),
    lambda: torch.roll(x, 2, 1),
    lambda: F.hardswish(x),
    lambda: F.logsigmoid(x),
    lambda: F.group_norm(img, 3),
    lambda: torch.linalg.cross(torch.randn(4, 3), torch.randn(1, 3)),
    lambda: torch.trace(x[:3]),
    lambda: torch.dist(x, x + 1),
    lambda: torch.multinomial(torch.ones(4, 5), 3),
    lambda: torch.multinomial(torch.ones(5), 7, replacement=True),
    lambda: torch.linalg.cholesky_ex(torch.eye(3) * 2),
    lambda: torch.linalg.solve_triangular(torch.eye(3), torch.randn(3, 4), upper=False),
    lambda: torch.linalg.solve_triangular(torch.eye(3).expand(2, 3, 3), x[:3], upper=True),
    lambda: torch.linalg.solve_triangular(torch.eye(3), torch.randn(2, 1, 3, 2), upper=True),
    lambda: torch.linalg.solve_triangular(torch.eye(2), torch.randn(5, 2), upper=True, left=False),
]


def _largest(out: Any) -> int:
    tensors = [out] if isinstance(out, torch.Tensor) else [t for t in out if torch.is_tensor(t)]
    return max((t.numel() for t in tensors), default=0)


@pytest.mark.parametrize("case", range(len(CASES)))
def test_each_rule_gives_the_size_torch_makes(case: int) -> None:
    with _Calls() as recorder:
        CASES[case]()
    checked = 0
    for func, args, kwargs, out in recorder.calls:
        name = func._schema.name.split("::")[-1]
        if name not in RULES:
            continue
        predicted = predicted_numel(name, func._overloadname, args, kwargs)
        assert predicted is not None, f"{func} {args}"
        actual = _largest(out)
        if name in BOUNDS_ONLY or (
            name == "index" and any(i is not None and i.dtype == torch.bool for i in args[1])
        ):
            assert predicted >= actual, f"{func}: {predicted} < {actual}"
        else:
            assert predicted == actual, f"{func} {[getattr(a, 'shape', a) for a in args]}"
        checked += 1
    assert checked, "the case ran no op that has a rule"


@pytest.mark.parametrize(
    "source",
    [
        "y = torch.eye(100000)",
        "y = torch.linspace(0, 1, 10 ** 9)",
        "y = torch.ones(1000, 1000).repeat(100, 1)",
        "x = torch.ones(4000, 4000)\ny = torch.cat([x, x, x])",
        "y = torch.randperm(10 ** 9)",
        "y = torch.randint(0, 5, (10 ** 5, 10 ** 5))",
    ],
)
def test_oversized_results_are_refused_before_they_exist(source: str) -> None:
    with pytest.raises(ProgramError, match="elements"):
        run_program(parse(source))


def _heavy_imports_after(code: str) -> str:
    """What of sympy and torch._dynamo a fresh interpreter has imported after running `code`."""
    check = (
        code
        + "\nimport sys\nprint(sorted(m for m in ('sympy', 'torch._dynamo') if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, timeout=120, check=True
    )
    return result.stdout.strip() + result.stderr


def test_a_typed_surface_a_landscape_and_an_export_import_neither() -> None:
    code = textwrap.dedent(
        """
        from gradviz.autograd.tracer import trace
        from gradviz.nets.landscape import random_landscape
        from gradviz.nets.replay import replay_loss
        from gradviz.optim.custom import typed_surface
        from gradviz.optim.grid import evaluate_grid
        from gradviz.render.export import render_bytes
        evaluate_grid(typed_surface("(x**2 + y - 11)**2 + sin(x*y)"), None, 32, "cpu")
        graph = trace(
            "model = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1))\\n"
            "loss = F.mse_loss(model(torch.randn(8, 2)), torch.randn(8, 1))"
        ).graph
        render_bytes(graph, "svg")
        random_landscape(*replay_loss(graph), grid=5)
        """
    )
    assert _heavy_imports_after(code) == "[]"


def test_a_first_trace_with_these_ops_imports_neither_sympy_nor_dynamo() -> None:
    program = textwrap.dedent(
        """
        x = torch.randn(4, 3, requires_grad=True)
        img = torch.randn(1, 2, 6, 6, requires_grad=True)
        a = torch.cat([x, x]).sum() + torch.stack([x, x]).sum() + torch.dot(x[0], x[1])
        b = torch.mv(x, torch.ones(3)).sum() + (torch.arange(3.0) * x).sum()
        c = (torch.linspace(0, 1, 3) * x).sum() + x[torch.randperm(4)].sum() + x[x > 0].sum()
        d = nn.Embedding(5, 3)(torch.tensor([1, 2])).sum() + nn.Conv2d(2, 3, 3)(img).sum()
        e = (torch.eye(3) @ x.T).sum() + torch.tril(x).sum() + x.repeat(2, 2).sum()
        f = torch.flip(x, [0]).sum() + torch.roll(x, 1, 0).sum() + F.hardswish(x).sum()
        g = F.adaptive_avg_pool2d(img, 2).sum() + F.group_norm(img, 1).sum() + torch.dist(x, x)
        loss = a + b + c + d + e + f + g
        """
    )
    code = f"from gradviz.autograd.tracer import trace\ntrace({program!r})"
    assert _heavy_imports_after(code) == "[]"


def test_backward_with_a_gradient_and_a_non_scalar_output_import_neither() -> None:
    """torch checks a gradient passed to backward with sympy: the program's `y.backward(v)`
    and the tracer's own seeding of a non-scalar output go round that check."""
    program = (
        "x = torch.randn(3, requires_grad=True)\ny = x * 2\ny.backward(torch.ones(3))\n"
        "z = x.exp()\n"
    )
    non_scalar = "x = torch.ones(2, requires_grad=True)\nx * 3\n"
    code = f"from gradviz.autograd.tracer import trace\ntrace({program!r})\ntrace({non_scalar!r})"
    assert _heavy_imports_after(code) == "[]"


@pytest.mark.parametrize(
    "data",
    [
        [1.0, 2.0, 3.0],
        [[1, 2], [3, 4], [5, 6]],
        ([1.5], [2.5]),
        [[[1.0] * 3] * 4] * 5,  # one list recurring: counted each time it recurs
        [torch.ones(1), torch.zeros(1)],
        [[torch.tensor(1.0), 2.0], [3.0, torch.tensor(4.0)]],
        [],
        [[], []],
        5.0,
    ],
)
def test_data_numel_is_the_numel_of_the_tensor_torch_makes(data: object) -> None:
    assert data_numel(data, 1 << 25) == torch.tensor(data).numel()


def test_data_numel_stops_past_the_limit_without_walking_everything() -> None:
    row = [0.0] * 1000
    assert data_numel([row] * 1000, 10_000) > 10_000
    assert data_numel([row] * 1000, 10**6) == 10**6


def test_a_first_trace_of_distributions_imports_neither() -> None:
    """Normal checks its scale with torch._is_all_true, Categorical samples with multinomial:
    the meta kernels of both imported sympy (a second on the first trace)."""
    program = textwrap.dedent(
        """
        from torch.distributions import Normal, Categorical
        mu = torch.zeros(3, requires_grad=True)
        q = Normal(mu, torch.ones(3))
        z = q.rsample((4,))
        c = Categorical(logits=mu)
        a = c.sample((5,))
        loss = -q.log_prob(z).sum() - c.log_prob(a).sum() + q.entropy().sum()
        """
    )
    code = f"from gradviz.autograd.tracer import trace\ntrace({program!r})"
    assert _heavy_imports_after(code) == "[]"


def test_multinomial_is_sized_before_it_draws() -> None:
    source = "p = torch.ones(4, 100)\ns = torch.multinomial(p, 10**8, replacement=True)\n"
    with pytest.raises(ProgramError, match="400,000,000 elements"):
        run_program(parse(source))
    torch.manual_seed(0)
    expected = torch.multinomial(torch.ones(2, 3), 2)
    result = run_program(
        parse("torch.manual_seed(0)\nprint(torch.multinomial(torch.ones(2, 3), 2))\n")
    )
    assert "".join(result.printed) == f"{expected}\n"
