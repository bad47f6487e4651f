"""The landscape of a network with batch norm in training mode: batched by vmap (the replay
updates no running statistics), every value a plain PyTorch evaluation's, the graph untouched."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call

from gradviz.autograd.tracer import trace
from gradviz.nets.landscape import random_landscape
from gradviz.nets.replay import replay_loss
from tests.core.landscape_grid import assert_grid_equals

SOURCE = """
torch.manual_seed(0)
model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                      nn.Flatten(), nn.Linear(4 * 5 * 5, 3))
X = torch.randn(12, 1, 5, 5)
y = torch.arange(12) % 3
loss = F.cross_entropy(model(X), y)
loss.backward()
"""


def _reference() -> tuple[nn.Module, torch.Tensor, torch.Tensor]:
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
        nn.Flatten(), nn.Linear(4 * 5 * 5, 3),
    )  # fmt: skip
    return model, torch.randn(12, 1, 5, 5), torch.arange(12) % 3


def test_a_batch_norm_landscape_is_batched_and_equals_torch_in_training_mode() -> None:
    model, X, y = _reference()

    def evaluate(params: dict[str, torch.Tensor]) -> float:  # batch statistics, as training
        named = {k.removeprefix("model."): v for k, v in params.items()}
        return float(F.cross_entropy(functional_call(model, named, (X,)), y))

    graph = trace(SOURCE).graph
    statistics = [n for n in graph.nodes if n.name and "running" in n.name]
    shown = [n.value.clone() for n in statistics]  # type: ignore[union-attr]
    loss, base = replay_loss(graph)
    landscape = random_landscape(loss, base, grid=5, span=0.8, seed=2)
    assert landscape.method == "vmap"  # not a loop over the points
    assert_grid_equals(landscape, base, 2, evaluate)
    assert float(landscape.center) == float(loss(base))
    assert len(statistics) == 2
    for node, before in zip(statistics, shown, strict=True):
        assert torch.equal(node.value, before)  # type: ignore[arg-type]
