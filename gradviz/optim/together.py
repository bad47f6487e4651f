"""Several optimizers from the same starts, sharing each step's forward and backward pass: the
surface is evaluated once over every optimizer's points (concatenated), one backward sends
each its own gradient, then each real torch.optim optimizer steps its own tensor. Rows never
interact, so every run is the one optimize_batch gives for that optimizer alone; a race of
four optimizers costs about half as much as four separate ones (most of a step is fixed
framework overhead, paid once instead of four times)."""

from __future__ import annotations

import threading

import torch

from gradviz.optim.registry import OptimizerSpec
from gradviz.optim.surfaces import Surface
from gradviz.optim.trajectories import Cancelled, default_bound, loss_at, optimize_batch

Trajectory = tuple[torch.Tensor, torch.Tensor, torch.Tensor]  # positions, losses, diverged


def optimize_together(
    surface: Surface,
    specs: list[OptimizerSpec],
    starts: torch.Tensor,
    steps: int,
    *,
    bound: float | None = None,
    cancel: threading.Event | None = None,
) -> list[Trajectory]:
    """optimize_batch(surface, spec, starts, steps) for each spec, as one computation."""
    bound = default_bound(surface) if bound is None else bound
    results: list[Trajectory | None] = [None] * len(specs)
    shared = [i for i, spec in enumerate(specs) if spec.kind.batchable]
    for i, spec in enumerate(specs):
        if not spec.kind.batchable:  # L-BFGS looks at all its parameters together
            results[i] = optimize_batch(surface, spec, starts, steps, bound=bound, cancel=cancel)
    if shared:
        together = _shared(surface, [specs[i] for i in shared], starts, steps, bound, cancel)
        for i, trajectory in zip(shared, together, strict=True):
            results[i] = trajectory
    return [r for r in results if r is not None]


def _shared(
    surface: Surface,
    specs: list[OptimizerSpec],
    starts: torch.Tensor,
    steps: int,
    bound: float,
    cancel: threading.Event | None,
) -> list[Trajectory]:
    params = [starts.detach().clone().requires_grad_(True) for _ in specs]
    optimizers = [spec.build([p]) for spec, p in zip(specs, params, strict=True)]
    schedulers = [spec.build_scheduler(o) for spec, o in zip(specs, optimizers, strict=True)]
    count, rows = len(specs), starts.shape[0]
    shape = (steps + 1, count, rows)
    positions = torch.empty((*shape, 2), dtype=starts.dtype, device=starts.device)
    losses = torch.empty(shape, dtype=starts.dtype, device=starts.device)
    positions[0] = torch.stack([p.detach() for p in params])
    for step in range(steps):
        if cancel is not None and cancel.is_set():
            raise Cancelled()
        for optimizer in optimizers:
            optimizer.zero_grad()
        loss = loss_at(surface, torch.cat(params))
        losses[step] = loss.detach().reshape(count, rows)
        loss.sum().backward()
        for optimizer in optimizers:
            optimizer.step()
        for scheduler in schedulers:
            if scheduler is not None:
                scheduler.step()
        with torch.no_grad():
            positions[step + 1] = torch.stack([p.detach() for p in params])
    with torch.no_grad():
        losses[-1] = loss_at(surface, positions[-1].reshape(-1, 2)).reshape(count, rows)
        bad = ~torch.isfinite(positions).all(dim=3) | (positions.abs() > bound).any(dim=3)
        first = torch.where(bad.any(dim=0), bad.int().argmax(dim=0), -1).to(torch.long)
    return [(positions[:, k], losses[:, k], first[k]) for k in range(count)]
