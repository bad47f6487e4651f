"""A training loop whose loss turns inf or NaN, noticed at the backward() where it first did:
the last graph shows only that every value is gone, not when the steps diverged."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch


class Divergence:
    """Counts the run's backward passes and looks at each one-element CPU loss (on a GPU the
    look would wait for the device at every step, so it is skipped there)."""

    def __init__(self) -> None:
        self.passes = 0
        self.finite = 0  # passes whose loss was looked at and finite
        self.noticed = False  # said once per run

    def before(self, loss: torch.Tensor, read: Callable[[torch.Tensor], float]) -> str | None:
        """What to say if this pass's loss is the first one not finite after finite ones."""
        self.passes += 1
        if self.noticed or not loss.is_cpu or loss.numel() != 1 or not loss.is_floating_point():
            return None
        value = read(loss)
        if math.isfinite(value):
            self.finite += 1
            return None
        self.noticed = True
        if self.finite == 0:
            return None  # not finite from the start: the graph's NaN/Inf marks say where
        return (
            f"the loss is {value} at this backward(), pass {self.passes} of the run, after "
            f"{self.finite} finite ones: the training diverged (a learning rate too large is "
            "the usual cause). The graph shows the last pass, where nothing is finite any more"
        )
