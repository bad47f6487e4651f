"""The Network tab's work, run in its worker thread: make a trainer, train a chunk of steps,
and copy out what the views show (the trainer itself never leaves that thread's tasks)."""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from gradviz.nets.curves import CurveRecorder, Curves
from gradviz.nets.spec import NetworkSpec
from gradviz.nets.trainer import Trainer

# Train this long between pictures: ten a second. Drawing one takes the UI thread about 30 ms
# of Python (pyqtgraph), and while it draws, training waits for the GIL: at twenty pictures a
# second the UI drew nearly all the time and training ran 160 steps a second, at ten 450
# (1,270 alone), with the window answering again (2-core VM, the builder's default network).
CHUNK_SECONDS = 0.1
BATCH_SECONDS = 0.01  # steps per call to the trainer: about this long (calls cost 0.2 ms each)


@dataclass
class Snapshot:
    """What the views show after some training: copies, safe to read on the UI thread."""

    step: int
    epoch: float
    metrics: Curves
    grid: np.ndarray  # rows are y
    extent: tuple[float, ...]
    points: np.ndarray
    targets: np.ndarray
    is_test: np.ndarray
    classification: bool
    ms_per_step: float
    device: str
    neurons: dict[str, np.ndarray] | None = None  # hidden layer → units × rows × columns
    dead: dict[str, np.ndarray] | None = None  # hidden layer → a flag per unit (dead_units)


# Each trainer's curves, converted a chunk at a time: a deep copy of every list at every
# picture grew with the run (180 ms per picture after 50,000 steps, holding the GIL).
_RECORDERS: weakref.WeakKeyDictionary[Trainer, CurveRecorder] = weakref.WeakKeyDictionary()


def snapshot(
    trainer: Trainer, ms_per_step: float, neurons: bool = False, aspect: float = 1.0
) -> Snapshot:
    """What the views show now; the decision picture as wide as `aspect` (its view's shape)."""
    grid, extent = trainer.predict_grid(aspect=aspect)
    units = {k: v.numpy() for k, v in trainer.neuron_grids().items()} if neurons else None
    dead = {k: v.numpy() for k, v in trainer.dead_units().items()} if neurons else None
    return Snapshot(
        trainer.step_count,
        trainer.step_count * trainer.batch_size / max(len(trainer.X_train), 1),
        _RECORDERS.setdefault(trainer, CurveRecorder()).update(trainer.metrics),
        grid.numpy(),
        extent,
        trainer.points.numpy(),
        trainer.targets.numpy(),
        trainer.is_test.numpy(),
        trainer.classification,
        ms_per_step,
        str(trainer.X_train.device),
        units,
        dead,
    )


def setup_task(
    spec: NetworkSpec, holder: dict[str, Trainer], neurons: bool = False, aspect: float = 1.0
) -> Callable[[threading.Event], Snapshot]:
    def run(cancel: threading.Event) -> Snapshot:
        trainer = Trainer(spec)
        trainer.evaluate()
        holder["trainer"] = trainer
        return snapshot(trainer, 0.0, neurons, aspect)

    return run


def train_task(
    holder: dict[str, Trainer], steps: int | None, neurons: bool = False, aspect: float = 1.0
) -> Callable[[threading.Event], Snapshot]:
    """`steps` steps (0: none, a fresh picture), or (None) as many as fit in CHUNK_SECONDS;
    with `neurons`, each hidden unit's output over the plane too."""

    def run(cancel: threading.Event) -> Snapshot:
        trainer = holder["trainer"]
        begin = time.perf_counter()
        done, batch = 0, 1
        while steps != 0 and not cancel.is_set():
            trainer.step(batch)  # a few at a time: each call sets and reads the random state
            done += batch
            elapsed = time.perf_counter() - begin
            left = (steps - done) if steps is not None else CHUNK_SECONDS - elapsed
            if left <= 0:
                break
            per_step = elapsed / done
            # about BATCH_SECONDS of steps per call: cancel still answered within that
            batch = max(1, int(BATCH_SECONDS / per_step)) if per_step > 0 else 1
            if steps is not None:
                batch = min(batch, steps - done)
            else:
                batch = min(batch, max(1, int(left / per_step))) if per_step > 0 else 1
        ms = (time.perf_counter() - begin) * 1000 / max(done, 1)
        if done and steps is not None:  # Step, + epoch: their result now; Play: once an epoch
            trainer.evaluate()
        return snapshot(trainer, ms if done else 0.0, neurons, aspect)

    return run
