"""Random small networks: the batched landscape of the traced program equals the network
evaluated point by point with torch.func.functional_call, at random grid points, in chunks."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn
from torch.func import functional_call

import gradviz.nets.landscape as landscape_module
from gradviz.autograd.tracer import trace
from gradviz.nets.landscape import evaluate_points, filter_normalised
from gradviz.nets.replay import replay_loss

ACTIVATIONS = {
    "ReLU()": nn.ReLU,
    "LeakyReLU(0.3)": lambda: nn.LeakyReLU(0.3),
    "Tanh()": nn.Tanh,
    "Sigmoid()": nn.Sigmoid,
    "GELU()": nn.GELU,
    "": None,
}
FUNCTIONS = {
    "mse": F.mse_loss,
    "bce": F.binary_cross_entropy_with_logits,
    "cross_entropy": F.cross_entropy,
}
LOSSES = tuple(FUNCTIONS)


@st.composite
def networks(draw: st.DrawFn) -> tuple[int, list[tuple[int, bool, str]], str, int]:
    features = draw(st.integers(1, 3))
    layers = draw(
        st.lists(
            st.tuples(st.integers(1, 6), st.booleans(), st.sampled_from(list(ACTIVATIONS))),
            min_size=1,
            max_size=3,
        )
    )
    loss = draw(st.sampled_from(LOSSES))
    classes = draw(st.integers(2, 3)) if loss == "cross_entropy" else 1
    return features, layers, loss, classes


def _source(features: int, layers: list[tuple[int, bool, str]], loss: str, classes: int) -> str:
    modules, width = [], features
    for out, bias, activation in layers:
        modules.append(f"nn.Linear({width}, {out}, bias={bias})")
        if activation:
            modules.append(f"nn.{activation}")
        width = out
    modules.append(f"nn.Linear({width}, {classes})")
    target = {
        "mse": "torch.randn(12, 1)",
        "bce": "(torch.randn(12, 1) > 0).float()",
        "cross_entropy": f"torch.arange(12) % {classes}",
    }[loss]
    return (
        "import torch\nimport torch.nn.functional as F\nfrom torch import nn\n"
        "torch.manual_seed(1)\n"
        f"model = nn.Sequential({', '.join(modules)})\n"
        f"X = torch.randn(12, {features})\ny = {target}\n"
        f"loss = F.{FUNCTIONS[loss].__name__}(model(X), y)\n"
    )


def _plain(features: int, layers: list[tuple[int, bool, str]], loss: str, classes: int) -> object:
    torch.manual_seed(1)
    modules: list[nn.Module] = []
    width = features
    for out, bias, activation in layers:
        modules.append(nn.Linear(width, out, bias=bias))
        make = ACTIVATIONS[activation]
        if make is not None:
            modules.append(make())
        width = out
    modules.append(nn.Linear(width, classes))
    model = nn.Sequential(*modules)
    X = torch.randn(12, features)
    y = {
        "mse": lambda: torch.randn(12, 1),
        "bce": lambda: (torch.randn(12, 1) > 0).float(),
        "cross_entropy": lambda: torch.arange(12) % classes,
    }[loss]()
    fn = FUNCTIONS[loss]

    def at(params: dict[str, torch.Tensor]) -> torch.Tensor:
        named = {k.removeprefix("model."): v for k, v in params.items()}
        return fn(functional_call(model, named, (X,)), y)  # type: ignore[operator]

    return at


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks(), st.integers(0, 2**16), st.integers(1, 4))
def test_random_networks_landscape_equals_functional_call(
    network: tuple[int, list[tuple[int, bool, str]], str, int], seed: int, per_chunk: int
) -> None:
    source = _source(*network)
    loss, base = replay_loss(trace(source).graph)
    plain = _plain(*network)
    generator = torch.Generator().manual_seed(seed)
    first, second = filter_normalised(base, generator), filter_normalised(base, generator)
    a = torch.rand(7, generator=generator) * 4 - 2
    b = torch.rand(7, generator=generator) * 4 - 2
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(landscape_module, "chunk_size", lambda *_: per_chunk)  # several chunks
        with torch.no_grad():
            got, method = evaluate_points(loss, base, first, second, a, b)
    assert method == "batched"
    with torch.no_grad():
        expected = torch.stack(
            [
                plain({k: base[k] + x * first[k] + y * second[k] for k in base})  # type: ignore[operator]
                for x, y in zip(a.tolist(), b.tolist(), strict=True)
            ]
        )
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-5)
