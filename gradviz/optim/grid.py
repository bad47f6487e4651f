"""Evaluating a surface on a grid, vectorised on the chosen device (never point by point)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import torch

from gradviz.optim.surfaces import Surface


@dataclass
class Grid:
    """Values of f on a res_y × res_x grid over [x0, x1] × [y0, y1] (rows are y)."""

    values: torch.Tensor
    x: torch.Tensor
    y: torch.Tensor
    seconds: float
    device: str

    @property
    def extent(self) -> tuple[float, float, float, float]:
        return float(self.x[0]), float(self.x[-1]), float(self.y[0]), float(self.y[-1])


def evaluate_grid(
    surface: Surface,
    window: tuple[float, float, float, float] | None = None,
    resolution: int | tuple[int, int] = 256,
    device: str = "cpu",
) -> Grid:
    """f over the window (default: the surface's own) at the given resolution."""
    x0, x1, y0, y1 = window or surface.domain
    nx, ny = (resolution, resolution) if isinstance(resolution, int) else resolution
    if not (2 <= nx <= 8192 and 2 <= ny <= 8192):
        raise ValueError("grid resolution must be between 2 and 8192")
    start = time.perf_counter()
    with torch.no_grad():
        xs = torch.linspace(x0, x1, nx, device=device)
        ys = torch.linspace(y0, y1, ny, device=device)
        values = surface(xs.reshape(1, -1), ys.reshape(-1, 1))  # broadcasts to ny × nx
        if values.shape != (ny, nx):
            values = values.expand(ny, nx)
        if device.startswith("cuda"):
            torch.cuda.synchronize()
    return Grid(values, xs, ys, time.perf_counter() - start, device)


def colour_values(grid: Grid, log_scale: bool, lowest: float | None = None) -> torch.Tensor:
    """What the heatmap colours: f, or log10(f − min + ε) where values span decades."""
    values = grid.values.detach().double().cpu()
    if not log_scale:
        return values
    floor = lowest if lowest is not None else float(values[torch.isfinite(values)].min())
    shifted = (values - floor).clamp_min(0)
    positive = shifted[shifted > 0]
    epsilon = float(positive.min()) if positive.numel() else 1e-12
    return torch.log10(shifted + epsilon)


# A typed f(x, y) is coloured by log(f − min) where a linear scale would paint most of the
# window one colour: over half its finite values in the lowest 1 % of their range (exp(x² + y²),
# exp(10xy); not x² + 10y², Rosenbrock as typed, sin x · cos y).
CROWDED_SHARE = 0.5
CROWDED_BAND = 0.01


def spans_decades(values: torch.Tensor) -> bool:
    """Whether a linear colour scale would show most of these values as its lowest colour."""
    finite = values[torch.isfinite(values)].double()
    if finite.numel() < 2:
        return False
    shifted = finite - finite.min()
    top = float(shifted.max())
    if top <= 0:
        return False
    return float((shifted < CROWDED_BAND * top).double().mean()) > CROWDED_SHARE


def surface_colours(surface: Surface, grid: Grid) -> tuple[torch.Tensor, bool]:
    """What the heatmap colours for `surface` on `grid`, and whether that is on a log scale:
    the surface's own choice, or for a typed f(x, y) whether its values span decades here."""
    log_scale = surface.log_scale or (surface.name == "function" and spans_decades(grid.values))
    return colour_values(grid, log_scale, surface.lowest), log_scale


def nonfinite_share(values: torch.Tensor) -> float:
    """The fraction of grid points where f is inf or NaN (drawn blank)."""
    return float((~torch.isfinite(values)).double().mean()) if values.numel() else 0.0
