"""An eager-only stand-in for torch._dynamo in gradviz's own processes (the app and the CLI)."""

from __future__ import annotations

import contextlib
import importlib
import importlib.abc
import importlib.machinery
import sys
import threading
import types
from collections.abc import Callable
from typing import Any

# torch.optim imports torch._dynamo — 1 to 2 s, sympy and the compiler stack with it — the first
# time an optimizer is made, only to call graph_break() and disable(fn), which do nothing outside
# torch.compile. gradviz never compiles, so its processes answer those two calls here; anything
# else asked of torch._dynamo loads the real module (see EagerDynamo). Not installed when gradviz
# is imported as a library: a notebook's torch.compile gets the real module untouched.

NAME = "torch._dynamo"
_lock = threading.RLock()


class EagerDynamo(types.ModuleType):
    """graph_break and disable as they act outside torch.compile (no-ops); any other attribute
    replaces this stand-in with the real torch._dynamo and is read from that."""

    def __init__(self) -> None:
        super().__init__(NAME, "gradviz's eager-only stand-in for torch._dynamo")

    @staticmethod
    def graph_break(msg: str = "") -> None:
        """Outside torch.compile a graph break is nothing."""

    @staticmethod
    def disable(
        fn: Callable[..., Any] | None = None,
        recursive: bool = True,
        *,
        reason: str | None = None,
        wrapping: bool = True,
    ) -> Any:
        """Outside torch.compile a function with dynamo disabled is the function itself."""
        if fn is None:
            return lambda function: function
        return fn

    def __getattr__(self, name: str) -> Any:
        if name == "__path__":  # `import torch._dynamo.config`: the real package first
            return load_real().__path__
        if name.startswith("__"):  # inspect.getmodule asks every module for __file__: no load
            raise AttributeError(name)
        return getattr(load_real(), name)


class _LoadedAlready(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """`import torch._dynamo.config` that found the stand-in: its __path__ loaded the real
    package, whose own imports may have loaded that very submodule — which is then handed
    over as it is, not executed a second time (two copies of a config module would differ)."""

    def __init__(self) -> None:
        self.own_specs: dict[str, Any] = {}

    def find_spec(
        self, fullname: str, path: Any, target: types.ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if target is not None or not fullname.startswith(NAME + "."):
            return None  # (importlib.reload passes its module as target: a real reload)
        module = sys.modules.get(fullname)
        if module is None:
            return None
        self.own_specs[fullname] = getattr(module, "__spec__", None)
        return importlib.machinery.ModuleSpec(fullname, self)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        return sys.modules[spec.name]

    def exec_module(self, module: types.ModuleType) -> None:
        own = self.own_specs.pop(module.__name__, module.__spec__)
        # the import machinery set __spec__ to ours: its own back (torch's config modules
        # refuse the attribute, and so kept theirs)
        with contextlib.suppress(AttributeError):
            module.__spec__ = own


def install() -> bool:
    """Put the stand-in in sys.modules unless torch._dynamo is loaded already; True where the
    stand-in is now what `import torch._dynamo` gives."""
    with _lock:
        current = sys.modules.get(NAME)
        if current is None:
            sys.modules[NAME] = EagerDynamo()
            if not any(isinstance(f, _LoadedAlready) for f in sys.meta_path):
                sys.meta_path.insert(0, _LoadedAlready())
            return True
        return isinstance(current, EagerDynamo)


def load_real() -> types.ModuleType:
    """The real torch._dynamo, imported now if the stand-in was in its place."""
    with _lock:
        if isinstance(sys.modules.get(NAME), EagerDynamo):
            del sys.modules[NAME]
        return importlib.import_module(NAME)


def standing_in() -> bool:
    """Whether `import torch._dynamo` gives the stand-in (the real module was never needed)."""
    return isinstance(sys.modules.get(NAME), EagerDynamo)
