"""Loss landscapes, measured: gradviz's batched replay against the per-point loop a user would
write (load the perturbed weights, run the model, .item()), a lean functional_call loop, and
the matmul-throughput bound for the same FLOPs. A 2-32-32-2 MLP on 1,000 points, 51×51 grid
(the issue's GPU case: --device cuda --grid 201 --points 10000).

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
from gradviz.nets.landscape import chunk_size, filter_normalised, random_landscape
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


def reference_setup(device: str, points: int) -> tuple[nn.Module, torch.Tensor, torch.Tensor]:
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 2)
    ).to(device)
    X = torch.randn(points, 2).to(device)
    y = (X[:, 0] * X[:, 1] > 0).long().to(device)
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--grid", type=int, default=51)
    parser.add_argument("--points", type=int, default=1000, help="training points")
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
    products, _ = layer_products(device, points, samples, chunk_size(loss, base))
    batched, tab, vmapped, user, lean, t_square, t_products = interleaved_medians(
        [gradviz_batched, gradviz_network_tab, vmap_only, user_loop, lean_loop, square, products],
        3,
    )
    scale = grid / len(rows)
    user, lean = user * scale, lean * scale

    flops_per_point = 2 * samples * (2 * 32 + 32 * 32 + 32 * 2)
    bound = flops_per_point * points / (square_flops / t_square)
    landscape = random_landscape(loss, base, grid=grid, seed=0)
    print(f"loss landscape, 2-32-32-2 MLP on {samples:,} points, {grid}×{grid} grid on {device}:")
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


if __name__ == "__main__":
    main()
