"""The torch.optim optimizers the lab offers, their hyperparameters, and `NAME:key=value` specs."""

from __future__ import annotations

import inspect
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import torch

# Constructor arguments that choose an implementation, not an algorithm: never exposed.
IMPLEMENTATION = {"foreach", "fused", "differentiable", "capturable", "params"}

# Tuple hyperparameters get one name per element, as a user would write them.
TUPLE_PARTS = {
    "betas": ("beta1", "beta2"),
    "etas": ("eta_minus", "eta_plus"),
    "step_sizes": ("step_min", "step_max"),
}


@dataclass(frozen=True)
class OptimizerKind:
    """A named entry of the lab: a torch.optim class plus preset hyperparameters."""

    name: str
    title: str
    cls: type[torch.optim.Optimizer]
    presets: dict[str, Any] = field(default_factory=dict)
    batchable: bool = True  # updates are elementwise, so many starts can share one tensor

    def defaults(self) -> dict[str, Any]:
        """Every hyperparameter with torch's default, then this entry's presets."""
        values: dict[str, Any] = {}
        for param in inspect.signature(self.cls.__init__).parameters.values():
            if param.name in IMPLEMENTATION or param.name == "self":
                continue
            if param.default is inspect.Parameter.empty:
                continue
            values[param.name] = param.default
        values.update(self.presets)
        return values


KINDS: dict[str, OptimizerKind] = {
    kind.name: kind
    for kind in (
        OptimizerKind("sgd", "SGD", torch.optim.SGD, {"lr": 0.01}),
        OptimizerKind("momentum", "SGD + momentum", torch.optim.SGD, {"lr": 0.01, "momentum": 0.9}),
        OptimizerKind(
            "nesterov", "Nesterov", torch.optim.SGD, {"lr": 0.01, "momentum": 0.9, "nesterov": True}
        ),
        OptimizerKind("adagrad", "Adagrad", torch.optim.Adagrad, {"lr": 0.1}),
        OptimizerKind("adadelta", "Adadelta", torch.optim.Adadelta),
        OptimizerKind("rmsprop", "RMSprop", torch.optim.RMSprop),
        OptimizerKind(
            "rmsprop-momentum", "RMSprop + momentum", torch.optim.RMSprop, {"momentum": 0.9}
        ),
        OptimizerKind(
            "rmsprop-centered", "RMSprop (centered)", torch.optim.RMSprop, {"centered": True}
        ),
        OptimizerKind("adam", "Adam", torch.optim.Adam, {"lr": 0.05}),
        OptimizerKind("adamw", "AdamW", torch.optim.AdamW, {"lr": 0.05}),
        OptimizerKind("adamax", "Adamax", torch.optim.Adamax, {"lr": 0.05}),
        OptimizerKind("nadam", "NAdam", torch.optim.NAdam, {"lr": 0.05}),
        OptimizerKind("radam", "RAdam", torch.optim.RAdam, {"lr": 0.05}),
        OptimizerKind("asgd", "ASGD", torch.optim.ASGD, {"lr": 0.01}),
        OptimizerKind("rprop", "Rprop", torch.optim.Rprop),
        OptimizerKind(
            "lbfgs", "L-BFGS", torch.optim.LBFGS, {"lr": 1, "max_iter": 1}, batchable=False
        ),
    )
}


class SpecError(ValueError):
    """A bad optimizer specification, with a message for the user."""


@dataclass(frozen=True)
class OptimizerSpec:
    """A kind with the hyperparameters the user chose (the rest are the kind's defaults)."""

    kind: OptimizerKind
    chosen: tuple[tuple[str, Any], ...] = ()
    schedule: str | None = None  # a torch.optim.lr_scheduler: "step", "exp" or "cosine"
    schedule_options: tuple[tuple[str, Any], ...] = ()

    @property
    def name(self) -> str:
        return self.kind.name

    def params(self) -> dict[str, Any]:
        values = self.kind.defaults()
        values.update(dict(self.chosen))
        return values

    def label(self) -> str:
        parts = [f"{k}={_show(v)}" for k, v in self.chosen]
        if self.schedule:
            parts.append(f"{self.schedule} schedule")
        return f"{self.kind.title} ({', '.join(parts)})" if parts else self.kind.title

    def build_scheduler(self, optimizer: torch.optim.Optimizer) -> Any:
        """The lr scheduler to step after each optimizer step, or None."""
        if self.schedule is None:
            return None
        from gradviz.optim.schedules import make_scheduler

        try:
            return make_scheduler(optimizer, self.schedule, dict(self.schedule_options))
        except (ValueError, TypeError) as exc:
            raise SpecError(f"{self.schedule} schedule: {exc}") from None

    def build(self, params: Iterable[torch.Tensor], **implementation: Any) -> torch.optim.Optimizer:
        """The real torch.optim object; torch's own argument checks give the errors.
        `implementation`: arguments that choose how, not what (capturable=True)."""
        try:
            return self.kind.cls(list(params), **self.params(), **implementation)
        except (ValueError, TypeError) as exc:
            raise SpecError(f"{self.kind.name}: {exc}") from None


def _show(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


_FLOAT32_MAX = float(torch.finfo(torch.float32).max)


def _parse_value(text: str, default: Any) -> Any:
    text = text.strip()
    if isinstance(default, bool) or text.lower() in ("true", "false"):
        if text.lower() not in ("true", "false", "1", "0"):
            raise ValueError(f"{text!r} is not true or false")
        return text.lower() in ("true", "1")
    if default is None and text.lower() == "none":
        return None
    if isinstance(default, str) or (default is None and not _is_number(text)):
        return text
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{text} is not a finite number")
    if abs(number) > _FLOAT32_MAX:  # torch could not use it as a float32 scalar
        raise ValueError(f"{text} is too large (at most {_FLOAT32_MAX:.3g} in magnitude)")
    if isinstance(default, int) and not isinstance(default, bool) and number.is_integer():
        return int(number)
    return number


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def parse_spec(text: str) -> OptimizerSpec:
    """`adam`, `sgd:lr=0.01,momentum=0.9`, `adam:lr=0.05,beta1=0.8` → OptimizerSpec."""
    name, _, rest = text.partition(":")
    key = name.strip().lower()
    if key not in KINDS:
        raise SpecError(f"unknown optimizer {name.strip()!r}; choose from {', '.join(KINDS)}")
    kind = KINDS[key]
    defaults = kind.defaults()
    chosen: dict[str, Any] = {}
    schedule: str | None = None
    schedule_options: dict[str, Any] = {}
    for item in filter(None, (part.strip() for part in rest.split(","))):
        field_name, eq, value = item.partition("=")
        field_name = field_name.strip()
        if not eq:
            raise SpecError(f"{key}: expected key=value, got {item!r}")
        if field_name == "schedule":
            from gradviz.optim.schedules import SCHEDULES

            if value.strip() not in SCHEDULES:
                raise SpecError(
                    f"unknown schedule {value.strip()!r}; choose from {', '.join(SCHEDULES)}"
                )
            schedule = value.strip()
            continue
        if field_name.startswith("schedule_"):
            try:
                schedule_options[field_name[len("schedule_") :]] = _parse_value(value, 0.0)
            except ValueError as exc:
                raise SpecError(f"{key}: {field_name}={value!r}: {exc}") from None
            continue
        try:
            tuple_owner = next((t for t, parts in TUPLE_PARTS.items() if field_name in parts), None)
            if tuple_owner is not None and tuple_owner in defaults:
                index = TUPLE_PARTS[tuple_owner].index(field_name)
                current = list(chosen.get(tuple_owner, defaults[tuple_owner]))
                current[index] = _parse_value(value, current[index])
                chosen[tuple_owner] = tuple(current)
            elif field_name in defaults:
                chosen[field_name] = _parse_value(value, defaults[field_name])
            else:
                names = sorted([k for k in defaults if k not in TUPLE_PARTS] + [
                    p for t, parts in TUPLE_PARTS.items() if t in defaults for p in parts
                ])  # fmt: skip
                raise SpecError(
                    f"{key} has no hyperparameter {field_name!r}; it has {', '.join(names)}"
                )
        except ValueError as exc:
            if isinstance(exc, SpecError):
                raise
            raise SpecError(f"{key}: {field_name}={value!r}: {exc}") from None
    if schedule_options and schedule is None:
        raise SpecError(f"{key}: schedule_ options need schedule=step|exp|cosine")
    spec = OptimizerSpec(kind, tuple(chosen.items()), schedule, tuple(schedule_options.items()))
    probe = spec.build([torch.zeros(2, requires_grad=True)])  # torch validates the values now
    spec.build_scheduler(probe)
    return spec
