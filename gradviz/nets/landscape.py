"""The real loss landscape around a network's weights (Li et al., "Visualizing the Loss
Landscape of Neural Nets", NeurIPS 2018): two filter-normalised random directions, or the
top two PCA directions of a training trajectory, and the loss over a grid of steps along them —
evaluated batched with torch.func.vmap, in chunks, never one grid point at a time."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field

import torch
from torch.func import vmap

from gradviz.heap import keep_freed_memory
from gradviz.nets.affine import Affine
from gradviz.nets.cpu_cache import last_level_cache_bytes
from gradviz.nets.replay import LossFn, Params, Unbatchable

# Bytes of parameters and intermediate values per batched chunk. A CPU: small enough that a
# chunk's values stay in the processor's last-level cache between one op and the next, large
# enough that the per-chunk Python cost (about 0.15 ms) is small beside its work: two thirds of
# that cache, between 16 and 128 MB (cpu_chunk_bytes). Measured, 2-32-32-2 MLP, medians of
# interleaved runs, budgets 16/32/64/128 MB: on a 2-core Xeon with 48 MB of L3, 51×51 on 1,000
# points 121/105/125/122 ms (8 MB: 149), on 200 points 26/22/28/29 ms, on 10,000 points
# 1.28/0.98/1.09/1.09 s; 101×101 on 1,000 points 431/384/439/455 ms. On a 2-core Xeon with
# 480 MB of L3, budgets 32/64/128/256 MB: 51×51 on 1,000 points 78/68/64/63 ms, on 10,000
# points 958/704/690/702 ms; 101×101 on 1,000 points 310/260/248/246 ms. A GPU wants few, big
# launches, so there a quarter of the free memory, between 256 MB and 16 GB. Measured on an
# H200 (torch 2.11), 201×201 on 10,000 points: budgets 64 MB/256 MB/1/4/16/32 GB took
# 2,493/655/281/226/208/206 ms (16 GB: 3,247 points a chunk); ReLUs, at the memory's
# bandwidth, were 40 % of the GPU's time.
CPU_CHUNK_RANGE = (16 << 20, 128 << 20)


def cpu_chunk_bytes(cache: int | None) -> int:
    """Two thirds of the last-level cache (`cache` bytes; unknown: taken as 48 MB), within
    CPU_CHUNK_RANGE."""
    low, high = CPU_CHUNK_RANGE
    return min(high, max(low, (cache or 48 << 20) * 2 // 3))


CHUNK_BYTES = {"cpu": cpu_chunk_bytes(last_level_cache_bytes()), "cuda": 2 << 30}
# glibc serves blocks above its largest mmap threshold (32 MiB, gradviz.heap) from fresh pages,
# which every chunk would page-fault in again: a 2-32-32-2 MLP's landscape on 1,000 points took
# 181 ms in chunks with 66 MB activations, 83–102 ms with 33 MB ones, 88–107 ms with 16 MB ones
LARGEST_CPU_TENSOR = 30 << 20
GPU_CHUNK_RANGE = (256 << 20, 16 << 30)


def chunk_budget(device: torch.device) -> int:
    """Bytes one chunk may use on `device`."""
    if device.type == "cuda":
        try:
            free, _ = torch.cuda.mem_get_info(device)
        except RuntimeError:
            return CHUNK_BYTES["cuda"]
        low, high = GPU_CHUNK_RANGE
        return int(min(high, max(low, free // 4)))
    return CHUNK_BYTES.get(device.type, CHUNK_BYTES["cpu"])


@dataclass
class Landscape:
    alphas: torch.Tensor  # steps along the first direction
    betas: torch.Tensor  # steps along the second
    losses: torch.Tensor  # len(betas) × len(alphas)
    center: float  # the loss at the weights themselves
    seconds: float
    device: str
    method: str  # "batched", "vmap" or "loop" (how the grid was evaluated)
    directions: str = "filter-normalised random"
    path: list[tuple[float, float]] = field(default_factory=list)  # a trajectory, projected


def filter_normalised(params: Params, generator: torch.Generator) -> Params:
    """A random direction scaled filter by filter to the weights' own norms; biases and other
    one-dimensional parameters get zero (ignored), as in the paper."""
    direction: Params = {}
    for name, weight in params.items():
        if weight.dim() <= 1:
            direction[name] = torch.zeros_like(weight)
            continue
        d = torch.randn(weight.shape, generator=generator, dtype=weight.dtype).to(weight.device)
        d_norm = d.flatten(1).norm(dim=1).clamp_min(1e-12)
        w_norm = weight.flatten(1).norm(dim=1)
        scale = (w_norm / d_norm).reshape(-1, *([1] * (weight.dim() - 1)))
        direction[name] = d * scale
    return direction


def chunk_size(loss: LossFn, params: Params) -> int:
    """How many weight settings to evaluate at once."""
    size = sum(p.numel() * p.element_size() for p in params.values())
    size += int(getattr(loss, "activation_bytes", 0))
    device = next(iter(params.values())).device
    count = chunk_budget(device) // max(size, 1)
    largest = int(getattr(loss, "largest_bytes", 0))
    if device.type == "cpu" and largest:
        count = min(count, LARGEST_CPU_TENSOR // largest)
    return max(1, min(65536, count))


def evaluate_points(
    loss: LossFn,
    base: Params,
    first: Params,
    second: Params,
    a: torch.Tensor,
    b: torch.Tensor,
    cancel: threading.Event | None = None,
) -> tuple[torch.Tensor, str]:
    """L(θ + a[i]·d₁ + b[i]·d₂) for every i, a chunk of points at a time: batched matmuls where
    the replay has them, else torch.func.vmap, else (an op with no batching rule at all) one
    point after another — always exact. Differentiable in a and b where grad mode is on."""

    def at(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return loss({k: base[k] + x * first[k] + y * second[k] for k in base})

    moved: dict[str, Affine] = {}
    memo: dict[str, Affine] = {}  # what the chunks share: every op's result that stays affine

    def stacked(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        coeffs = torch.stack([torch.ones_like(x), x, y], dim=1)  # one tensor: shared by all
        if not moved:
            moved.update({k: Affine([base[k], first[k], second[k]], coeffs) for k in base})
        chunk = {k: v.with_coeffs(coeffs) for k, v in moved.items()}
        return loss.batched(chunk, memo)  # type: ignore[attr-defined, no-any-return]

    keep_freed_memory()
    vmapped = vmap(at, randomness="same")
    chunk = chunk_size(loss, base)
    parts = []
    method = "batched" if hasattr(loss, "batched") else "vmap"
    for start in range(0, a.numel(), chunk):
        if cancel is not None and cancel.is_set():
            raise InterruptedError("cancelled")
        x, y = a[start : start + chunk], b[start : start + chunk]
        if method == "batched":
            try:
                parts.append(stacked(x, y))
                continue
            except Unbatchable:
                method = "vmap"
        if method == "vmap":
            try:
                parts.append(vmapped(x, y))
                continue
            except (RuntimeError, NotImplementedError):
                method = "loop"  # an op without a batching rule: fall back, still exact
        parts.append(torch.stack([at(p, q).reshape(()) for p, q in zip(x, y, strict=True)]))
    return (torch.cat(parts) if parts else a.new_zeros(0)), method


def evaluate_plane(
    loss: LossFn,
    base: Params,
    first: Params,
    second: Params,
    alphas: torch.Tensor,
    betas: torch.Tensor,
    cancel: threading.Event | None = None,
) -> tuple[torch.Tensor, str]:
    """L(θ + α·d₁ + β·d₂) on the grid betas × alphas (rows are β)."""
    grid_b, grid_a = torch.meshgrid(betas, alphas, indexing="ij")
    with torch.no_grad():
        flat, method = evaluate_points(
            loss, base, first, second, grid_a.reshape(-1), grid_b.reshape(-1), cancel
        )
    return flat.reshape(len(betas), len(alphas)), method


def random_landscape(
    loss: LossFn,
    base: Params,
    grid: int = 31,
    span: float = 1.0,
    seed: int = 0,
    cancel: threading.Event | None = None,
) -> Landscape:
    """Two filter-normalised random directions; α, β ∈ [−span, span] on a grid × grid lattice."""
    if not 2 <= grid <= 1001:
        raise ValueError("the grid must have between 2 and 1001 points per side")
    if not 0 < span <= 100:
        raise ValueError("the span must be positive (and at most 100)")
    if not -(2**63) <= seed < 2**64:  # what torch.Generator.manual_seed takes
        raise ValueError("the seed must be an integer between -2**63 and 2**64 - 1")
    device = next(iter(base.values())).device
    generator = torch.Generator().manual_seed(seed)
    first = filter_normalised(base, generator)
    second = filter_normalised(base, generator)
    steps = torch.linspace(-span, span, grid, device=device)
    start = time.perf_counter()
    losses, method = evaluate_plane(loss, base, first, second, steps, steps, cancel)
    if device.type == "cuda":
        torch.cuda.synchronize()
    with torch.no_grad():
        center = float(loss(base))
    seconds = time.perf_counter() - start
    return Landscape(steps.cpu(), steps.cpu(), losses.cpu(), center, seconds, str(device), method)


def pca_landscape(
    loss: LossFn,
    checkpoints: list[Params],
    grid: int = 31,
    margin: float = 0.25,
    cancel: threading.Event | None = None,
) -> Landscape:
    """The paper's §6: the trajectory's top two principal directions (of θᵢ − θ_final), the
    checkpoints projected onto them, and the loss over the plane they span."""
    if len(checkpoints) < 3:
        raise ValueError("need at least three checkpoints of the weights")
    final = checkpoints[-1]
    names = list(final)
    rows = torch.stack(
        [torch.cat([(c[n] - final[n]).flatten() for n in names]) for c in checkpoints]
    )
    _, _, v = torch.linalg.svd(rows - rows.mean(0, keepdim=True), full_matrices=False)
    directions = v[:2]
    coords = rows @ directions.T  # checkpoints × 2

    def unflatten(vector: torch.Tensor) -> Params:
        out: Params = {}
        offset = 0
        for n in names:
            size = final[n].numel()
            out[n] = vector[offset : offset + size].reshape(final[n].shape)
            offset += size
        return out

    first, second = unflatten(directions[0]), unflatten(directions[1])
    low, high = coords.min(0).values, coords.max(0).values
    pad = (high - low).clamp_min(1e-6) * margin
    on = rows.device
    alphas = torch.linspace(float(low[0] - pad[0]), float(high[0] + pad[0]), grid, device=on)
    betas = torch.linspace(float(low[1] - pad[1]), float(high[1] + pad[1]), grid, device=on)
    start = time.perf_counter()
    losses, method = evaluate_plane(loss, final, first, second, alphas, betas, cancel)
    with torch.no_grad():
        center = float(loss(final))
    seconds = time.perf_counter() - start
    device = str(next(iter(final.values())).device)
    result = Landscape(
        alphas.cpu(),
        betas.cpu(),
        losses.cpu(),
        center,
        seconds,
        device,
        method,
        "PCA of the trajectory",
    )
    result.path = [(float(a), float(b)) for a, b in coords.tolist()]
    return result


def landscape_json(landscape: Landscape) -> dict[str, object]:
    def number(value: float) -> object:
        return value if math.isfinite(value) else ("NaN" if math.isnan(value) else "Infinity")

    return {
        "schema": "gradviz.landscape/1",
        "directions": landscape.directions,
        "device": landscape.device,
        "method": landscape.method,
        "seconds": landscape.seconds,
        "center_loss": number(landscape.center),
        "alphas": landscape.alphas.tolist(),
        "betas": landscape.betas.tolist(),
        "losses": [[number(v) for v in row] for row in landscape.losses.tolist()],
        "path": [list(p) for p in landscape.path],
    }
