"""Many starts' final points, with each step replayed as one CUDA graph: a step of a basin map is
some forty small kernels, and launching them one by one from Python costs more than running
them, so on a GPU the step (loss, backward, torch.optim's step, the divergence check with a
step counter kept on the device) is captured once and replayed. The same step runs eagerly
elsewhere, so what the graph replays is what the CPU tests check."""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable

import torch

from gradviz.optim.registry import OptimizerSpec
from gradviz.optim.surfaces import Surface
from gradviz.optim.trajectories import Cancelled, default_bound, loss_at

WARM_UP = 3  # eager steps before capture: optimizer state is made lazily, on the first step


def graphable(spec: OptimizerSpec) -> bool:
    """Whether `spec`'s steps can be captured: no scheduler (it changes lr on the host), many
    starts in one tensor, and a step that never reads a value back to the host (SGD's, or an
    optimizer built with capturable=True)."""
    if spec.schedule is not None or not spec.kind.batchable:
        return False
    return spec.kind.cls is torch.optim.SGD or _has_capturable(spec)


def _has_capturable(spec: OptimizerSpec) -> bool:
    return "capturable" in inspect.signature(spec.kind.cls.__init__).parameters


class Stepper:
    """One step of `spec` from every row of `params`, written for capture: fixed tensors, no
    host reads; `diverged[i]` becomes the step (from the device counter) at which row i first
    left the bound or stopped being finite."""

    def __init__(
        self,
        surface: Surface,
        spec: OptimizerSpec,
        starts: torch.Tensor,
        bound: float,
        capture: bool,
    ) -> None:
        self.surface, self.bound = surface, bound
        self.params = starts.detach().clone().requires_grad_(True)
        capturable = capture and _has_capturable(spec)
        self.optimizer = spec.build([self.params], **({"capturable": True} if capturable else {}))
        self.diverged = torch.full((starts.shape[0],), -1, dtype=torch.long, device=starts.device)
        self.counter = torch.zeros((), dtype=torch.long, device=starts.device)

    def step(self) -> None:
        loss_at(self.surface, self.params).sum().backward()
        self.optimizer.step()
        with torch.no_grad():
            self.counter += 1
            inside = self.params.abs() <= self.bound  # NaN compares False: out
            bad = ~(inside[:, 0] & inside[:, 1]) & (self.diverged < 0)
            self.diverged.copy_(torch.where(bad, self.counter, self.diverged))

    def eager_step(self) -> None:
        self.optimizer.zero_grad(set_to_none=True)
        self.step()


def optimize_final(
    surface: Surface,
    spec: OptimizerSpec,
    starts: torch.Tensor,
    steps: int,
    *,
    bound: float | None = None,
    cancel: threading.Event | None = None,
    capture: bool | None = None,
) -> tuple[torch.Tensor, torch.Tensor, str]:
    """Final positions (1 × N × 2) and divergence steps (N) after `steps` steps of a graphable
    `spec` from every row of `starts`, as optimize_batch(record=False) gives them, and how:
    "cuda graph" (captured after WARM_UP eager steps, then replayed) or "eager". `capture`
    defaults to whether the starts are on a GPU."""
    bound = default_bound(surface) if bound is None else bound
    capture = starts.is_cuda if capture is None else capture
    if capture and not replay_checked(spec, starts.device):
        capture = False
    if capture:
        try:
            return _optimize(surface, spec, starts, steps, bound, cancel, True)
        except RuntimeError:  # a step that reads a value back (a typed f(x, y) may): eagerly
            torch.cuda.synchronize(starts.device)
    return _optimize(surface, spec, starts, steps, bound, cancel, False)


def _optimize(
    surface: Surface,
    spec: OptimizerSpec,
    starts: torch.Tensor,
    steps: int,
    bound: float,
    cancel: threading.Event | None,
    capture: bool,
) -> tuple[torch.Tensor, torch.Tensor, str]:
    stepper = Stepper(surface, spec, starts, bound, capture)
    eager = steps if not capture or steps <= WARM_UP else WARM_UP
    if capture:
        side = torch.cuda.Stream(device=starts.device)
        side.wait_stream(torch.cuda.current_stream(starts.device))
        with torch.cuda.stream(side):
            _run(stepper.eager_step, eager, cancel)
        torch.cuda.current_stream(starts.device).wait_stream(side)
    else:
        _run(stepper.eager_step, eager, cancel)
    method = "eager"
    if eager < steps:
        graph = torch.cuda.CUDAGraph()
        stepper.optimizer.zero_grad(set_to_none=True)  # backward in the graph makes the grads
        # thread_local: CUDA work of the app's other threads (a surface grid) must not break it
        with torch.cuda.graph(graph, capture_error_mode="thread_local"):
            stepper.step()
        _run(graph.replay, steps - eager, cancel)
        method = "cuda graph"
    return stepper.params.detach().reshape(1, -1, 2), stepper.diverged, method


_checked: dict[tuple[object, ...], bool] = {}
_checked_lock = threading.Lock()


def replay_checked(spec: OptimizerSpec, device: torch.device) -> bool:
    """Whether replaying a captured step of this optimizer and settings gives what eager steps
    give, tried once per process and device on a small problem (16 starts × 12 steps): a GPU
    stack whose capture misbehaves falls back to eager steps instead of drawing a wrong map."""
    key = (spec.kind.cls, repr(sorted(spec.params().items())), str(device))
    with _checked_lock:
        if key not in _checked:
            _checked[key] = _replay_matches(spec, device)
        return _checked[key]


def _replay_matches(spec: OptimizerSpec, device: torch.device) -> bool:
    from gradviz.optim.surfaces import get_surface

    surface = get_surface("himmelblau")
    xs = torch.linspace(-4.0, 4.0, 4, device=device)
    grid_y, grid_x = torch.meshgrid(xs, xs, indexing="ij")
    starts = torch.stack([grid_x.reshape(-1), grid_y.reshape(-1)], dim=1)
    try:
        graphed = _optimize(surface, spec, starts, 12, default_bound(surface), None, True)
    except Exception:  # any failure to capture means: step eagerly
        torch.cuda.synchronize(device)
        return False
    eager = _optimize(surface, spec, starts, 12, default_bound(surface), None, False)
    same_divergence = bool(torch.equal(graphed[1], eager[1]))
    close = torch.allclose(graphed[0], eager[0], rtol=1e-4, atol=1e-4, equal_nan=True)
    return same_divergence and bool(close)


def _run(step: Callable[[], object], count: int, cancel: threading.Event | None) -> None:
    for _ in range(count):
        if cancel is not None and cancel.is_set():
            raise Cancelled()
        step()
