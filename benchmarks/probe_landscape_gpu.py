"""How near a GPU landscape can come to the compute bound: the hand-written chunk of
bench_landscape eager, with the first ReLU fused into its product (cuBLASLt's epilogue), and
compiled by torch.compile (Inductor's fused kernels), each timed on the issue's case with its
losses checked against the eager ones. A diagnostic for the device check, not a benchmark of
gradviz (bench_landscape is). On 2026-11-30 (H200, torch 2.11) gradviz's batched replay took
208 ms at its default chunk (3,247 points) against a bound of 18.3 ms; budgets from 1 to 32 GB
all gave 206-280 ms, smaller chunks worse (64 MB: 2.5 s); the eager chunk 155 ms, replayed from
one CUDA graph no quicker at any chunk size (16-4,096 points: 155-230 ms); ReLUs took 40 % of
the GPU time, at the memory's bandwidth. This probe then: eager 156 ms (8.5× the bound),
the first ReLU fused 132 ms (7.2×), torch.compile 153 ms (6 s to compile), with max-autotune
104 ms (5.7×; 78 s to compile), each within 2.4e-07 of the eager losses.

Run: python benchmarks/probe_landscape_gpu.py [--grid 201] [--points 10000] [--compile]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch

from gradviz.nets.landscape import filter_normalised

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_landscape import lean_chunk, lean_kernels, reference_setup
from timing import median_time


def timed(fn: Callable[[], object], repeat: int = 5) -> float:
    """Median wall time of `fn`, waiting for the GPU each time."""
    return median_time(lambda: (fn(), torch.cuda.synchronize()), repeat)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--grid", type=int, default=201)
    parser.add_argument("--points", type=int, default=10000)
    parser.add_argument("--chunk", type=int, default=2048)
    parser.add_argument("--compile", nargs="*", default=[], help="torch.compile modes to try")
    args = parser.parse_args()
    grid, samples, chunk = args.grid, args.points, args.chunk
    a = torch.randn(8192, 8192, device="cuda")
    rate = 2 * 8192**3 / timed(lambda: a @ a)
    flops = 2 * samples * (2 * 32 + 32 * 32 + 32 * 2) * grid * grid
    bound = flops / rate
    print(f"fp32 {rate / 1e12:.1f} TFLOP/s: bound {bound * 1e3:.1f} ms", flush=True)

    model, X, y = reference_setup("cuda", samples)
    base = {f"model.{k}": v.detach() for k, v in model.named_parameters()}
    generator = torch.Generator().manual_seed(0)
    directions = filter_normalised(base, generator), filter_normalised(base, generator)
    eager = lean_kernels(model, X, y, directions, grid, chunk)
    reference = eager()

    def report(name: str, run: Callable[[], torch.Tensor]) -> None:
        start = time.perf_counter()
        try:
            out = run()
            torch.cuda.synchronize()
            first = time.perf_counter() - start
            t = timed(run)
        except Exception as error:  # a diagnostic: say what broke and go on
            print(f"{name}: failed: {type(error).__name__}: {error}"[:400], flush=True)
            return
        diff = (out - reference).abs().max().item()
        print(
            f"{name:44s} {t * 1e3:7.1f} ms = {t / bound:5.2f}× bound "
            f"(first call {first:6.1f} s; max diff {diff:.1e})",
            flush=True,
        )

    report(f"eager, chunk {chunk}", eager)
    fused = lean_chunk(model, X, y, directions, fused_relu=True)
    report("eager, first ReLU fused", lean_kernels(model, X, y, directions, grid, chunk, fused))
    for mode in args.compile:
        body = torch.compile(lean_chunk(model, X, y, directions), mode=mode, dynamic=False)
        report(f"torch.compile {mode}", lean_kernels(model, X, y, directions, grid, chunk, body))


if __name__ == "__main__":
    main()
