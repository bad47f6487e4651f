"""The basin map: colour every start of a grid by where an optimizer takes it."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import torch

from gradviz.heap import keep_freed_memory
from gradviz.optim.graphed import graphable, optimize_final
from gradviz.optim.registry import OptimizerSpec
from gradviz.optim.surfaces import Surface
from gradviz.optim.trajectories import optimize_batch

DIVERGED = -1
UNSETTLED = -2


@dataclass
class BasinMap:
    """labels[i, j]: index of the minimum reached from start (x[j], y[i]), or DIVERGED/UNSETTLED."""

    labels: torch.Tensor
    x: torch.Tensor
    y: torch.Tensor
    steps: int
    seconds: float
    device: str
    method: str = "eager"  # or "cuda graph": each step replayed as one captured graph

    def fractions(self, count: int) -> dict[int, float]:
        total = self.labels.numel()
        keys = [*range(count), DIVERGED, UNSETTLED]
        return {k: float((self.labels == k).sum()) / total for k in keys}


def basin_map(
    surface: Surface,
    spec: OptimizerSpec,
    resolution: int = 128,
    steps: int = 500,
    *,
    window: tuple[float, float, float, float] | None = None,
    device: str = "cpu",
    tolerance: float | None = None,
    cancel: threading.Event | None = None,
) -> BasinMap:
    """Run `spec` from resolution² starts at once (one tensor) and label where each ends."""
    keep_freed_memory()  # each step's half-megabyte tensors would be page-faulted in anew
    x0, x1, y0, y1 = window or surface.domain
    start = time.perf_counter()
    xs = torch.linspace(x0, x1, resolution, device=device)
    ys = torch.linspace(y0, y1, resolution, device=device)
    grid_y, grid_x = torch.meshgrid(ys, xs, indexing="ij")
    starts = torch.stack([grid_x.reshape(-1), grid_y.reshape(-1)], dim=1)
    if graphable(spec):  # on a GPU, each step replayed as one CUDA graph
        final, diverged, method = optimize_final(surface, spec, starts, steps, cancel=cancel)
        final = final[0]
    else:
        positions, _, diverged = optimize_batch(
            surface, spec, starts, steps, record=False, cancel=cancel
        )
        final, method = positions[0], "eager"
    labels = torch.full((starts.shape[0],), UNSETTLED, dtype=torch.long, device=device)
    if surface.minima:
        minima = torch.tensor(
            [[m.x, m.y] for m in surface.minima], dtype=final.dtype, device=device
        )
        distance = torch.cdist(torch.nan_to_num(final, nan=1e30), minima)  # N × minima
        nearest = distance.min(dim=1)
        tol = tolerance if tolerance is not None else 0.02 * max(x1 - x0, y1 - y0)
        labels = torch.where(nearest.values <= tol, nearest.indices, labels)
    labels = torch.where(diverged >= 0, torch.full_like(labels, DIVERGED), labels)
    labels = labels.reshape(resolution, resolution)
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    return BasinMap(labels.cpu(), xs.cpu(), ys.cpu(), steps, seconds, device, method)
