"""Running real torch.optim optimizers on a surface: many starts at once, as rows of one tensor."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field

import torch

from gradviz.optim.registry import OptimizerSpec
from gradviz.optim.surfaces import Surface


@dataclass
class Run:
    """One optimizer from one start: positions after each step, losses, divergence."""

    optimizer: str
    label: str
    params: dict[str, object]
    points: list[tuple[float, float]]
    losses: list[float]
    diverged_at: int | None = None
    # the first point where f is not defined (NaN: log of a negative number, say), its
    # position still finite; its loss and the later ones are inf in `losses`
    undefined_at: int | None = None

    @property
    def final(self) -> tuple[float, float]:
        return self.points[-1]


@dataclass
class Race:
    """Every run of one computation, and how long it took."""

    surface: str
    device: str
    runs: list[Run] = field(default_factory=list)
    seconds: float = 0.0


class Cancelled(Exception):
    pass


def default_bound(surface: Surface) -> float:
    """Positions this far out count as divergence: ten times the plotting window."""
    x0, x1, y0, y1 = surface.domain
    return 10 * max(abs(x0), abs(x1), abs(y0), abs(y1), x1 - x0, y1 - y0)


def loss_at(surface: Surface, points: torch.Tensor) -> torch.Tensor:
    """The surface at each row (x, y) of `points`."""
    return surface(points[:, 0], points[:, 1])


def optimize_batch(
    surface: Surface,
    spec: OptimizerSpec,
    starts: torch.Tensor,
    steps: int,
    *,
    bound: float | None = None,
    record: bool = True,
    cancel: threading.Event | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Run `steps` steps of `spec` from every row of `starts` (N × 2) at once.

    Returns positions (steps+1 × N × 2, or 1 × N × 2 with record=False: the final one),
    losses (same leading size) and, per row, the first step whose position was non-finite or
    beyond `bound` (−1 if none). Rows never interact: the optimizers offered update elementwise
    and the loss is a sum over rows, so each row follows exactly its own single run.
    """
    bound = default_bound(surface) if bound is None else bound
    if not spec.kind.batchable:
        return _one_at_a_time(surface, spec, starts, steps, bound, record, cancel)
    params = starts.detach().clone().requires_grad_(True)
    optimizer = spec.build([params])
    scheduler = spec.build_scheduler(optimizer)
    count = steps + 1 if record else 1
    positions = torch.empty((count, *params.shape), dtype=params.dtype, device=params.device)
    losses = torch.empty((count, params.shape[0]), dtype=params.dtype, device=params.device)
    diverged = torch.full((params.shape[0],), -1, dtype=torch.long, device=params.device)
    positions[0] = params.detach()
    for step in range(steps):
        if cancel is not None and cancel.is_set():
            raise Cancelled()
        optimizer.zero_grad()
        loss = loss_at(surface, params)
        if record:
            losses[step] = loss.detach()
        loss.sum().backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        with torch.no_grad():
            now = params.detach()
            if record:
                positions[step + 1] = now  # divergence is found afterwards, over all steps at once
            else:
                # inside the bound, coordinate by coordinate (NaN compares False, so it is out);
                # elementwise ops only: reductions over the 2 coordinates cost more per step
                inside = now.abs() <= bound
                bad = ~(inside[:, 0] & inside[:, 1])
                diverged.masked_fill_(bad & (diverged < 0), step + 1)
    with torch.no_grad():
        final = params.detach()
        if record:
            bad = ~torch.isfinite(positions).all(dim=2) | (positions.abs() > bound).any(dim=2)
            first = torch.where(bad.any(dim=0), bad.int().argmax(dim=0), -1)
            diverged = first.to(torch.long)
        else:
            positions[0] = final
        losses[-1] = loss_at(surface, final)
    return positions, losses, diverged


def _one_at_a_time(
    surface: Surface,
    spec: OptimizerSpec,
    starts: torch.Tensor,
    steps: int,
    bound: float,
    record: bool,
    cancel: threading.Event | None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """For optimizers that look at all parameters together (L-BFGS): one start at a time."""
    runs = [_single(surface, spec, row, steps, bound, cancel) for row in starts]
    positions = torch.cat([p if record else p[-1:] for p, _, _ in runs], dim=1)
    losses = torch.cat([v if record else v[-1:] for _, v, _ in runs], dim=1)
    diverged = torch.tensor([d for _, _, d in runs], dtype=torch.long)
    return positions, losses, diverged


def _single(
    surface: Surface,
    spec: OptimizerSpec,
    start: torch.Tensor,
    steps: int,
    bound: float,
    cancel: threading.Event | None,
) -> tuple[torch.Tensor, torch.Tensor, int]:
    params = start.detach().clone().reshape(1, 2).requires_grad_(True)
    optimizer = spec.build([params])
    scheduler = spec.build_scheduler(optimizer)

    def closure() -> float:
        optimizer.zero_grad()
        value = loss_at(surface, params).sum()
        value.backward()
        return float(value.detach())

    positions, losses, diverged = [params.detach().clone()], [], -1
    for step in range(steps):
        if cancel is not None and cancel.is_set():
            raise Cancelled()
        losses.append(loss_at(surface, params.detach()))
        optimizer.step(closure)
        if scheduler is not None:
            scheduler.step()
        now = params.detach().clone()
        positions.append(now)
        finite = bool(torch.isfinite(now).all())
        if diverged < 0 and (not finite or bool(now.abs().max() > bound)):
            diverged = step + 1
    losses.append(loss_at(surface, params.detach()))
    return torch.stack(positions), torch.stack(losses), diverged


def to_runs(
    spec: OptimizerSpec, positions: torch.Tensor, losses: torch.Tensor, diverged: torch.Tensor
) -> list[Run]:
    """Per-start Runs: points up to the last finite one, and where divergence happened."""
    runs = []
    positions, losses, diverged = positions.cpu(), losses.cpu(), diverged.cpu()
    for column in range(positions.shape[1]):
        stop = int(diverged[column])
        keep = positions.shape[0] if stop < 0 else stop  # the diverged point itself is dropped
        points = [(float(x), float(y)) for x, y in positions[:keep, column].tolist()]
        read = losses[:keep, column].tolist()
        values = [float(v) if math.isfinite(v) else math.inf for v in read]
        undefined = next((k for k, v in enumerate(read) if math.isnan(v)), None)
        runs.append(
            Run(
                spec.name,
                spec.label(),
                _plain(spec.params()),
                points,
                values,
                None if stop < 0 else stop,
                undefined,
            )
        )
    return runs


def _plain(params: dict[str, object]) -> dict[str, object]:
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in params.items()}


def race(
    surface: Surface,
    specs: list[OptimizerSpec],
    start: tuple[float, float],
    steps: int,
    *,
    device: str = "cpu",
    bound: float | None = None,
    cancel: threading.Event | None = None,
) -> Race:
    """Every optimizer from the same start: the lab's race, and `gradviz optimize`."""
    begin = time.perf_counter()
    result = Race(surface.name, device)
    from gradviz.optim.together import optimize_together

    starts = torch.tensor([start], dtype=torch.float32, device=device)
    trajectories = optimize_together(surface, specs, starts, steps, bound=bound, cancel=cancel)
    for spec, (positions, losses, diverged) in zip(specs, trajectories, strict=True):
        result.runs.extend(to_runs(spec, positions, losses, diverged))
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    result.seconds = time.perf_counter() - begin
    return result
