"""The builder's network landscape, evaluated batched (not by vmap), against plain PyTorch at
every grid point: each activation, each loss, dropout, a layer without activation."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.func import functional_call

from gradviz.nets.landscape import pca_landscape, random_landscape
from gradviz.nets.spec import Data, Layer, NetworkSpec
from gradviz.nets.trainer import ModelLoss, Trainer, state_of
from tests.core.landscape_grid import assert_grid_equals

CASES = [
    NetworkSpec(layers=(Layer(6, "relu"), Layer(5, "tanh")), loss="bce"),
    NetworkSpec(layers=(Layer(6, "sigmoid"), Layer(4, "gelu")), loss="cross_entropy"),
    NetworkSpec(layers=(Layer(5, "leaky_relu"), Layer(3, "none")), loss="bce", dropout=0.3),
    NetworkSpec(data=Data("sine", 80), layers=(Layer(7, "tanh"),), loss="mse"),
    NetworkSpec(
        data=Data("xor", 60), features=("x", "y", "xy", "sin x"), layers=(), loss="cross_entropy"
    ),
]


def _plain_loss(trainer: Trainer, params: dict[str, torch.Tensor]) -> float:
    """The loss at these weights, as plain torch computes it: the trainer's own module and
    data, functional_call, torch's loss function written out by name."""
    out = functional_call(
        trainer.model, {k.removeprefix("model."): v for k, v in params.items()}, (trainer.X_train,)
    )
    y = trainer.y_train
    if trainer.spec.loss == "cross_entropy":
        return float(nn.functional.cross_entropy(out, y))
    if trainer.spec.loss == "bce":
        return float(nn.functional.binary_cross_entropy_with_logits(out, y))
    return float(nn.functional.mse_loss(out, y))


@pytest.mark.parametrize(
    "spec", CASES, ids=lambda s: "-".join(layer.activation for layer in s.layers) or "linear"
)
def test_every_grid_point_of_the_builders_network_equals_plain_torch(spec: NetworkSpec) -> None:
    trainer = Trainer(spec)
    trainer.step(7)
    trainer.model.eval()
    loss, base = trainer.loss_function(), state_of(trainer)
    landscape = random_landscape(loss, base, grid=5, span=0.8, seed=3)
    assert landscape.method == "batched"
    assert_grid_equals(landscape, base, 3, lambda params: _plain_loss(trainer, params))
    with torch.no_grad():
        assert landscape.center == pytest.approx(_plain_loss(trainer, base), abs=1e-6)


def test_a_module_without_a_batched_form_falls_back_to_vmap() -> None:
    """A module the batched path has no rule for (Softplus) leaves the landscape to vmap,
    with the same values."""
    trainer = Trainer(NetworkSpec(dropout=0.5))
    model = nn.Sequential(*trainer.model, nn.Softplus())  # no batched rule for Softplus
    model.eval()
    loss = ModelLoss(model, nn.MSELoss(), trainer.X_train, trainer.y_train)
    base = state_of(trainer)
    landscape = random_landscape(loss, base, grid=3, seed=1)
    assert landscape.method == "vmap"
    with torch.no_grad():
        plain = nn.functional.mse_loss(model(trainer.X_train), trainer.y_train)
    assert landscape.center == pytest.approx(float(plain), abs=1e-6)


class _FunctionalOnly:
    """The same loss, without its batched form: the landscape takes torch.func.vmap's path."""

    def __init__(self, loss: ModelLoss) -> None:
        self.loss = loss
        self.activation_bytes, self.largest_bytes = loss.activation_bytes, loss.largest_bytes

    def __call__(self, params: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.loss(params)


@pytest.mark.parametrize("spec", CASES[:3], ids=["relu-tanh", "sigmoid-gelu", "leaky-none"])
def test_the_pca_plane_batched_equals_functional_call(spec: NetworkSpec) -> None:
    """The PCA directions move the biases too (the random ones leave them): the batched path
    with moving biases against vmap of functional_call over the same plane."""
    trainer = Trainer(spec)
    trainer.checkpoint_every = 2
    trainer.step(12)
    trainer.model.eval()
    checkpoints = [*trainer.checkpoints, state_of(trainer)]
    loss = trainer.loss_function()
    batched = pca_landscape(loss, checkpoints, grid=6)
    plain = pca_landscape(_FunctionalOnly(loss), checkpoints, grid=6)
    assert (batched.method, plain.method) == ("batched", "vmap")
    torch.testing.assert_close(batched.losses, plain.losses, atol=1e-5, rtol=1e-5)
    assert batched.path == plain.path and len(batched.path) >= 3
