"""What a run of a program hands on: the observer told of its bindings and backward calls (the
tracer), and the result it leaves behind."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import torch
from torch import nn

from gradviz.lang.parser import ScalarInput


class RunObserver(Protocol):
    """Told of every name binding and asked to perform each `.backward()` and
    `torch.autograd.grad` (the tracer)."""

    def bound(self, name: str, value: object, weak: bool = False) -> None: ...  # see BoundNames

    def backward(self, tensor: torch.Tensor, kwargs: dict[str, Any]) -> None: ...

    def grad(self, output: torch.Tensor, inputs: Any, kwargs: dict[str, Any]) -> Any: ...

    def calling(self, owner: object | None) -> None: ...  # an object of the program's: called

    def called(self) -> None: ...  # ... and returned (or raised)


@dataclass
class RunResult:
    """What a run left behind: its variables, its output tensor and what it printed."""

    env: dict[str, Any]
    output: torch.Tensor | None
    output_name: str | None
    backward_called: bool
    printed: list[str]
    inputs: list[ScalarInput]
    device: str
    modules: dict[str, nn.Module] = field(default_factory=dict)
    # the random number generators as the program left them (the run itself forks them)
    rng_state: torch.Tensor | None = None
    cuda_rng_state: torch.Tensor | None = None
