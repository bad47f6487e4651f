"""gradviz.landscape of one's own model: every grid value equals the loss evaluated here, with
plain PyTorch, at that point's weights; batched for a Sequential, any module otherwise."""

from __future__ import annotations

import copy

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import gradviz
from tests.core.landscape_grid import assert_grid_equals


def evaluator(model: nn.Module, loss_fn, X: torch.Tensor, y: torch.Tensor):  # type: ignore[no-untyped-def]
    """The loss at given weights ("model.<name>"), by loading them into a copy of the model."""
    twin = copy.deepcopy(model).eval()

    def evaluate(params: dict[str, torch.Tensor]) -> float:
        twin.load_state_dict({k.removeprefix("model."): v for k, v in params.items()}, strict=False)
        with torch.no_grad():
            return float(loss_fn(twin(X), y))

    return evaluate


def test_a_sequential_classifier_takes_the_batched_path() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Dropout(0.5), nn.Linear(8, 3))
    X, y = torch.randn(40, 2), torch.randint(0, 3, (40,))
    land = gradviz.landscape(model, nn.CrossEntropyLoss(), X, y, grid=5, span=0.5, seed=3)
    assert land.method == "batched" and land.losses.shape == (5, 5)
    base = {f"model.{k}": v.detach() for k, v in model.named_parameters()}
    assert_grid_equals(land, base, 3, evaluator(model, nn.CrossEntropyLoss(), X, y))
    assert land.center == pytest.approx(evaluator(model, nn.CrossEntropyLoss(), X, y)(base))
    assert model.training  # its mode as it was (evaluated in eval mode: dropout off)


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv1d(1, 2, 3)
        self.head = nn.Linear(2 * 6, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(torch.tanh(self.conv(x)).flatten(1))


def test_any_module_and_a_loss_function() -> None:
    torch.manual_seed(1)
    model = Net()
    X, y = torch.randn(16, 1, 8), torch.randn(16, 1)
    land = gradviz.landscape(model, F.mse_loss, X, y, grid=4, seed=7)
    assert land.method in ("vmap", "loop")
    base = {f"model.{k}": v.detach() for k, v in model.named_parameters()}
    assert_grid_equals(land, base, 7, evaluator(model, F.mse_loss, X, y))
    with pytest.raises(ValueError, match="no parameters"):
        gradviz.landscape(nn.ReLU(), F.mse_loss, X, y)
    with pytest.raises(ValueError, match="grid"):
        gradviz.landscape(model, F.mse_loss, X, y, grid=1)
