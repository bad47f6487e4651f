"""The training loop's commonest slip, noticed: a backward() adding to a `.grad` that still holds
the gradient an earlier backward() left, after the weights were stepped with it (no zero_grad())."""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from typing import Any

import torch
from torch import nn


class StaleGradients:
    """Each leaf's version (its in-place writes so far) after the last backward pass that
    reached it: a leaf written since (stepped) whose `.grad` is still not zero at the next pass
    gets that pass's gradient added to the old one."""

    def __init__(self) -> None:
        self._after: dict[int, tuple[weakref.ref[torch.Tensor], int]] = {}  # id → (leaf, version)
        self.noticed = False  # said once per run: every later step repeats it

    def before(
        self, leaves: list[torch.Tensor], unguarded: Callable[[], AbstractContextManager[Any]]
    ) -> torch.Tensor | None:
        """A leaf this pass will add a gradient to that still holds a stale one, if any
        (looked at `unguarded`: gradviz's own op, not the program's)."""
        if self.noticed:
            return None
        for leaf in leaves:
            seen = self._after.get(id(leaf))
            if seen is None or seen[0]() is not leaf or leaf._version == seen[1]:
                continue
            grad = leaf.grad
            if grad is None:
                continue
            with unguarded():
                held = bool(grad.any())
            if held:
                self.noticed = True
                return leaf
        return None

    def after(self, leaves: list[torch.Tensor]) -> None:
        if self.noticed:
            return  # (said already: nothing more to look for)
        after = self._after
        for leaf in leaves:
            seen = after.get(id(leaf))
            if seen is None or seen[0]() is not leaf:
                after[id(leaf)] = (weakref.ref(leaf), leaf._version)
            elif seen[1] != leaf._version:
                after[id(leaf)] = (seen[0], leaf._version)  # (its weak reference kept)


def leaf_name(leaf: torch.Tensor, env: Mapping[str, Any]) -> str:
    """How the program names `leaf`: `w`, or a module's parameter path (`model.0.weight`)."""
    for name, value in env.items():
        if value is leaf:
            return name
    for name, value in env.items():
        if isinstance(value, nn.Module):
            for path, parameter in value.named_parameters():
                if parameter is leaf:
                    return f"{name}.{path}"
    return "a parameter"


def stale_remark(name: str) -> str:
    return (
        f"`{name}.grad` still held the gradient of an earlier backward(), taken before "
        f"`{name}` was last changed, and this backward() added to it: .grad adds up until "
        "something zeroes it. Call optimizer.zero_grad() (or set `.grad = None`) once per "
        "step: zero_grad, forward, loss, backward, step"
    )
