"""A network's real loss landscape as an optimizer-lab surface: f(α, β) = L(θ + α·d₁ + β·d₂),
differentiable in α and β, so torch.optim optimizers can race on a slice of a real network."""

from __future__ import annotations

from functools import lru_cache

import torch

from gradviz.nets.landscape import evaluate_points, filter_normalised
from gradviz.nets.replay import replay_loss
from gradviz.optim.surfaces import Surface

GRID_CAP = 61  # points per side: each point is a whole forward pass of the network


@lru_cache(maxsize=4)
def network_surface(source: str, device: str = "cpu", seed: int = 0, span: float = 1.0) -> Surface:
    """The program's network (its torch.nn modules and scalar loss), traced once, as a
    surface over two filter-normalised random directions around its weights."""
    from gradviz.autograd.tracer import trace

    replay, base = replay_loss(trace(source, device=device).graph)
    generator = torch.Generator().manual_seed(seed)
    first = filter_normalised(base, generator)
    second = filter_normalised(base, generator)

    def fn(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        x, y = torch.broadcast_tensors(x, y)
        flat, _ = evaluate_points(replay, base, first, second, x.reshape(-1), y.reshape(-1))
        return flat.reshape(x.shape)

    with torch.no_grad():
        center = float(replay(base))
    return Surface(
        "network",
        "Network loss landscape",
        fn,
        (-span, span, -span, span),
        (),
        (-0.7 * span, 0.6 * span),
        True,
        f"L(θ + α·d₁ + β·d₂), loss {center:.4g} at the traced weights (α = β = 0)",
        {"seed": seed, "span": span},
        max_grid=GRID_CAP,
    )
