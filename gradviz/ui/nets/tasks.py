"""The Network tab's work, run in its worker thread: make a trainer, train a chunk of steps,
and copy out what the views show (the trainer itself never leaves that thread's tasks)."""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from gradviz.nets.spec import NetworkSpec
from gradviz.nets.trainer import Metrics, Trainer

CHUNK_SECONDS = 0.04  # train this long between pictures: about 20 updates a second


@dataclass
class Snapshot:
    """What the views show after some training: copies, safe to read on the UI thread."""

    step: int
    epoch: float
    metrics: Metrics
    grid: np.ndarray  # rows are y
    extent: tuple[float, ...]
    points: np.ndarray
    targets: np.ndarray
    is_test: np.ndarray
    classification: bool
    ms_per_step: float
    device: str
    neurons: dict[str, np.ndarray] | None = None  # hidden layer → units × rows × columns


def snapshot(trainer: Trainer, ms_per_step: float, neurons: bool = False) -> Snapshot:
    grid, extent = trainer.predict_grid()
    units = {k: v.numpy() for k, v in trainer.neuron_grids().items()} if neurons else None
    return Snapshot(
        trainer.step_count,
        trainer.step_count * trainer.batch_size / max(len(trainer.X_train), 1),
        copy.deepcopy(trainer.metrics),
        grid.numpy(),
        extent,
        trainer.points.numpy(),
        trainer.targets.numpy(),
        trainer.is_test.numpy(),
        trainer.classification,
        ms_per_step,
        str(trainer.X_train.device),
        units,
    )


def setup_task(
    spec: NetworkSpec, holder: dict[str, Trainer], neurons: bool = False
) -> Callable[[threading.Event], Snapshot]:
    def run(cancel: threading.Event) -> Snapshot:
        trainer = Trainer(spec)
        trainer.evaluate()
        holder["trainer"] = trainer
        return snapshot(trainer, 0.0, neurons)

    return run


def train_task(
    holder: dict[str, Trainer], steps: int | None, neurons: bool = False
) -> Callable[[threading.Event], Snapshot]:
    """`steps` steps (0: none, a fresh picture), or (None) as many as fit in CHUNK_SECONDS;
    with `neurons`, each hidden unit's output over the plane too."""

    def run(cancel: threading.Event) -> Snapshot:
        trainer = holder["trainer"]
        begin = time.perf_counter()
        done = 0
        while steps != 0 and not cancel.is_set():
            trainer.step(1)
            done += 1
            if steps is not None and done >= steps:
                break
            if steps is None and time.perf_counter() - begin > CHUNK_SECONDS:
                break
        ms = (time.perf_counter() - begin) * 1000 / max(done, 1)
        if done:
            trainer.evaluate()
        return snapshot(trainer, ms if done else 0.0, neurons)

    return run
