"""Learning-rate schedules (torch.optim.lr_scheduler) that a racer may use."""

from __future__ import annotations

from typing import Any

import torch

SCHEDULES: dict[str, tuple[type[Any], dict[str, Any]]] = {
    "step": (torch.optim.lr_scheduler.StepLR, {"step_size": 100, "gamma": 0.5}),
    "exp": (torch.optim.lr_scheduler.ExponentialLR, {"gamma": 0.99}),
    "cosine": (torch.optim.lr_scheduler.CosineAnnealingLR, {"T_max": 1000, "eta_min": 0.0}),
}


def make_scheduler(
    optimizer: torch.optim.Optimizer, name: str, options: dict[str, Any]
) -> torch.optim.lr_scheduler.LRScheduler:
    cls, defaults = SCHEDULES[name]
    values = {**defaults, **options}
    scheduler: torch.optim.lr_scheduler.LRScheduler = cls(optimizer, **values)
    return scheduler
