"""The loss landscape of a model written with raw tensors (`w = torch.randn(5, 3,
requires_grad=True)`, or a plain class's `self.weight`): its leaves that require grad are the
parameters moved, and every grid point equals plain torch evaluating the same weights."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch
import torch.nn.functional as F

from gradviz.autograd.tracer import trace
from gradviz.nets.landscape import random_landscape
from gradviz.nets.replay import ReplayError, replay_loss
from tests.core.landscape_grid import assert_grid_equals

RAW = """
import torch
import torch.nn.functional as F
torch.manual_seed(0)
x = torch.randn(64, 5)
y = (x[:, :3].sum(1, keepdim=True) > 0).float().expand(64, 3)
w = torch.randn(5, 3, requires_grad=True)
b = torch.zeros(3, requires_grad=True)
z = torch.matmul(x, w) + b
loss = F.binary_cross_entropy_with_logits(z, y)
loss.backward()
"""

PLAIN_LAYERS = """
import torch
class Linear:
    def __init__(self, fan_in, fan_out):
        self.weight = torch.randn((fan_in, fan_out)) / fan_in**0.5
        self.bias = torch.zeros(fan_out)
    def __call__(self, x):
        return x @ self.weight + self.bias
torch.manual_seed(1)
layers = [Linear(2, 8), Linear(8, 1)]
for layer in layers:
    layer.weight.requires_grad = True
    layer.bias.requires_grad = True
X = torch.randn(32, 2)
Y = X[:, :1] * X[:, 1:]
h = torch.tanh(layers[0](X))
loss = ((layers[1](h) - Y) ** 2).mean()
"""


def _raw_reference() -> tuple[torch.Tensor, torch.Tensor]:
    torch.manual_seed(0)
    x = torch.randn(64, 5)
    y = (x[:, :3].sum(1, keepdim=True) > 0).float().expand(64, 3)
    return x, y


@pytest.mark.parametrize("method", ["batched", "vmap"])
def test_a_raw_tensor_models_landscape_equals_plain_torch(method: str) -> None:
    loss, base = replay_loss(trace(RAW).graph)
    assert sorted(base) == ["b", "w"]
    fn = loss if method == "batched" else (lambda params: loss(params))
    landscape = random_landscape(fn, base, grid=7, span=1.0, seed=2)
    assert landscape.method == method
    x, y = _raw_reference()

    def evaluate(p: dict[str, torch.Tensor]) -> float:
        return F.binary_cross_entropy_with_logits(x @ p["w"] + p["b"], y).item()

    assert_grid_equals(landscape, base, 2, evaluate)
    torch.testing.assert_close(landscape.losses[3, 3], torch.tensor(landscape.center))


def test_a_plain_class_models_landscape_equals_plain_torch() -> None:
    loss, base = replay_loss(trace(PLAIN_LAYERS).graph)
    # named by where the program keeps them (every one is a `weight` or a `bias` of its own)
    assert sorted(base) == [
        "layers[0].bias", "layers[0].weight", "layers[1].bias", "layers[1].weight"
    ]  # fmt: skip
    landscape = random_landscape(loss, base, grid=5, seed=1)
    torch.manual_seed(1)
    w1, w2 = torch.randn(2, 8) / 2**0.5, torch.randn(8, 1) / 8**0.5
    X = torch.randn(32, 2)
    Y = X[:, :1] * X[:, 1:]
    torch.testing.assert_close(base["layers[0].weight"], w1)
    torch.testing.assert_close(base["layers[1].weight"], w2)

    def evaluate(p: dict[str, torch.Tensor]) -> float:
        h = torch.tanh(X @ p["layers[0].weight"] + p["layers[0].bias"])
        return ((h @ p["layers[1].weight"] + p["layers[1].bias"] - Y) ** 2).mean().item()

    assert_grid_equals(landscape, base, 1, evaluate)


def test_scalars_alone_are_no_landscape() -> None:
    with pytest.raises(ReplayError, match="nor a weight matrix"):
        replay_loss(trace("x = 2.0\ny = 3.0\nf = x * y\n").graph)


def test_the_cli_maps_a_raw_tensor_model(tmp_path) -> None:  # type: ignore[no-untyped-def]
    program = tmp_path / "raw.py"
    program.write_text(RAW)
    done = subprocess.run(
        [sys.executable, "-m", "gradviz", "landscape", str(program), "--grid", "3", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert '"losses"' in done.stdout


def test_the_lectures_computing_gradients_snippet_has_a_landscape() -> None:
    """The slide's w (5×3) and b: the landscape moves w along filter-normalised directions
    (b, a vector, stays), every point equal to torch's loss at those weights."""
    from gradviz.resources import example

    loss, base = replay_loss(trace(example("03_computing_gradients.py").source).graph)
    landscape = random_landscape(loss, base, grid=5, seed=3)
    torch.manual_seed(0)  # as gradviz seeds a run
    w, b = torch.randn(5, 3), torch.randn(3)
    torch.testing.assert_close(base["w"], w)
    torch.testing.assert_close(base["b"], b)
    x, y = torch.ones(5), torch.zeros(3)

    def evaluate(p: dict[str, torch.Tensor]) -> float:
        return F.binary_cross_entropy_with_logits(torch.matmul(x, p["w"]) + p["b"], y).item()

    assert_grid_equals(landscape, base, 3, evaluate)


SQUARE_VIEW = """
import torch
from torch import nn
torch.manual_seed(0)
model = nn.Linear(3, 3)
M = torch.randn(3, 3)
X = torch.randn(8, 3)
loss = (model(X) @ M.T).pow(2).mean()
"""


def test_a_constant_read_through_a_view_is_replayed_as_the_op_read_it() -> None:
    """M.T of a square M has M's shape: the landscape must multiply by M.T, as the program
    did, not by M, which the constant's node shows."""
    from torch.func import functional_call

    loss, base = replay_loss(trace(SQUARE_VIEW).graph)
    landscape = random_landscape(loss, base, grid=3, seed=0)
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 3)
    M = torch.randn(3, 3)
    X = torch.randn(8, 3)

    def evaluate(p: dict[str, torch.Tensor]) -> float:
        params = {k.removeprefix("model."): v for k, v in p.items()}
        return (functional_call(model, params, (X,)) @ M.T).pow(2).mean().item()

    assert_grid_equals(landscape, base, 0, evaluate)
