"""Loss landscapes, measured: gradviz's batched replay against the per-point loop a user would
write (load the perturbed weights, run the model, .item()), a lean functional_call loop, the
matmul-throughput bound for the same FLOPs, and the same landscape hand-written for this one
network with the fewest eager kernels (what eager PyTorch can do at best, and how near gradviz's
generic replay comes to it). A 2-32-32-2 MLP on 1,000 points, 51×51 grid (the issue's GPU
case: --device cuda --grid 201 --points 10000).

Run: python benchmarks/bench_landscape.py [--device cuda] [--grid 51] [--points 1000]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call

from gradviz.autograd.tracer import trace
from gradviz.nets.cpu_cache import last_level_cache_bytes
from gradviz.nets.landscape import chunk_budget, chunk_size, filter_normalised, random_landscape
from gradviz.nets.replay import replay_loss
from gradviz.nets.trainer import ModelLoss

sys.path.insert(0, str(Path(__file__).resolve().parent))
from timing import interleaved_medians

PROGRAM_TEMPLATE = """
import torch
import torch.nn.functional as F
from torch import nn
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 2))
X = torch.randn({points}, 2)
y = (X[:, 0] * X[:, 1] > 0).long()
loss = F.cross_entropy(model(X), y)
"""
PROGRAM = PROGRAM_TEMPLATE.format(points=1000)
SMALL_CHUNK = 16


def reference_setup(device: str, points: int) -> tuple[nn.Module, torch.Tensor, torch.Tensor]:
    """PROGRAM's model and data, made as gradviz runs it: under the device as the default (on
    a GPU the weights and X are drawn by the CUDA generator, as in the traced program)."""
    torch.manual_seed(0)
    with torch.device(device):
        model = nn.Sequential(
            nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 2)
        )
        X = torch.randn(points, 2)
        y = (X[:, 0] * X[:, 1] > 0).long()
    return model, X, y


def square_matmul(device: str) -> tuple[Callable[[], None], float]:
    """One large float32 matmul on this device and its FLOPs: its rate is the bound a
    landscape can approach."""
    n = 1024 if device == "cpu" else 8192  # a GPU needs a big product to reach its rate
    a = torch.randn(n, n, device=device)
    b = torch.randn(n, n, device=device)

    def run() -> None:
        (a @ b).sum().item()

    return run, 2.0 * n**3


def layer_products(
    device: str, points: int, samples: int, chunk: int
) -> tuple[Callable[[], None], float]:
    """The hidden and output layers' batched matmuls alone, at the shapes and chunk size the
    landscape uses them (weights with their bias column, 33 wide): what the matmul kernels can
    do with such thin products, without the activations, the first layer or the loss."""
    count = min(chunk, points)
    hidden = torch.randn(count, 33, samples, device=device)
    weights = [torch.randn(count, n, 33, device=device) for n in (32, 2)]
    chunks = -(-points // count)

    def run() -> None:
        for _ in range(chunks):
            for w in weights:
                torch.bmm(w, hidden)
        if device == "cuda":
            torch.cuda.synchronize()

    return run, 2.0 * samples * 33 * (32 + 2) * count * chunks


def lean_chunk(
    model: nn.Module,
    X: torch.Tensor,
    y: torch.Tensor,
    directions: tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]],
    fused_relu: bool = False,
) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """The same landscape written by hand for this one network, with the fewest eager kernels
    I know, as a function of one chunk's steps (α, β) → losses: one product for the first
    layer (affine in α, β; a row of ones under it), the hidden layer's weights with their bias
    as one more column (one bmm, no separate bias pass), two in-place ReLUs, and for the output
    layer only the gap of its two logits (one baddbmm with the difference of its two rows:
    half the output layer's work, no subtraction pass), the cross-entropy as softplus of that
    gap signed by the target. Nothing generic: what eager PyTorch can do here, the batched
    replay measured against it. With
    fused_relu the first layer's ReLU rides on its product (cuBLASLt's epilogue, through
    torch._addmm_activation): a diagnostic for GPUs."""
    hidden, output = (m for m in model if isinstance(m, nn.Linear) and m is not model[0])
    first, second = directions

    def spread(path: str) -> torch.Tensor:  # [θ, d₁, d₂] of a layer's [weight | bias], flat
        parts = []
        for t in (dict(model.named_parameters(prefix="model")), first, second):
            weight, bias = t[f"{path}.weight"].detach(), t[f"{path}.bias"].detach()
            parts.append(torch.cat([weight, bias[:, None]], dim=1).reshape(-1))
        return torch.stack(parts)

    index = {m: i for i, m in enumerate(model)}
    layer_1 = spread("model.0").view(3, -1, X.shape[1] + 1)  # 3, out, in + 1
    with_ones = torch.cat([X.mT, torch.ones_like(X[:, :1]).mT])  # in + 1, n
    basis = layer_1 @ with_ones  # 3, out, n
    ones = torch.zeros(3, 1, X.shape[0], dtype=X.dtype, device=X.device)
    ones[0] = 1  # the constant part carries the row of ones; the directions add nothing to it
    basis = torch.cat([basis, ones], dim=1).reshape(3, -1)
    spreads = [spread(f"model.{index[m]}") for m in (hidden, output)]
    rows = spreads[1].view(3, output.out_features, -1)
    gap = (rows[:, 1] - rows[:, 0]).contiguous()  # [w₁ − w₀ | b₁ − b₀] of θ, d₁, d₂
    sign = torch.where(y.bool(), -1.0, 1.0).to(X.dtype)  # class 1: z₀ − z₁; class 0: z₁ − z₀

    def chunk(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        coeffs = torch.stack([torch.ones_like(a), a, b], dim=1)
        count = coeffs.shape[0]
        if fused_relu:
            h = torch._addmm_activation(basis[0], coeffs[:, 1:], basis[1:])
            h = h.view(count, -1, X.shape[0])
        else:
            h = (coeffs @ basis).view(count, -1, X.shape[0]).relu_()  # ones stay 1
        w = (coeffs @ spreads[0]).view(count, hidden.out_features, -1)
        h = torch.bmm(w, h).relu_()
        v = (coeffs @ gap).view(count, 1, -1)
        margin = torch.baddbmm(v[:, :, -1:], v[:, :, :-1], h).view(count, -1)
        return F.softplus(margin.mul_(sign)).mean(1)

    return chunk


def lean_kernels(
    model: nn.Module,
    X: torch.Tensor,
    y: torch.Tensor,
    directions: tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]],
    grid: int,
    chunk: int,
    body: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
) -> Callable[[], torch.Tensor]:
    """lean_chunk (or `body`, one like it) over the grid, `chunk` points at a time."""
    step = body or lean_chunk(model, X, y, directions)
    steps = torch.linspace(-1, 1, grid, device=X.device)
    grid_b, grid_a = torch.meshgrid(steps, steps, indexing="ij")
    alphas, betas = grid_a.reshape(-1), grid_b.reshape(-1)

    def run() -> torch.Tensor:
        with torch.no_grad():
            losses = [
                step(alphas[start : start + chunk], betas[start : start + chunk])
                for start in range(0, alphas.numel(), chunk)
            ]
        return torch.cat(losses).reshape(grid, grid)

    return run


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--grid", type=int, default=51)
    parser.add_argument("--points", type=int, default=1000, help="training points")
    parser.add_argument(
        "--turns", type=int, default=7, help="interleaved turns (a shared VM drifts ±20 %%)"
    )
    args = parser.parse_args()
    device, grid, samples = args.device, args.grid, args.points
    points = grid * grid

    graph = trace(PROGRAM_TEMPLATE.format(points=samples), device=device).graph
    loss, base = replay_loss(graph)
    model, X, y = reference_setup(device, samples)
    generator = torch.Generator().manual_seed(0)
    first, second = filter_normalised(base, generator), filter_normalised(base, generator)
    steps = torch.linspace(-1, 1, grid).tolist()
    rows = steps[:: max(1, grid // 6)]  # the loops run a few rows of the grid, then scale

    def gradviz_batched() -> None:
        random_landscape(loss, base, grid=grid, seed=0).losses.sum().item()

    network_tab = ModelLoss(model, nn.CrossEntropyLoss(), X, y)  # the builder's model, as is

    def gradviz_network_tab() -> None:
        random_landscape(network_tab, base, grid=grid, seed=0).losses.sum().item()

    class VmapOnly:  # the same function and chunk sizes, without the batched path
        activation_bytes, largest_bytes = network_tab.activation_bytes, network_tab.largest_bytes
        __call__ = staticmethod(network_tab.__call__)

    def vmap_only() -> None:  # torch.func.vmap over functional_call, chunked the same way
        random_landscape(VmapOnly(), base, grid=grid, seed=0).losses.sum().item()

    def user_loop() -> None:  # what the papers' scripts do: set the weights, run, read the loss
        with torch.no_grad():
            for b in rows:
                for a in steps:
                    for name, p in model.named_parameters():
                        key = f"model.{name}"
                        p.copy_(base[key] + a * first[key] + b * second[key])
                    F.cross_entropy(model(X), y).item()

    def lean_loop() -> None:  # no copies into the module: functional_call per point
        with torch.no_grad():
            for b in rows:
                for a in steps:
                    params = {
                        k.removeprefix("model."): base[k] + a * first[k] + b * second[k]
                        for k in base
                    }
                    F.cross_entropy(functional_call(model, params, (X,)), y).item()

    # taking turns, so that this machine's drifting speed affects each alike
    square, square_flops = square_matmul(device)
    chunk = chunk_size(loss, base)
    products, _ = layer_products(device, points, samples, chunk)
    kernels = lean_kernels(model, X, y, (first, second), grid, chunk)
    # and at 16 points a chunk: on a 48 MB-L3 CPU the floor's best (its values stay in the
    # core's own cache; 125 ms against 152 at gradviz's 62 then), on a 480 MB one no better
    small = lean_kernels(model, X, y, (first, second), grid, SMALL_CHUNK)

    def floor() -> None:  # waits for the GPU, as the others do (.item())
        kernels().sum().item()

    def floor_small() -> None:
        small().sum().item()

    shown = random_landscape(loss, base, grid=grid, seed=0).losses
    floor_error = (kernels().cpu() - shown).abs().max().item()  # the same numbers, or no floor
    timed = [gradviz_batched, gradviz_network_tab, vmap_only, user_loop, lean_loop, square,
             products, floor] + ([floor_small] if device == "cpu" else [])  # fmt: skip
    batched, tab, vmapped, user, lean, t_square, t_products, t_kernels, *rest = interleaved_medians(
        timed, args.turns
    )
    scale = grid / len(rows)
    user, lean = user * scale, lean * scale

    flops_per_point = 2 * samples * (2 * 32 + 32 * 32 + 32 * 2)
    bound = flops_per_point * points / (square_flops / t_square)
    landscape = random_landscape(loss, base, grid=grid, seed=0)
    print(f"loss landscape, 2-32-32-2 MLP on {samples:,} points, {grid}×{grid} grid on {device}:")
    cache = last_level_cache_bytes()
    budget = chunk_budget(torch.device(device))
    print(
        f"  ({chunk} grid points a chunk: a {budget >> 20} MB budget"
        + (f", from a {cache >> 20} MB last-level cache)" if device == "cpu" and cache else ")")
    )
    print(f"  gradviz ({landscape.method} replay):                {batched * 1000:8.1f} ms")
    print(f"  gradviz, Network tab (the builder's module):   {tab * 1000:8.1f} ms")
    print(f"  torch.func.vmap of functional_call, chunked:   {vmapped * 1000:8.1f} ms "
          f"({vmapped / batched:.1f}× slower)")  # fmt: skip
    print(f"  per-point loop, weights copied into the model: {user * 1000:8.1f} ms "
          f"({user / batched:.1f}× slower)")  # fmt: skip
    print(f"  per-point loop, functional_call:               {lean * 1000:8.1f} ms "
          f"({lean / batched:.1f}× slower)")  # fmt: skip
    print(f"  matmul-throughput bound for the same FLOPs:    {bound * 1000:8.1f} ms "
          f"(gradviz at {batched / bound:.1f}× of it)")  # fmt: skip
    print(f"  the layers' batched matmuls alone, same shapes: {t_products * 1000:8.1f} ms "
          f"(gradviz at {batched / t_products:.1f}× of it)")  # fmt: skip
    print(f"  the fewest eager kernels, a hand-written loop:  {t_kernels * 1000:8.1f} ms "
          f"(gradviz at {batched / t_kernels:.2f}×, Network tab at {tab / t_kernels:.2f}×; "
          f"this floor at {t_kernels / bound:.1f}× the bound; "
          f"its losses within {floor_error:.1e} of gradviz's)")  # fmt: skip
    if rest:
        print(f"  the same, {SMALL_CHUNK} points a chunk:                 {rest[0] * 1000:8.1f} ms "
              f"(this floor at {rest[0] / bound:.1f}× the bound)")  # fmt: skip


if __name__ == "__main__":
    main()
