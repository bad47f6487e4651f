"""The lab's computations, run in its worker thread: surface grids, races, basin maps."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from gradviz.ui.lab.palette import BASIN_COLOURS, DIVERGED_COLOUR, MARKERS, UNSETTLED_COLOUR
from gradviz.ui.lab.surface_view import GridImage, Path

if TYPE_CHECKING:
    from gradviz.optim.grid import Grid
    from gradviz.optim.surfaces import Surface
    from gradviz.optim.trajectories import Run

GridOutcome = tuple[GridImage, list[tuple[float, float]], object]


@dataclass
class RaceResult:
    paths: list[Path]
    seconds: float
    device: str
    start: tuple[float, float]
    minima: list[tuple[float, float]]
    domain: tuple[float, float, float, float] = (-1.0, 1.0, -1.0, 1.0)  # the surface's window


@dataclass
class BasinResult:
    rgba: np.ndarray
    window: tuple[float, float, float, float]
    fractions: dict[int, float]
    seconds: float
    device: str
    label: str
    starts: int
    steps: int

    def summary(self) -> str:
        """What the basin map shows, for the line under its button."""
        names = {-1: "diverged", -2: "unsettled"}
        shares = ", ".join(
            f"{names.get(k, f'minimum {k + 1}')} {v:.0%}"
            for k, v in self.fractions.items()
            if v > 0
        )
        return (
            f"{self.label}: {self.starts:,} starts × {self.steps} steps in "
            f"{self.seconds:.2f} s on {self.device}. {shares}"
        )


def make_surface(name: str, function_source: str, device: str = "cpu") -> Surface:
    """A built-in surface; `function_source` is f(x, y) for "function", a program for
    "network" (its torch.nn network's loss landscape)."""
    if name == "network":
        from gradviz.nets.surface import network_surface

        if not function_source.strip():
            raise ValueError("write a program with a torch.nn model and a loss in the Graph tab")
        return network_surface(function_source, device)
    if name == "function":
        from gradviz.optim.custom import typed_surface

        return typed_surface(function_source)
    from gradviz.optim.surfaces import get_surface

    return get_surface(name)


def path_of(surface: Surface, run: Run, colour: str, marker: str) -> Path:
    """A run ready to draw, with ∇f at each of its points."""
    import torch

    points = np.array(run.points, dtype=np.float64)
    at = torch.tensor(points, dtype=torch.float32, requires_grad=True)
    surface(at[:, 0], at[:, 1]).sum().backward()
    grads = at.grad.numpy().astype(np.float64) if at.grad is not None else np.zeros_like(points)
    return Path(
        run.label, colour, points, np.array(run.losses), grads, run.diverged_at, marker,
        run.undefined_at,
    )  # fmt: skip


def grid_image(surface: Surface, grid: Grid) -> GridImage:
    """The grid ready to draw: its colour values (log where they span decades) and how much of
    it is blank."""
    from gradviz.optim.grid import nonfinite_share, surface_colours

    colours, log_scale = surface_colours(surface, grid)
    return GridImage(
        colours.numpy(), grid.extent, log_scale, grid.seconds, grid.device,
        blank=nonfinite_share(grid.values),
    )  # fmt: skip


def grid_task(
    name: str,
    source: str,
    window: tuple[float, float, float, float] | None,
    resolution: int,
    device: str,
) -> Callable[[threading.Event], GridOutcome]:
    def run(cancel: threading.Event) -> GridOutcome:
        from gradviz.optim.contours import contour_lines
        from gradviz.optim.grid import evaluate_grid
        from gradviz.ui.lab.contours import contour_paths

        surface = make_surface(name, source, device)
        grid = evaluate_grid(surface, window, min(resolution, surface.max_grid), device)
        image = grid_image(surface, grid)
        image.contours = contour_lines(image.values)
        image.contour_paths = contour_paths(image.contours)
        minima = [(m.x, m.y) for m in surface.minima]
        return image, minima, surface

    return run


def race_task(
    name: str,
    source: str,
    specs: list[tuple[str, str]],  # (spec text, colour)
    start: tuple[float, float] | None,
    steps: int,
    device: str,
) -> Callable[[threading.Event], RaceResult]:
    def run(cancel: threading.Event) -> RaceResult:
        import torch

        from gradviz.optim.registry import parse_spec
        from gradviz.optim.together import optimize_together
        from gradviz.optim.trajectories import to_runs

        surface = make_surface(name, source, device)
        begin = time.perf_counter()
        origin = start if start is not None else surface.start
        parsed = [parse_spec(text) for text, _ in specs]
        starts = torch.tensor([origin], dtype=torch.float32, device=device)
        trajectories = optimize_together(surface, parsed, starts, steps, cancel=cancel)
        paths = []
        for index, (spec, (_, colour), trajectory) in enumerate(
            zip(parsed, specs, trajectories, strict=True)
        ):
            run_ = to_runs(spec, *trajectory)[0]
            paths.append(path_of(surface, run_, colour, MARKERS[index % len(MARKERS)]))
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        minima = [(m.x, m.y) for m in surface.minima]
        seconds = time.perf_counter() - begin
        return RaceResult(paths, seconds, device, origin, minima, surface.domain)

    return run


def basins_task(
    name: str,
    source: str,
    spec_text: str,
    window: tuple[float, float, float, float] | None,
    resolution: int,
    steps: int,
    device: str,
) -> Callable[[threading.Event], BasinResult]:
    def run(cancel: threading.Event) -> BasinResult:
        from gradviz.optim.basins import DIVERGED, UNSETTLED, basin_map
        from gradviz.optim.registry import parse_spec

        surface = make_surface(name, source, device)
        spec = parse_spec(spec_text)
        result = basin_map(
            surface, spec, resolution, steps, window=window, device=device, cancel=cancel
        )
        labels = result.labels.numpy()
        rgba = np.zeros((*labels.shape, 4), dtype=np.uint8)
        palette = {DIVERGED: DIVERGED_COLOUR, UNSETTLED: UNSETTLED_COLOUR}
        for index in range(len(surface.minima)):
            palette[index] = BASIN_COLOURS[index % len(BASIN_COLOURS)]
        for label, colour in palette.items():
            mask = labels == label
            rgba[mask] = [int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16), 255]
        extent = (float(result.x[0]), float(result.x[-1]), float(result.y[0]), float(result.y[-1]))
        return BasinResult(
            rgba, extent, result.fractions(len(surface.minima)), result.seconds,
            device if result.method == "eager" else f"{device}, one CUDA graph a step",
            spec.label(), resolution * resolution, steps,
        )  # fmt: skip

    return run
