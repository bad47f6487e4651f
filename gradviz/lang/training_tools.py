"""What training code uses besides layers: lr schedulers, nn.init, optimizer steps (an LBFGS
closure too), param-group settings and model.apply(init)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn
from torch.optim import lr_scheduler

from gradviz.lang.callbacks import Callback
from gradviz.lang.objects import Fn, Namespace, ProgramDict
from gradviz.lang.program_warnings import remark_here

SCHEDULERS = [
    "StepLR",
    "MultiStepLR",
    "ExponentialLR",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "LinearLR",
    "ConstantLR",
    "PolynomialLR",
    "OneCycleLR",
    "CyclicLR",
    "ReduceLROnPlateau",
    "LambdaLR",
    "MultiplicativeLR",
    "SequentialLR",
    "ChainedScheduler",
]

INITIALISERS = [
    "uniform_",
    "normal_",
    "constant_",
    "ones_",
    "zeros_",
    "eye_",
    "xavier_uniform_",
    "xavier_normal_",
    "kaiming_uniform_",
    "kaiming_normal_",
    "trunc_normal_",
    "orthogonal_",
    "calculate_gain",
]

SCHEDULER_TYPES = (lr_scheduler.LRScheduler, lr_scheduler.ReduceLROnPlateau)


def _step(scheduler: Any, *args: Any) -> None:
    scheduler.step(*args)


SCHEDULER_METHODS: dict[str, Callable[..., Any]] = {
    "step": _step,  # ReduceLROnPlateau's takes the metric: scheduler.step(val_loss)
    "get_last_lr": lambda scheduler: scheduler.get_last_lr(),
}


def _optimizer_step(optimizer: torch.optim.Optimizer, closure: Any = None) -> Any:
    """optimizer.step(), or step(closure) where the closure is a function the program defined
    (LBFGS needs one: it re-evaluates the loss several times per step)."""
    if closure is not None and not isinstance(closure, Callback):
        raise TypeError(
            "step() takes a function the program defines: `def closure(): ... return loss`, "
            "then `optimizer.step(closure)`"
        )
    if closure is None and isinstance(optimizer, torch.optim.LBFGS):
        raise TypeError(
            "LBFGS.step needs a closure that recomputes the loss: `def closure(): "
            "optimizer.zero_grad(); loss = ...; loss.backward(); return loss`, then "
            "`optimizer.step(closure)`"
        )
    if closure is None and not any(
        p.grad is not None for group in optimizer.param_groups for p in group["params"]
    ):
        remark_here(NO_GRADIENT)
    return optimizer.step(closure)


NO_GRADIENT = (
    "this step() found no gradient: every parameter's .grad is None, so the weights do not "
    "move. Call loss.backward() before step(), and zero_grad() before backward(), not between "
    "backward() and step(): zero_grad, forward, loss, backward, step"
)

OPTIMIZER_METHODS: dict[str, Callable[..., Any]] = {
    "step": _optimizer_step,
    "zero_grad": lambda opt, set_to_none=True: opt.zero_grad(set_to_none),
}

PARAM_GROUP_SETTINGS = ("params",)  # what a program may not replace in opt.param_groups[i]


def check_param_group_write(group: dict[str, Any], key: object, value: object) -> None:
    """`opt.param_groups[0]["lr"] = 0.01`: an existing setting, a number (or tuple of them)."""
    if not isinstance(key, str) or key not in group or key in PARAM_GROUP_SETTINGS:
        known = ", ".join(repr(k) for k in group if k not in PARAM_GROUP_SETTINGS)
        raise KeyError(f"a param group's settings are {known}; {key!r} cannot be set")
    numbers = value if isinstance(value, tuple) else (value,)
    if not all(isinstance(v, (int, float)) for v in numbers):
        raise TypeError(f"param_groups[...][{key!r}] takes a number, not {type(value).__name__}")


def _apply(module: nn.Module, function: Any) -> nn.Module:
    if not isinstance(function, Callback):
        raise TypeError(
            "apply() takes a function the program defines: `def init(m): ...`, then "
            "`model.apply(init)`"
        )
    return module.apply(function)


def _state_dict(module: nn.Module) -> ProgramDict:
    """model.state_dict(): parameters and buffers by name — the tensors themselves, as in torch
    (they change as the model trains; keep a copy with `.clone()` of each)."""
    return ProgramDict(module.state_dict())


def _load_state_dict(module: nn.Module, state_dict: Any, strict: bool = True) -> Any:
    if not isinstance(state_dict, dict):
        raise TypeError(
            "load_state_dict() takes a dict of tensors by name, as `model.state_dict()` gives, "
            f"not {type(state_dict).__name__}"
        )
    return module.load_state_dict(state_dict, strict=strict)


MODULE_CALLS: dict[str, Callable[..., Any]] = {
    "apply": _apply,
    "modules": lambda m: list(m.modules()),
    "named_modules": lambda m: list(m.named_modules()),
    "named_children": lambda m: list(m.named_children()),
    "buffers": lambda m: list(m.buffers()),
    "named_buffers": lambda m: list(m.named_buffers()),
    "state_dict": _state_dict,
    "load_state_dict": _load_state_dict,
}


def scheduler_namespace() -> Namespace:
    members = {name: Fn(f"lr_scheduler.{name}", getattr(lr_scheduler, name)) for name in SCHEDULERS}
    return Namespace("torch.optim.lr_scheduler", members)


def init_namespace() -> Namespace:
    members = {name: Fn(f"nn.init.{name}", getattr(nn.init, name)) for name in INITIALISERS}
    return Namespace("torch.nn.init", members)


SCHEDULER_NS = scheduler_namespace()
INIT_NS = init_namespace()
