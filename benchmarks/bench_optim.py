"""The optimizer lab, measured: grids vs a per-point loop, batched starts vs separate runs,
basin-map time, and the animation's frame time with 8 optimizers racing.

Run: QT_QPA_PLATFORM=offscreen python benchmarks/bench_optim.py [--device cuda] [--no-ui]
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch

from gradviz.optim.basins import basin_map
from gradviz.optim.grid import evaluate_grid
from gradviz.optim.registry import parse_spec
from gradviz.optim.surfaces import get_surface
from gradviz.optim.trajectories import optimize_batch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from timing import interleaved_medians


def grid_vs_loop(device: str) -> None:
    surface = get_surface("rosenbrock")

    def grid() -> None:
        evaluate_grid(surface, None, 2048, device).values.sum().item()

    xs = torch.linspace(-2, 2, 64, device=device)
    ys = torch.linspace(-1, 3, 64, device=device)

    def loop() -> None:  # what a per-point loop does, on a 64² grid (2048² would take minutes)
        for y in ys:
            for x in xs:
                surface(x, y).item()

    batched, per_point = interleaved_medians([grid, loop], 3)
    per_point *= (2048 * 2048) / (64 * 64)
    print(
        f"grid 2048² Rosenbrock on {device}: {batched * 1000:.1f} ms batched; a per-point loop "
        f"would take {per_point:.0f} s ({per_point / batched:,.0f}× slower)"
    )


def batch_vs_separate(device: str) -> None:
    surface = get_surface("rosenbrock")
    spec = parse_spec("adam:lr=0.01")
    starts = torch.rand(1024, 2, device=device) * torch.tensor([4.0, 4.0], device=device) - 2

    def batch() -> None:
        optimize_batch(surface, spec, starts, 1000, record=False)
        if device.startswith("cuda"):
            torch.cuda.synchronize()

    def one() -> None:
        optimize_batch(surface, spec, starts[:1], 1000, record=False)

    t_batch, t_one = interleaved_medians([batch, one], 3)
    print(
        f"1,024 starts × 1,000 Adam steps on {device}: batched {t_batch:.2f} s = "
        f"{t_batch / t_one:.2f}× "
        f"one run ({t_one:.2f} s); 1,024 separate runs ≈ {t_one * 1024:.0f} s "
        f"→ {t_one * 1024 / t_batch:,.0f}× the throughput"
    )


def basins(device: str) -> None:
    """The basin map as the lab makes it (on a GPU: a CUDA graph per step), and beside it the
    same starts and steps launched op by op (optimize_batch), taking turns."""
    surface = get_surface("himmelblau")
    spec = parse_spec("adam:lr=0.05")
    result = basin_map(surface, spec, 256, 500, device=device)
    xs = torch.linspace(-5, 5, 256, device=device)
    grid_y, grid_x = torch.meshgrid(xs, xs, indexing="ij")
    starts = torch.stack([grid_x.reshape(-1), grid_y.reshape(-1)], dim=1)

    def synced(fn: Callable[[], object]) -> Callable[[], None]:
        def run() -> None:
            fn()
            if device.startswith("cuda"):
                torch.cuda.synchronize()

        return run

    t_map, t_eager = interleaved_medians(
        [
            synced(lambda: basin_map(surface, spec, 256, 500, device=device)),
            synced(lambda: optimize_batch(surface, spec, starts, 500, record=False)),
        ],
        3,
    )
    print(
        f"basin map 256×256 starts × 500 Adam steps on {device} ({result.method}): "
        f"{t_map:.2f} s; launched op by op: {t_eager:.2f} s ({t_eager / t_map:.1f}×)"
    )


def frames() -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from gradviz.ui.lab.lab_widget import LabWidget
    from gradviz.ui.lab.model import Racer
    from gradviz.ui.lab.palette import RACER_COLOURS

    app = QApplication.instance() or QApplication([])
    assert app is not None
    lab = LabWidget()
    lab.resize(1600, 950)
    lab.show()
    specs = ["sgd:lr=0.001", "momentum:lr=0.001", "nesterov:lr=0.001", "adagrad:lr=0.5",
             "rmsprop:lr=0.01", "adam:lr=0.05", "nadam:lr=0.05", "radam:lr=0.05"]  # fmt: skip
    lab.racers.set_racers([Racer(s, RACER_COLOURS[i]) for i, s in enumerate(specs)])
    lab.steps.setValue(1000)
    loop = QEventLoop()
    lab.race_shown.connect(loop.quit)
    lab._racers_changed()
    QTimer.singleShot(120_000, loop.quit)
    loop.exec()
    lab.pause()
    lab.speed.setValue(1)  # one step a frame: every frame is drawn
    ticks: list[float] = []
    lab._timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    lab.reset()
    lab.play()
    run = QEventLoop()
    QTimer.singleShot(5000, run.quit)
    run.exec()  # the app's own loop: timer ticks, frames, paints
    lab.pause()
    gaps = [(b - a) * 1000 for a, b in itertools.pairwise(ticks)]
    fps = (len(ticks) - 1) / (ticks[-1] - ticks[0]) if len(ticks) > 1 else 0.0
    print(
        f"animation of 8 optimizers × 1,000 steps (offscreen, this CPU): {fps:.1f} frames/s; "
        f"frame gap {statistics.median(gaps):.1f} ms median, "
        f"{sorted(gaps)[int(0.9 * len(gaps))]:.1f} ms p90 (60 fps = 16.7 ms)"
    )
    lab.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--no-ui", action="store_true")
    args = parser.parse_args()
    grid_vs_loop(args.device)
    batch_vs_separate(args.device)
    basins(args.device)
    if not args.no_ui:
        frames()


if __name__ == "__main__":
    main()
