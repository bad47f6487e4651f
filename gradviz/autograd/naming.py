"""Names for graph nodes: what the program bound, module paths, then z1, z2, ... in order."""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field

import torch
from torch import nn

from gradviz.lang.user_code import ProgramObject

MAX_VISITED = 10_000  # lists, objects and tensors looked at to name the program's objects


@dataclass
class _Names:
    """The names one tensor was bound to, first binding first; the weak ones apart (only ever
    a loop's variable, `for p in model.parameters()`, or an attribute, `self.out = ...`)."""

    ref: weakref.ref[torch.Tensor]
    names: list[str] = field(default_factory=list)
    weak: set[str] = field(default_factory=set)


class BoundNames:
    """Remembers the names each tensor was bound to, and the modules by name."""

    def __init__(self) -> None:
        self._tensors: dict[int, _Names] = {}
        self._modules: dict[str, nn.Module] = {}
        self._holders: dict[str, object] = {}  # top-level objects and lists of the program's
        self.holders_bound = 0  # how many times a top-level name was bound to one of them

    def bound(self, name: str, value: object, weak: bool = False) -> None:
        """`name` = value; `weak`: as a for loop's variable (which names each item in turn) or
        an object's attribute (`self.out`, the same name in every object of a class)."""
        if isinstance(value, torch.Tensor):
            known = self._tensors.get(id(value))
            if known is None or known.ref() is not value:
                known = self._tensors[id(value)] = _Names(weakref.ref(value))
            if name not in known.names:  # (`p -= lr * p.grad` binds `p` to `p` again)
                known.names.append(name)
                if weak:
                    known.weak.add(name)
        elif isinstance(value, nn.Module):
            self._modules[name] = value
        elif isinstance(value, (ProgramObject, list, tuple)) and not weak:
            self._holders[name] = value
            self.holders_bound += 1

    def names_of(self, tensor: torch.Tensor | None, assigned: bool = False) -> list[str]:
        """Every name the tensor was bound to, first binding first; with `assigned`, only
        those an assignment bound (none of the weak ones)."""
        if tensor is None:
            return []
        known = self._tensors.get(id(tensor))
        if known is None or known.ref() is not tensor:
            return []
        return [n for n in known.names if not (assigned and n in known.weak)]

    def name_of(self, tensor: torch.Tensor | None, assigned: bool = False) -> str | None:
        names = self.names_of(tensor, assigned)
        return names[0] if names else None

    def param_paths(self) -> dict[int, str]:
        """id(parameter) → `model.0.weight` for every parameter of every bound module."""
        paths: dict[int, str] = {}
        for module_name, module in self._modules.items():
            for param_name, param in module.named_parameters():
                paths.setdefault(id(param), f"{module_name}.{param_name}")
        return paths

    def buffer_paths(self) -> dict[int, str]:
        """id(buffer) → `model.1.running_mean` for every buffer of every bound module (what
        a module keeps that is no parameter: batch norm's running statistics)."""
        paths: dict[int, str] = {}
        for module_name, module in self._modules.items():
            for buffer_name, buffer in module.named_buffers():
                paths.setdefault(id(buffer), f"{module_name}.{buffer_name}")
        return paths

    def object_paths(self) -> dict[int, tuple[str, torch.Tensor]]:
        """id(tensor) → (`layers[0].weight`, tensor) for the tensors kept as attributes of
        the program's own objects (plain classes, as Karpathy's `Linear` keeps `self.weight`
        and `self.out`), reached from its top-level names through lists and attributes."""
        return {id(v): (path, v) for path, v in self._held() if isinstance(v, torch.Tensor)}

    def holder_paths(self) -> dict[int, str]:
        """id(object) → `model.layers[3]` for each object of the program's own classes that
        its top-level names reach."""
        return {id(v): path for path, v in self._held() if isinstance(v, ProgramObject)}

    def _held(self) -> list[tuple[str, object]]:
        """(path, value) for the program's objects reached from its top-level names (through
        lists and attributes, first path first), and the tensors kept on them."""
        found: list[tuple[str, object]] = []
        seen: set[int] = set()  # each list and object once (a list may hold itself, or one
        # list a thousand times over), and no more than MAX_VISITED of them in all

        def walk(value: object, path: str, depth: int) -> None:
            if depth > 4 or id(value) in seen or len(seen) >= MAX_VISITED:
                return
            if isinstance(value, (list, tuple)):
                seen.add(id(value))
            if isinstance(value, ProgramObject):
                seen.add(id(value))
                found.append((path, value))
                for attribute, item in vars(value).items():
                    if isinstance(item, torch.Tensor) and id(item) not in seen:
                        seen.add(id(item))
                        found.append((f"{path}.{attribute}", item))
                    elif not attribute.startswith("_"):
                        walk(item, f"{path}.{attribute}", depth + 1)
            elif isinstance(value, (list, tuple)) and len(value) <= 1000:
                for index, item in enumerate(value):
                    if isinstance(item, (list, tuple, ProgramObject)):
                        walk(item, f"{path}[{index}]", depth + 1)

        for name, value in self._holders.items():
            walk(value, name, 0)
        return found

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
