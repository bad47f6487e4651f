"""Names for graph nodes: what the program bound, module paths, then z1, z2, ... in order."""

from __future__ import annotations

import weakref

import torch
from torch import nn


class BoundNames:
    """Remembers the first name each tensor was bound to, and the modules by name."""

    def __init__(self) -> None:
        self._tensors: dict[int, tuple[list[str], weakref.ref[torch.Tensor]]] = {}
        self._modules: dict[str, nn.Module] = {}

    def bound(self, name: str, value: object) -> None:
        if isinstance(value, torch.Tensor):
            known = self._tensors.get(id(value))
            if known is None or known[1]() is not value:
                self._tensors[id(value)] = ([name], weakref.ref(value))
            elif name not in known[0]:
                known[0].append(name)
        elif isinstance(value, nn.Module):
            self._modules[name] = value

    def names_of(self, tensor: torch.Tensor | None) -> list[str]:
        """Every name the tensor was bound to, first binding first."""
        if tensor is None:
            return []
        known = self._tensors.get(id(tensor))
        if known is not None and known[1]() is tensor:
            return list(known[0])
        return []

    def name_of(self, tensor: torch.Tensor | None) -> str | None:
        names = self.names_of(tensor)
        return names[0] if names else None

    def param_paths(self) -> dict[int, str]:
        """id(parameter) → `model.0.weight` for every parameter of every bound module."""
        paths: dict[int, str] = {}
        for module_name, module in self._modules.items():
            for param_name, param in module.named_parameters():
                paths.setdefault(id(param), f"{module_name}.{param_name}")
        return paths

    def module_paths(self) -> dict[int, str]:
        """id(module) → `model.0` for every bound module and everything inside it."""
        paths: dict[int, str] = {}
        for module_name, module in self._modules.items():
            for sub_name, sub in module.named_modules(prefix=module_name):
                paths.setdefault(id(sub), sub_name)
        return paths


def auto_names(count: int, taken: set[str], prefix: str = "z") -> list[str]:
    """`count` fresh names z1, z2, ... skipping any the program already uses."""
    names: list[str] = []
    k = 1
    while len(names) < count:
        candidate = f"{prefix}{k}"
        if candidate not in taken:
            names.append(candidate)
        k += 1
    return names
