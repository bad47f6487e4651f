"""The benchmark programs, each in the gradviz language and as plain PyTorch (same computation)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class Program:
    name: str
    source: str  # the gradviz language
    build: Callable[[], tuple[torch.Tensor, dict[str, torch.Tensor]]]  # plain torch: (loss, params)


def lecture() -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    x = torch.tensor(2.0, requires_grad=True)
    y = torch.tensor(3.0, requires_grad=True)
    return x * y + torch.exp(x * y), {"x": x, "y": y}


def mlp(depth: int, width: int = 64, batch: int = 32) -> Program:
    source = (
        "torch.manual_seed(0)\nlayers = []\n"
        f"for i in range({depth}):\n"
        f"    layers.append(nn.Linear({width}, {width}))\n    layers.append(nn.ReLU())\n"
        f"model = nn.Sequential(*layers)\nX = torch.randn({batch}, {width})\n"
        "loss = model(X).pow(2).mean()\nloss.backward()\n"
    )

    def build() -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        torch.manual_seed(0)
        layers: list[nn.Module] = []
        for _ in range(depth):
            layers += [nn.Linear(width, width), nn.ReLU()]
        model = nn.Sequential(*layers)
        X = torch.randn(batch, width)
        return model(X).pow(2).mean(), dict(model.named_parameters())

    name = f"mlp-{depth}" if width == 64 else f"mlp-{depth}-w{width}-b{batch}"
    return Program(name, source, build)


CNN_SOURCE = """
torch.manual_seed(0)
model = nn.Sequential(
    nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
    nn.Flatten(), nn.Linear(16 * 7 * 7, 10),
)
X = torch.randn(16, 1, 28, 28)
labels = torch.arange(16) % 10
loss = F.cross_entropy(model(X), labels)
loss.backward()
"""


def cnn() -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 7 * 7, 10),
    )  # fmt: skip
    X = torch.randn(16, 1, 28, 28)
    labels = torch.arange(16) % 10
    loss = nn.functional.cross_entropy(model(X), labels)
    return loss, dict(model.named_parameters())


TRANSFORMER_SOURCE = """
torch.manual_seed(0)
layer = nn.TransformerEncoderLayer(d_model=64, nhead=4, dim_feedforward=128, batch_first=True)
X = torch.randn(8, 16, 64)
loss = layer(X).pow(2).mean()
loss.backward()
"""


def transformer() -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    torch.manual_seed(0)
    layer = nn.TransformerEncoderLayer(d_model=64, nhead=4, dim_feedforward=128, batch_first=True)
    X = torch.randn(8, 16, 64)
    return layer(X).pow(2).mean(), dict(layer.named_parameters())


PROGRAMS = [
    Program("lecture", "x = 2.0\ny = 3.0\nx*y + exp(x*y)\n", lecture),
    mlp(2),
    mlp(5),
    mlp(20),
    mlp(50),
    mlp(5, width=1024, batch=512),
    Program("small-cnn", CNN_SOURCE, cnn),
    Program("transformer-layer", TRANSFORMER_SOURCE, transformer),
]
