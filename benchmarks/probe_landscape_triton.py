"""Whether one fused kernel brings a GPU landscape within 3× of its compute bound (issue 6's GPU
target): bench_landscape's 2-32-32-2 MLP, each grid point's weights made in registers from
θ + α·d₁ + β·d₂, both hidden layers and their ReLUs and the cross-entropy in one Triton
kernel, so no activation goes through the GPU's memory. The hidden product is timed in IEEE
fp32 (FMAs) and as tf32x3 (three TF32 tensor-core products, about fp32's accuracy); plain TF32
would break the landscape's 1e-5 agreement with a per-point loop. The H200
profile (probe_landscape_gpu.py) had the ReLUs' memory traffic at 40 % of gradviz's time and no
eager or compiled form under 5.7× the bound. A diagnostic, not gradviz code: its losses are
checked against gradviz's own landscape of the same network and directions.

Run: python benchmarks/probe_landscape_triton.py [--grid 201] [--points 10000]
     python benchmarks/probe_landscape_triton.py --interpret   (on the CPU, in Triton's
     interpreter: checks the kernel's numbers on a small grid, says nothing of its speed)
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

if "--interpret" in sys.argv:  # read by triton when it is imported
    os.environ["TRITON_INTERPRET"] = "1"

import torch
import triton
import triton.language as tl
from torch import nn

from gradviz.autograd.tracer import trace
from gradviz.nets.landscape import filter_normalised, random_landscape
from gradviz.nets.replay import replay_loss

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_landscape import PROGRAM_TEMPLATE
from timing import median_time


@triton.jit
def _landscape_kernel(
    coeffs,  # (points, 3): 1, α, β
    first_parts,  # (3, H, IN + 1): [W1 | b1] of θ, d₁, d₂, rows padded to H with zeros
    hidden_parts,  # (3, H, H): W2 of θ, d₁, d₂, padded
    hidden_bias,  # (3, H)
    out_parts,  # (3, CLASSES, H): W3 of θ, d₁, d₂
    out_bias,  # (3, CLASSES)
    data,  # (IN, N): the samples, one per column
    targets,  # (N,) int64
    losses,  # (points,): the mean cross-entropy at each point
    n,
    IN: tl.constexpr,
    H: tl.constexpr,
    CLASSES: tl.constexpr,
    BLOCK: tl.constexpr,
    PRECISION: tl.constexpr,  # "ieee" (fp32 FMAs) or "tf32x3" (tensor cores, 3 passes)
) -> None:
    point = tl.program_id(0)
    alpha = tl.load(coeffs + point * 3 + 1)
    beta = tl.load(coeffs + point * 3 + 2)
    rows = tl.arange(0, H)
    hh = rows[:, None] * H + rows[None, :]
    w2 = (
        tl.load(hidden_parts + hh)
        + alpha * tl.load(hidden_parts + H * H + hh)
        + beta * tl.load(hidden_parts + 2 * H * H + hh)
    )
    b2 = (
        tl.load(hidden_bias + rows)
        + alpha * tl.load(hidden_bias + H + rows)
        + beta * tl.load(hidden_bias + 2 * H + rows)
    )
    stride = IN + 1
    b1 = (
        tl.load(first_parts + rows * stride + IN)
        + alpha * tl.load(first_parts + H * stride + rows * stride + IN)
        + beta * tl.load(first_parts + 2 * H * stride + rows * stride + IN)
    )
    total = tl.zeros((BLOCK,), dtype=tl.float32)
    for step in range(0, tl.cdiv(n, BLOCK)):
        samples = step * BLOCK + tl.arange(0, BLOCK)
        inside = samples < n
        h = tl.zeros((H, BLOCK), dtype=tl.float32) + b1[:, None]
        for i in tl.static_range(IN):
            w1 = (
                tl.load(first_parts + rows * stride + i)
                + alpha * tl.load(first_parts + H * stride + rows * stride + i)
                + beta * tl.load(first_parts + 2 * H * stride + rows * stride + i)
            )
            x = tl.load(data + i * n + samples, mask=inside, other=0.0)
            h += w1[:, None] * x[None, :]
        h = tl.maximum(h, 0.0)
        h = tl.maximum(tl.dot(w2, h, input_precision=PRECISION) + b2[:, None], 0.0)
        # the few classes one row at a time (a tl.dot would pad them to 16 rows), their
        # logsumexp online
        target = tl.load(targets + samples, mask=inside, other=0)
        top = tl.full((BLOCK,), float("-inf"), tl.float32)
        summed = tl.zeros((BLOCK,), dtype=tl.float32)
        picked = tl.zeros((BLOCK,), dtype=tl.float32)
        for c in tl.static_range(CLASSES):
            w3 = (
                tl.load(out_parts + c * H + rows)
                + alpha * tl.load(out_parts + CLASSES * H + c * H + rows)
                + beta * tl.load(out_parts + 2 * CLASSES * H + c * H + rows)
            )
            b3 = (
                tl.load(out_bias + c)
                + alpha * tl.load(out_bias + CLASSES + c)
                + beta * tl.load(out_bias + 2 * CLASSES + c)
            )
            logit = tl.sum(w3[:, None] * h, axis=0) + b3
            higher = tl.maximum(top, logit)
            summed = summed * tl.exp(top - higher) + tl.exp(logit - higher)
            top = higher
            picked += tl.where(target == c, logit, 0.0)
        total += tl.where(inside, top + tl.log(summed) - picked, 0.0)
    tl.store(losses + point, tl.sum(total, axis=0) / n)


def _padded(t: torch.Tensor, rows: int, cols: int | None = None) -> torch.Tensor:
    out = t.new_zeros((rows,) if cols is None else (rows, cols))
    if cols is None:
        out[: t.shape[0]] = t
    else:
        out[: t.shape[0], : t.shape[1]] = t
    return out


def fused_landscape(
    model: nn.Sequential,
    X: torch.Tensor,
    y: torch.Tensor,
    directions: tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]],
    alphas: torch.Tensor,
    betas: torch.Tensor,
    block: int = 128,
    warps: int = 4,
    precision: str = "ieee",
) -> Any:
    """A function () → the losses at (alphas[i], betas[i]) for a Linear-ReLU-Linear-ReLU-Linear
    model under cross-entropy."""
    first, hidden, output = (m for m in model if isinstance(m, nn.Linear))
    width = max(16, triton.next_power_of_2(max(first.out_features, hidden.out_features)))
    sets = [dict(model.named_parameters(prefix="model")), *directions]

    def stacked(path: str, rows: int, cols: int) -> torch.Tensor:
        return torch.stack([_padded(p[f"{path}.weight"].detach(), rows, cols) for p in sets])

    def biases(path: str, rows: int) -> torch.Tensor:
        return torch.stack([_padded(p[f"{path}.bias"].detach(), rows) for p in sets])

    index = {m: i for i, m in enumerate(model)}
    names = [f"model.{index[m]}" for m in (first, hidden, output)]
    first_parts = torch.stack(  # [W1 | b1]: its few inputs, and the bias as one more column
        [
            _padded(torch.cat([p[f"{names[0]}.weight"], p[f"{names[0]}.bias"][:, None]], 1), width,
                    first.in_features + 1)
            for p in sets
        ]
    ).detach()  # fmt: skip
    hidden_parts = stacked(names[1], width, width)
    out_parts = stacked(names[2], output.out_features, width)
    hidden_bias, out_bias = biases(names[1], width), biases(names[2], output.out_features)
    coeffs = torch.stack([torch.ones_like(alphas), alphas, betas], dim=1).contiguous()
    data = X.mT.contiguous()
    targets = y.to(torch.int64).contiguous()
    losses = torch.empty(alphas.numel(), device=X.device, dtype=X.dtype)

    def run() -> torch.Tensor:
        _landscape_kernel[(alphas.numel(),)](
            coeffs, first_parts, hidden_parts, hidden_bias, out_parts, out_bias, data,
            targets, losses, X.shape[0], IN=first.in_features, H=width,
            CLASSES=output.out_features, BLOCK=block, PRECISION=precision, num_warps=warps,
        )  # fmt: skip
        return losses

    return run


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--grid", type=int, default=201)
    parser.add_argument("--points", type=int, default=10000)
    parser.add_argument("--interpret", action="store_true", help="Triton's CPU interpreter")
    args = parser.parse_args()
    device = "cpu" if args.interpret else "cuda"
    grid, samples = (5, 70) if args.interpret else (args.grid, args.points)  # (a part block)
    graph = trace(PROGRAM_TEMPLATE.format(points=samples), device=device).graph
    loss, base = replay_loss(graph)
    shown = random_landscape(loss, base, grid=grid, seed=0)  # gradviz's, the reference
    gradviz = median_time(lambda: random_landscape(loss, base, grid=grid, seed=0), 3)
    generator = torch.Generator().manual_seed(0)  # the directions random_landscape draws
    directions = filter_normalised(base, generator), filter_normalised(base, generator)
    model = nn.Sequential(
        nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 2)
    ).to(device)
    with torch.no_grad():
        for name, param in model.named_parameters(prefix="model"):
            param.copy_(base[name])
    X = next(n.value for n in graph.nodes if n.name == "X").to(device)
    y = (X[:, 0] * X[:, 1] > 0).long()
    steps = torch.linspace(-1, 1, grid, device=device)
    grid_b, grid_a = torch.meshgrid(steps, steps, indexing="ij")
    alphas, betas = grid_a.reshape(-1), grid_b.reshape(-1)
    bound = 0.0
    if not args.interpret:
        square = torch.randn(8192, 8192, device="cuda")
        rate = 2 * 8192**3 / median_time(lambda: (square @ square, torch.cuda.synchronize()), 5)
        bound = 2 * samples * (2 * 32 + 32 * 32 + 32 * 2) * grid * grid / rate
        print(f"fp32 {rate / 1e12:.1f} TFLOP/s: bound {bound * 1e3:.1f} ms; gradviz's batched "
              f"replay {gradviz * 1e3:.0f} ms ({gradviz / bound:.1f}×)", flush=True)  # fmt: skip
    configs = [(32, 4, "ieee")]
    if not args.interpret:  # tf32x3: fp32's accuracy from three tensor-core products
        configs = [(b, w, p) for p in ("ieee", "tf32x3") for b, w in ((64, 4), (128, 4), (256, 8))]
    for block, warps, precision in configs:
        run = fused_landscape(model, X, y, directions, alphas, betas, block, warps, precision)
        start = time.perf_counter()
        try:
            out = run().reshape(grid, grid).cpu()
        except Exception as error:  # a diagnostic: say what broke and go on
            print(f"{block}/{warps}/{precision}: failed: {type(error).__name__}: {error}"[:400])
            continue
        first = time.perf_counter() - start
        diff = (out - shown.losses).abs().max().item()
        line = (
            f"fused Triton kernel, {precision}, {block} samples a step, {warps} warps: "
            f"losses within {diff:.1e} of gradviz's (first call {first:.1f} s)"
        )
        if not args.interpret:
            seconds = median_time(lambda run=run: (run(), torch.cuda.synchronize()), 5)
            line += f"; {seconds * 1e3:.1f} ms = {seconds / bound:.2f}× the fp32 bound"
        print(line, flush=True)


if __name__ == "__main__":
    main()
