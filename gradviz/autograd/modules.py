"""Which torch.nn module each op ran inside (`model.0`, by module path), from module forward
hooks installed for the length of one traced run and only heeding the tracing thread."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

from torch import nn

from gradviz.autograd.naming import BoundNames
from gradviz.lang.user_code import UserModule


def module_title(module: nn.Module) -> str:
    """`Linear(4 → 16)`, `ReLU`, `Dropout(p=0.1)`: what a cluster of the graph is."""
    kind = type(module).__name__
    if isinstance(module, nn.Linear):
        return f"{kind}({module.in_features} → {module.out_features})"
    if isinstance(module, nn.Dropout):
        return f"{kind}(p={module.p:g})"
    return kind


class ModuleScopes:
    """A stack of the module paths whose forward is running, on the tracing thread (and of the
    paths of the program's own objects whose `__call__` is)."""

    def __init__(self, names: BoundNames) -> None:
        self.names = names
        self.stack: list[str] = []
        self.titles: dict[str, str] = {}  # path → module_title, for each module that ran
        self._paths: dict[int, str] = {}
        self._holders: dict[int, str] = {}  # the program's objects: id → `layers[0]`
        self._missed: set[int] = set()  # objects looked for in vain since ...
        self._looked = -1  # ... BoundNames.holders_bound was this
        self._thread = threading.get_ident()

    @property
    def current(self) -> str | None:
        return self.stack[-1] if self.stack else None

    def _path(self, module: nn.Module) -> str | None:
        path = self._paths.get(id(module))
        if path is None:  # modules are bound as the program runs: look again
            self._paths = self.names.module_paths()
            path = self._paths.get(id(module))
        return path

    def _enter(self, module: nn.Module, args: Any) -> None:
        if threading.get_ident() != self._thread:
            return  # another thread (a training worker) running its own modules
        path = self._path(module)
        self.stack.append(path or "")
        # a box for each layer, and for each module of a class the program defined (which
        # holds the boxes of its own layers); not for containers (Sequential, ModuleList)
        if path and (isinstance(module, UserModule) or not list(module.children())):
            self.titles.setdefault(path, module_title(module))

    def enter_object(self, owner: object | None) -> None:
        """The call of an object of one of the program's plain classes (Karpathy's `Linear`):
        a box like a module's, named by where the program keeps it (`layers[0]`)."""
        path = self._holders.get(id(owner)) if owner is not None else None
        if owner is not None and path is None and self._look_again(owner):
            self._holders = self.names.holder_paths()  # objects are bound as the program runs
            path = self._holders.get(id(owner))
            if path is None:
                self._missed.add(id(owner))
        self.stack.append(path or "")
        if path:
            self.titles.setdefault(path, type(owner).__name__)

    def _look_again(self, owner: object) -> bool:
        """Whether to look for `owner` among the program's objects again: not once it was
        not found, until a top-level name is bound to another list or object (an object made
        afresh in each call of a function is nowhere to be found, at every call)."""
        if self._looked != self.names.holders_bound:
            self._looked = self.names.holders_bound
            self._missed.clear()
        return id(owner) not in self._missed

    def leave_object(self) -> None:
        if self.stack:
            self.stack.pop()

    def _leave(self, module: nn.Module, args: Any, output: Any) -> None:
        if threading.get_ident() == self._thread and self.stack:
            self.stack.pop()

    @contextlib.contextmanager
    def installed(self) -> Iterator[ModuleScopes]:
        self._thread = threading.get_ident()
        pre = nn.modules.module.register_module_forward_pre_hook(self._enter)
        post = nn.modules.module.register_module_forward_hook(self._leave, always_call=True)
        try:
            yield self
        finally:
            pre.remove()
            post.remove()
            self.stack.clear()
