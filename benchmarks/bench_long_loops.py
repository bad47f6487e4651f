"""Long loops that reuse a weight at every step (an RNN's W_hh, unrolled): whole-process
`gradviz export` vs python + torch + torchviz + dot, as the loop grows. Each long edge from the
weight to a late use costs dot a node per rank it crosses; gradviz draws the weight again
beside later uses once those pass a budget (render/copies.py), torchviz draws it once.

Run: python benchmarks/bench_long_loops.py [--steps 10 50 100] [--limit 120]
Prints seconds and ratios; a run past --limit seconds is stopped and shown as such.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LOOP = """import torch
x = torch.randn(8, 16)
w = torch.randn(16, 16, requires_grad=True)
h = x
for i in range({steps}):
    h = torch.tanh(h @ w) + 0.1 * h
loss = h.pow(2).mean()
"""

TORCHVIZ = """
from torchviz import make_dot
make_dot(loss, params={{"w": w}}).render({out!r}, format="svg", cleanup=True)
"""


def timed(cmd: list[str], limit: float) -> float | None:
    """Wall seconds of `cmd`, or None where it ran past `limit` (and was stopped)."""
    start = time.perf_counter()
    try:
        subprocess.run(cmd, check=True, capture_output=True, timeout=limit)
    except subprocess.TimeoutExpired:
        return None
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, nargs="+", default=[10, 50, 100, 300])
    parser.add_argument("--limit", type=float, default=120.0, help="seconds before a stop")
    args = parser.parse_args()
    print("whole process, svg: gradviz export vs python+torch+torchviz+dot")
    with tempfile.TemporaryDirectory() as tmp:
        for steps in args.steps:
            program = Path(tmp) / f"loop{steps}.py"
            program.write_text(LOOP.format(steps=steps))
            script = Path(tmp) / f"tv{steps}.py"
            script.write_text(LOOP.format(steps=steps) + TORCHVIZ.format(out=f"{tmp}/tv"))
            gradviz = [sys.executable, "-m", "gradviz", "export", str(program), "-o",
                       f"{tmp}/gv.svg"]  # fmt: skip
            t_gv = timed(gradviz, args.limit)
            t_tv = timed([sys.executable, str(script)], args.limit)
            shown = [f"{t:7.2f}s" if t is not None else f">{args.limit:g}s" for t in (t_gv, t_tv)]
            ratio = f"{t_gv / t_tv:6.3f}x" if t_gv and t_tv else "     —"
            print(f"loop of {steps:>4} steps  gradviz {shown[0]}  torchviz {shown[1]}  {ratio}")


if __name__ == "__main__":
    main()
