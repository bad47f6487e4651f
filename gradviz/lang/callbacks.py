"""A program's functions handed to torch (`model.apply(init)`, `LambdaLR(opt, f)`, an LBFGS
closure, a gradient hook): made callable by torch, their bodies run in the interpreter."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gradviz.lang.user_code import BoundUserMethod, Calls, UserFunction


@dataclass(frozen=True, eq=False)
class Callback:
    """A program's function handed to torch (`model.apply(init)`, `LambdaLR(opt, f)`, an
    LBFGS closure, a tensor's gradient hook): torch calls it, and its body runs in the
    interpreter, held weakly."""

    function: UserFunction | BoundUserMethod
    runner: Callable[[], Calls | None]

    def __repr__(self) -> str:
        return repr(self.function)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        runner = self.runner()
        if runner is None:
            raise RuntimeError(f"{self.function!r} belongs to a program that is no longer running")
        return runner.call_back(self.function, list(args), kwargs)


def as_callbacks(
    runner: Calls, args: list[Any], kwargs: dict[str, Any]
) -> tuple[list[Any], dict[str, Any]]:
    """The arguments of a call into torch, the program's functions among them made callable."""
    ref = weakref.ref(runner)

    def wrap(value: Any) -> Any:
        if isinstance(value, (UserFunction, BoundUserMethod)):
            return Callback(value, ref)
        return value

    return [wrap(a) for a in args], {k: wrap(v) for k, v in kwargs.items()}


def hands_over_functions(args: list[Any], kwargs: dict[str, Any]) -> bool:
    """Whether a call passes one of the program's functions (cheap: most calls do not)."""
    for value in (*args, *kwargs.values()) if kwargs else args:  # runs at every call
        if isinstance(value, (UserFunction, BoundUserMethod)):
            return True
    return False
