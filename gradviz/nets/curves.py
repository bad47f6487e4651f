"""Training curves as numpy arrays that grow by each chunk's new entries, never copied whole."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gradviz.nets.trainer import Metrics

SMOOTHING = 0.9  # the gradient norms' moving average keeps this much of its last value


@dataclass(frozen=True)
class Curves:
    """What the plots draw after some training: one entry per step, or per evaluation.
    Arrays are read-only views that later chunks never change."""

    steps: np.ndarray
    batch_loss: np.ndarray
    grad_norms: dict[str, np.ndarray]  # layer → ‖∂L/∂W‖ per step
    smoothed_grad_norms: dict[str, np.ndarray]  # the same, as an exponential moving average
    eval_steps: np.ndarray
    train_loss: np.ndarray
    test_loss: np.ndarray
    train_accuracy: np.ndarray
    test_accuracy: np.ndarray


class _Growing:
    """A float array appended to in place (capacity doubling); each `view()` stays as it was."""

    def __init__(self) -> None:
        self._buffer = np.empty(64)
        self.size = 0

    def extend(self, values: np.ndarray) -> None:
        end = self.size + len(values)
        if end > len(self._buffer):
            grown = np.empty(max(end, 2 * len(self._buffer)))
            grown[: self.size] = self._buffer[: self.size]
            self._buffer = grown
        self._buffer[self.size : end] = values
        self.size = end

    def view(self) -> np.ndarray:
        out = self._buffer[: self.size]
        out.flags.writeable = False
        return out


def smoothed(values: list[float] | np.ndarray, keep: float = SMOOTHING) -> np.ndarray:
    """An exponential moving average from the first value: batch-to-batch noise hides a trend."""
    out = np.empty(len(values))
    average = float(values[0]) if len(values) else 0.0
    for i, value in enumerate(values):
        average = keep * average + (1 - keep) * float(value)
        out[i] = average
    return out


_LISTS = (
    "steps", "batch_loss", "eval_steps", "train_loss", "test_loss", "train_accuracy",
    "test_accuracy",
)  # fmt: skip


class CurveRecorder:
    """Turns a trainer's growing `Metrics` into `Curves`, converting only what is new since
    the last call (a fresh `Metrics`, or one that shrank, starts over)."""

    def __init__(self) -> None:
        self._metrics: Metrics | None = None
        self._arrays: dict[str, _Growing] = {}
        self._norms: dict[str, _Growing] = {}
        self._smoothed: dict[str, _Growing] = {}

    def _start_over(self, metrics: Metrics) -> None:
        self._metrics = metrics
        self._arrays = {name: _Growing() for name in _LISTS}
        self._norms = {name: _Growing() for name in metrics.grad_norms}
        self._smoothed = {name: _Growing() for name in metrics.grad_norms}

    def update(self, metrics: Metrics) -> Curves:
        stale = metrics is not self._metrics or set(metrics.grad_norms) != set(self._norms)
        if stale or any(len(getattr(metrics, n)) < a.size for n, a in self._arrays.items()):
            self._start_over(metrics)
        for name, array in self._arrays.items():
            values: list[float] = getattr(metrics, name)
            array.extend(np.asarray(values[array.size :], dtype=float))
        for name, norms in self._norms.items():
            new = metrics.grad_norms[name][norms.size :]
            averages = self._smoothed[name]
            if new:
                last = averages.view()[-1] if averages.size else new[0]
                averages.extend(smoothed([last, *new])[1:])
            norms.extend(np.asarray(new, dtype=float))
        views = {name: array.view() for name, array in self._arrays.items()}
        return Curves(
            grad_norms={name: a.view() for name, a in self._norms.items()},
            smoothed_grad_norms={name: a.view() for name, a in self._smoothed.items()},
            **views,
        )
