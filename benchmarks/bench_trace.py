"""gradviz trace + layout vs torchviz make_dot + dot, in-process and as whole processes; and
the tracer's own overhead, recording plain PyTorch code (gradviz.record) vs running it.

Run: python benchmarks/bench_trace.py [--device cuda] [--quick]
Prints ratios (lower is better for gradviz / other). Nothing here is asserted.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from programs import PROGRAMS, Program
from timing import interleaved_medians

from gradviz import collection
from gradviz.autograd.live import LiveRecording
from gradviz.autograd.tracer import trace
from gradviz.lang.interpreter import run_program
from gradviz.lang.parser import parse
from gradviz.render.dot import build_dot
from gradviz.render.layout import run_dot


def plain(program: Program, device: str) -> Callable[[], object]:
    def run() -> object:
        with torch.device(device):
            loss, _ = program.build()
            if loss.numel() == 1:
                loss.backward()
            if device == "cuda":
                torch.cuda.synchronize()
        return loss

    return run


def torchviz_dot(program: Program, device: str) -> Callable[[], object]:
    from torchviz import make_dot

    def run() -> object:
        with torch.device(device):
            loss, params = program.build()
        return make_dot(loss, params=params).pipe(format="svg")

    return run


def gradviz_trace(program: Program, device: str) -> Callable[[], object]:
    parsed = parse(program.source)
    return lambda: trace(parsed, device=device)


def gradviz_record(program: Program, device: str) -> Callable[[], object]:
    """The same plain PyTorch code as `plain`, recorded: gradviz.record() + rec.backward()."""

    def run() -> object:
        recording = LiveRecording()
        with torch.device(device), recording:
            loss, _ = program.build()
        graph = recording.backward(loss)
        if device == "cuda":
            torch.cuda.synchronize()
        return graph

    return run


def gradviz_run_only(program: Program, device: str) -> Callable[[], object]:
    parsed = parse(program.source)
    return lambda: run_program(parsed, device=device)


def gradviz_trace_and_svg(program: Program, device: str) -> Callable[[], object]:
    parsed = parse(program.source)
    return lambda: run_dot(build_dot(trace(parsed, device=device).graph), "svg")


def process(cmd: list[str]) -> Callable[[], object]:
    return lambda: subprocess.run(cmd, check=True, capture_output=True)


TORCHVIZ_SCRIPT = """
import sys, torch
sys.path.insert(0, {bench!r})
from programs import PROGRAMS
from torchviz import make_dot
program = next(p for p in PROGRAMS if p.name == {name!r})
loss, params = program.build()
make_dot(loss, params=params).render({out!r}, format="svg", cleanup=True)
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--no-process", action="store_true", help="skip whole-process timings")
    parser.add_argument(
        "--no-freeze", action="store_true", help="leave start-up objects to the collector"
    )
    args = parser.parse_args()
    if not args.no_freeze:
        import torchviz  # noqa: F401  (imported before the freeze, as the app imports its own)

        collection.freeze_start_up()  # as the app and the CLI do once torch is imported
    repeat = 3 if args.quick else 10
    device = args.device
    frozen = "no" if args.no_freeze else "start-up objects frozen, as in the app and the CLI"
    print(f"torch {torch.__version__}, {device}, median of {repeat} turns × 2 runs; {frozen}")
    header = (
        f"{'program':<18}{'nodes':>6}{'plain f+b':>11}{'record':>10}{'rec/plain':>10}"
        f"{'run only':>10}{'trace':>10}"
        f"{'trace/plain':>12}{'trace/run':>10}{'gv+svg':>10}{'tv+svg':>10}{'gv/tv':>7}"
    )
    print(header)
    for program in PROGRAMS:
        nodes = len(trace(program.source, device=device).graph.nodes)
        t_plain, t_record, t_run, t_trace, t_gv, t_tv = interleaved_medians(
            [
                plain(program, device),
                gradviz_record(program, device),
                gradviz_run_only(program, device),
                gradviz_trace(program, device),
                gradviz_trace_and_svg(program, device),
                torchviz_dot(program, device),
            ],
            repeat,
            burst=3,
        )
        print(
            f"{program.name:<18}{nodes:>6}{t_plain * 1e3:>9.2f}ms"
            f"{t_record * 1e3:>8.2f}ms{t_record / t_plain:>9.2f}x{t_run * 1e3:>8.2f}ms"
            f"{t_trace * 1e3:>8.2f}ms{t_trace / t_plain:>11.2f}x{t_trace / t_run:>9.2f}x"
            f"{t_gv * 1e3:>8.1f}ms"
            f"{t_tv * 1e3:>8.1f}ms{t_gv / t_tv:>6.2f}x"
        )
    if args.no_process:
        return
    print("\nwhole process: `gradviz export P -o out.svg` vs python+torch+torchviz+dot (svg)")
    bench = str(Path(__file__).resolve().parent)
    with tempfile.TemporaryDirectory() as tmp:
        for program in PROGRAMS:
            source = Path(tmp) / f"{program.name}.py"
            source.write_text(program.source)
            script = Path(tmp) / f"tv_{program.name}.py"
            script.write_text(
                TORCHVIZ_SCRIPT.format(bench=bench, name=program.name, out=str(Path(tmp) / "tv"))
            )
            gradviz_cmd = [sys.executable, "-m", "gradviz", "export", str(source), "-o",
                           str(Path(tmp) / "gv.svg"), "--device", device]  # fmt: skip
            torchviz_cmd = [sys.executable, str(script)]
            t_gv, t_tv = interleaved_medians(
                [process(gradviz_cmd), process(torchviz_cmd)], max(3, repeat // 2)
            )
            print(
                f"{program.name:<18} gradviz {t_gv:6.2f}s  torchviz {t_tv:6.2f}s"
                f"  ratio {t_gv / t_tv:5.2f}x"
            )


if __name__ == "__main__":
    main()
