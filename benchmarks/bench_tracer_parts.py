"""Where the tracer's time goes, on plain PyTorch code: each part alone against a plain forward
and backward — a dispatch mode that does nothing, the forward recorder under it, hooks on every
autograd node, and the whole of gradviz.record (those, the graph built, names and modules).

Run: python benchmarks/bench_tracer_parts.py [--device cuda] [--quick]
Prints times and ratios to plain; nothing here is asserted.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch.utils._python_dispatch import TorchDispatchMode

sys.path.insert(0, str(Path(__file__).resolve().parent))

from programs import PROGRAMS, Program
from timing import interleaved_medians

from gradviz import collection
from gradviz.autograd.capture import GradientCapture
from gradviz.autograd.live import LiveRecording, _Watching
from gradviz.autograd.recorder import ForwardRecorder
from gradviz.autograd.walk import reachable


class _Nothing(TorchDispatchMode):
    """The least a Python dispatch mode costs: one Python call per aten op."""

    @classmethod
    def _should_skip_dynamo(cls) -> bool:
        return False

    def __torch_dispatch__(
        self, func: Any, types: Any, args: tuple[Any, ...] = (), kwargs: Any = None
    ) -> Any:
        return func(*args, **(kwargs or {}))


def _synced(device: str, run: Callable[[], object]) -> Callable[[], object]:
    def timed() -> object:
        with torch.device(device):
            out = run()
        if device == "cuda":
            torch.cuda.synchronize()
        return out

    return timed


def parts(program: Program, device: str) -> list[Callable[[], object]]:
    def plain() -> object:
        loss, _ = program.build()
        loss.backward()
        return loss

    def empty_mode() -> object:
        with _Nothing():
            loss, _ = program.build()
        loss.backward()
        return loss

    def recorder() -> object:
        with _Watching(ForwardRecorder()):
            loss, _ = program.build()
        loss.backward()
        return loss

    def hooks() -> object:
        loss, _ = program.build()
        with GradientCapture(reachable(loss.grad_fn)):
            loss.backward()
        return loss

    def record() -> object:
        recording = LiveRecording()
        with recording:
            loss, _ = program.build()
        return recording.backward(loss)

    return [_synced(device, f) for f in (plain, empty_mode, recorder, hooks, record)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args()
    collection.freeze_start_up()
    repeat = 5 if args.quick else 15
    print(f"torch {torch.__version__}, {args.device}, median of {repeat} turns × 2 runs")
    print(
        f"{'program':<18}{'plain f+b':>11}{'empty mode':>12}{'recorder':>10}{'hooks':>8}"
        f"{'record':>8}   (the last four as multiples of plain)"
    )
    for program in PROGRAMS:
        t_plain, *rest = interleaved_medians(parts(program, args.device), repeat, burst=3)
        widths = (11, 9, 7, 7)
        ratios = "".join(f"{t / t_plain:>{w}.2f}x" for t, w in zip(rest, widths, strict=True))
        print(f"{program.name:<18}{t_plain * 1e3:>9.2f}ms{ratios}")


if __name__ == "__main__":
    main()
