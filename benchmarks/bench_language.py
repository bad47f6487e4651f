"""The gradviz language against Python running the same course code (PyTorch's tutorials, d2l,
Karpathy's lectures; tests/core/course_code): run alone and traced, as ratios to Python.

Run: python benchmarks/bench_language.py [--turns 5]
Python runs each file as a script would (runpy, prints discarded, torch seeded with 0 as gradviz
seeds it). Programs with training loops show the interpreter's own cost per expression and per
guarded op; nothing here is asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import runpy
import sys
import tempfile
import warnings
from collections.abc import Callable
from functools import partial
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from timing import interleaved_medians

from gradviz.autograd.tracer import trace
from gradviz.lang.interpreter import run_program
from gradviz.lang.parser import parse

COURSE_CODE = Path(__file__).resolve().parents[1] / "tests" / "core" / "course_code"


def python_runs(path: Path) -> Callable[[], object]:
    def run() -> object:
        torch.manual_seed(0)
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return runpy.run_path(str(path))

    return run


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=5, help="interleaved turns")
    args = parser.parse_args()
    print(f"torch {torch.__version__}; median of {args.turns} interleaved turns")
    print(f"{'program':<36}{'python':>10}{'run':>10}{'run/py':>8}{'trace':>10}{'trace/py':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        for path in sorted(COURSE_CODE.glob("*.py")):
            source = path.read_text(encoding="utf-8")
            script = Path(tmp) / path.name  # as a script: torch imported, as gradviz has it
            script.write_text("import torch\n" + source, encoding="utf-8")
            program = parse(source)
            t_py, t_run, t_trace = interleaved_medians(
                [python_runs(script), partial(run_program, program), partial(trace, program)],
                args.turns,
            )
            print(
                f"{path.stem[:35]:<36}{t_py * 1e3:>8.1f}ms{t_run * 1e3:>8.1f}ms"
                f"{t_run / t_py:>7.1f}x{t_trace * 1e3:>8.1f}ms{t_trace / t_py:>8.1f}x"
            )


if __name__ == "__main__":
    main()
