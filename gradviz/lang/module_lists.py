"""Layers kept in a plain list, tuple or dict on a module (`self.layers = [nn.Linear(2, 4), …]`):
nn.Module does not look into those, so `parameters()` leaves the layers out (no optimizer trains
them) and `.to(device)` does not move them; nn.ModuleList / ModuleDict register them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from torch import nn

EMPTY_OPTIMIZER = "optimizer got an empty parameter list"  # torch's words, when all are there


def _items(value: object) -> Iterable[Any] | None:
    if isinstance(value, dict):
        return value.values()
    if isinstance(value, (list, tuple)):
        return value
    return None


def holds_layers(value: object) -> bool:
    """A plain list, tuple or dict with a layer or a parameter in it."""
    items = _items(value)
    return items is not None and any(isinstance(i, (nn.Module, nn.Parameter)) for i in items)


def listed_remark(owner: nn.Module, attribute: str, value: object) -> str:
    """What to say where `self.attribute = value` put layers in a plain container."""
    kind = type(value).__name__
    registered = "nn.ModuleDict({…})" if isinstance(value, dict) else "nn.ModuleList([…])"
    if not any(isinstance(i, nn.Module) for i in _items(value) or ()):
        registered = "nn.ParameterDict" if isinstance(value, dict) else "nn.ParameterList([…])"
    return (
        f"`self.{attribute}` keeps its layers in a plain {kind}, which nn.Module does not look "
        f"into: {type(owner).__name__}'s parameters() leaves them out (an optimizer never "
        f"trains them) and .to(device) does not move them. Write `self.{attribute} = "
        f"{registered}`"
    )


def listed_layers_hint(values: Iterable[object]) -> str | None:
    """For torch's "optimizer got an empty parameter list": the module among `values` (the
    program's names) whose layers sit in a plain container, if one does."""
    for value in values:
        if not isinstance(value, nn.Module):
            continue
        for module in value.modules():
            for attribute, held in vars(module).items():
                if not attribute.startswith("_") and holds_layers(held):
                    return (
                        f"{type(module).__name__} keeps its layers in a plain "
                        f"{type(held).__name__}, `self.{attribute}`, which nn.Module does not "
                        f"look into, so parameters() finds none of them: write `self.{attribute}"
                        " = nn.ModuleList([…])`"
                    )
    return None
