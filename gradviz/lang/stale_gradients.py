"""The training loop's commonest slip, noticed: a backward() adding to a `.grad` that still holds
the gradient an earlier backward() left, after the weights were stepped with it (no zero_grad())."""

from __future__ import annotations

import sys
import weakref
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import torch
from torch import nn

T = TypeVar("T")
UNNAMED = "a parameter"  # leaf_name's answer for a leaf no name of the program holds
CLIPPING = {"nn.utils.clip_grad_norm_", "nn.utils.clip_grad_value_"}  # scale .grad in place


class StaleGradients:
    """For each leaf, after the last backward pass that reached it: the leaf's version (its
    in-place writes so far), its `.grad` and that gradient's version. A leaf written since
    (stepped) whose `.grad` is that same tensor, unwritten since (not zeroed, not replaced, not
    set to None; clipping is no reset), gets the next pass's gradient added to the old one.
    Read from versions only: no torch op, nothing for the allocation guard to see."""

    def __init__(self) -> None:
        # id(leaf) → (the leaf, its version, id of its .grad, that gradient's version)
        self._after: dict[int, tuple[weakref.ref[torch.Tensor], int, int, int]] = {}
        self.noticed = False  # said once per run: every later step repeats it
        self.summed_noticed = False  # (as noticed, for `summed`)
        self.line: int | None = None  # the program line of the last pass
        # id(tensor) → its `.data` views: a view has a version of its own, so
        # `w.grad.data.zero_()` leaves w.grad's version as it was
        self._views: dict[int, _DataViews] = {}

    def data_view(self, tensor: torch.Tensor, view: torch.Tensor) -> None:
        """The program read `tensor.data` (only a `.grad`'s views matter)."""
        if self.noticed:
            return
        held = self._views.get(id(tensor))
        if held is None or held.tensor() is not tensor:
            held = self._views[id(tensor)] = _DataViews(weakref.ref(tensor))
        held.add(view)

    def _written(self, grad: torch.Tensor) -> int:
        """The writes into `grad` so far, its `.data` views' included."""
        held = self._views.get(id(grad))
        if held is None or held.tensor() is not grad:
            return grad._version
        return grad._version + held.writes()

    def before(self, leaves: list[torch.Tensor]) -> torch.Tensor | None:
        """A leaf this pass will add a gradient to that still holds a stale one, if any."""
        if self.noticed:
            return None
        for leaf in leaves:
            seen = self._after.get(id(leaf))
            if seen is None or seen[0]() is not leaf or leaf._version == seen[1]:
                continue  # not stepped since the last pass
            grad = leaf.grad
            if grad is not None and id(grad) == seen[2] and self._written(grad) == seen[3]:
                self.noticed = True
                return leaf
        return None

    def summed(self, leaves: list[torch.Tensor]) -> list[torch.Tensor]:
        """The leaves whose `.grad` this pass will add to, still holding what the last pass
        left (unwritten since) while the leaf itself did not change: gradient accumulation,
        or two losses backpropagated in turn. Not a slip as `before`'s is, but the graph
        shows each pass's own gradient, not the sum the program then reads. Once per run."""
        if self.noticed or self.summed_noticed:
            return []
        found = []
        for leaf in leaves:
            seen = self._after.get(id(leaf))
            if seen is None or seen[0]() is not leaf or leaf._version != seen[1]:
                continue  # (changed since: `before` speaks of that)
            grad = leaf.grad
            if grad is not None and id(grad) == seen[2] and self._written(grad) == seen[3]:
                found.append(leaf)
        self.summed_noticed = bool(found)
        return found

    def after(self, leaves: list[torch.Tensor], line: int | None = None) -> None:
        self.line = line
        if self.noticed:
            return  # (said already: nothing more to look for)
        after = self._after
        for leaf in leaves:
            grad = leaf.grad
            if grad is None:
                after.pop(id(leaf), None)
                continue
            seen = after.get(id(leaf))
            ref = seen[0] if seen is not None and seen[0]() is leaf else weakref.ref(leaf)
            after[id(leaf)] = (ref, leaf._version, id(grad), self._written(grad))

    def clipping(self, run: Callable[[], T]) -> T:
        """A clip_grad_*_ call: its in-place write into the gradients is no reset (they still
        hold what the last backward() left, only scaled), so a gradient unwritten before it
        is taken as unwritten after it too."""
        before = {key: self._grad_version(seen) for key, seen in self._after.items()}
        result = run()
        for key, (ref, version, grad_id, grad_version) in list(self._after.items()):
            now = self._grad_version((ref, version, grad_id, grad_version))
            if now is not None and before.get(key) == grad_version:
                self._after[key] = (ref, version, grad_id, now)
        return result

    def _grad_version(self, seen: tuple[weakref.ref[torch.Tensor], int, int, int]) -> int | None:
        """The writes into the leaf's `.grad`, if it is still the gradient recorded."""
        leaf = seen[0]()
        grad = leaf.grad if leaf is not None else None
        return self._written(grad) if grad is not None and id(grad) == seen[2] else None


class _DataViews:
    """The `.data` views of one tensor: the live ones, and the writes of those only this
    holds (no name of the program can reach them again: folded into a count)."""

    def __init__(self, tensor: weakref.ref[torch.Tensor]) -> None:
        self.tensor = tensor
        self.views: list[torch.Tensor] = []
        self.folded = 0

    def add(self, view: torch.Tensor) -> None:
        self.writes()
        self.views.append(view)

    def writes(self) -> int:
        kept = []
        for view in self.views:
            # held by this list, this loop and getrefcount's argument alone: never written again
            if sys.getrefcount(view) <= 3:
                self.folded += view._version
            else:
                kept.append(view)
        self.views = kept
        return self.folded + sum(view._version for view in kept)


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
    return UNNAMED


def _grad_of(name: str) -> str:
    """How a remark names a leaf's gradient: `w.grad`, or what it can say of a leaf no name of
    the program holds (rebound since, or never named)."""
    return f"`{name}.grad`" if name != UNNAMED else "the .grad of a leaf no name holds now"


def stale_remark(name: str) -> str:
    leaf = f"`{name}`" if name != UNNAMED else "that leaf"
    return (
        f"{_grad_of(name)} still held the gradient of an earlier backward(), taken before "
        f"{leaf} was last changed, and this backward() added to it: .grad adds up until "
        "something zeroes it. Call optimizer.zero_grad() (or set `.grad = None`) once per "
        "step: zero_grad, forward, loss, backward, step"
    )


def summed_remark(names: list[str], line: int | None, output: str) -> str:
    """What `summed` found, said: the leaves' `.grad` holds more than the graph shows."""
    shown = ", ".join(_grad_of(name) for name in names[:3])
    shown += f" and {len(names) - 3} more" if len(names) > 3 else ""
    earlier = f"the backward() at line {line}" if line is not None else "an earlier backward()"
    held = "holds" if len(names) == 1 else "hold"
    return (
        f"{shown} still {held} the gradient of {earlier}, and this backward() adds to it: "
        ".grad sums every backward() until something zeroes it (optimizer.zero_grad(), or "
        f"`.grad = None`). The graph's gradients are one pass's own, ∂{output}/∂node, not "
        "the sum .grad holds"
    )
