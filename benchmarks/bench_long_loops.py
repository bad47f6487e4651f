"""Long loops, as an RNN unrolled: a weight reused at every step, and each step's output
gathered by one torch.cat at the end. Whole-process `gradviz export` vs python + torch +
torchviz + dot, as the loop grows. Each long edge costs dot a node per rank it crosses; gradviz
draws a value again beside its far uses once those pass a budget (render/copies.py),
torchviz draws each value once.

Run: python benchmarks/bench_long_loops.py [--steps 10 50 100] [--limit 120]
Prints seconds and ratios; a run past --limit seconds is stopped and shown as such.
"""

from __future__ import annotations

import argparse
import itertools
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LOOPS = {
    "weight reused": """import torch
x = torch.randn(8, 16)
w = torch.randn(16, 16, requires_grad=True)
h = x
for i in range({steps}):
    h = torch.tanh(h @ w) + 0.1 * h
loss = h.pow(2).mean()
""",
    "outputs gathered": """import torch
W = torch.randn(16, 16, requires_grad=True)
V = torch.randn(16, 4, requires_grad=True)
h = torch.zeros(8, 16)
outputs = []
for i in range({steps}):
    h = torch.tanh(h @ W + 1)
    outputs.append(h @ V)
loss = torch.cat(outputs).pow(2).mean()
""",
}

TORCHVIZ = """
from torchviz import make_dot
make_dot(loss).render({out!r}, format="svg", cleanup=True)
"""


def timed(cmd: list[str], limit: float) -> float | None:
    """Wall seconds of `cmd`, or None where it ran past `limit` (then it is stopped, with the
    `dot` it started: its own process group goes)."""
    start = time.perf_counter()
    process = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        process.wait(timeout=limit)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        return None
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({process.returncode})")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, nargs="+", default=[10, 50, 100, 300])
    parser.add_argument("--limit", type=float, default=120.0, help="seconds before a stop")
    args = parser.parse_args()
    print("whole process, svg: gradviz export vs python+torch+torchviz+dot")
    with tempfile.TemporaryDirectory() as tmp:
        for (kind, loop), steps in itertools.product(LOOPS.items(), args.steps):
            program = Path(tmp) / f"loop{steps}.py"
            program.write_text(loop.format(steps=steps))
            script = Path(tmp) / f"tv{steps}.py"
            script.write_text(loop.format(steps=steps) + TORCHVIZ.format(out=f"{tmp}/tv"))
            gradviz = [sys.executable, "-m", "gradviz", "export", str(program), "-o",
                       f"{tmp}/gv.svg"]  # fmt: skip
            t_gv = timed(gradviz, args.limit)
            t_tv = timed([sys.executable, str(script)], args.limit)
            shown = [f"{t:7.2f}s" if t is not None else f">{args.limit:g}s" for t in (t_gv, t_tv)]
            ratio = f"{t_gv / t_tv:6.3f}x" if t_gv and t_tv else "     —"
            print(f"{kind:<17}{steps:>4} steps  gradviz {shown[0]}  torchviz {shown[1]}  {ratio}")


if __name__ == "__main__":
    main()
