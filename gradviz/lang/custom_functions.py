"""`class P3(torch.autograd.Function)` of a program: a real autograd Function whose static
`forward(ctx, ...)` and `backward(ctx, ...)` run in the interpreter, its `ctx` reduced to what
the PyTorch tutorials use (save_for_backward, saved_tensors, needs_input_grad, values set on it)."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import torch
from torch.autograd.function import BackwardCFunction

from gradviz.lang.guard import AllocationGuard
from gradviz.lang.objects import BoundMethod
from gradviz.lang.user_code import MISSING, Calls, UserFunction

FUNCTION_BASES = ("torch.autograd.Function", "autograd.Function", "Function")
FUNCTION_METHODS = ("forward", "backward")

# what `ctx` offers the program besides the values it sets on it
CTX_METHODS: dict[str, Callable[..., Any]] = {
    "save_for_backward": lambda ctx, *tensors: ctx.save_for_backward(*tensors),
    "mark_non_differentiable": lambda ctx, *tensors: ctx.mark_non_differentiable(*tensors),
}
CTX_PROPERTIES = ("saved_tensors", "needs_input_grad")
_VALUES = "gradviz_program_values"  # the dict on a ctx that holds what the program set on it


@dataclass(frozen=True, eq=False)
class ProgramFunction:
    """A `class Name(torch.autograd.Function)` of the program: `Name.apply(...)` runs it."""

    name: str
    cls: type[torch.autograd.Function]
    values: dict[str, Any]  # class attributes

    def __repr__(self) -> str:
        return f"<autograd.Function {self.name}>"


@dataclass(frozen=True, eq=False)
class FunctionApply:
    """`Name.apply`: calling it runs the Function (the interpreter marks its outputs as made by
    the program's own code, not by the last aten op its forward ran)."""

    function: ProgramFunction

    def __repr__(self) -> str:
        return f"<{self.function.name}.apply>"

    def __call__(self, *args: Any) -> Any:
        return self.function.cls.apply(*args)


class Runner(Calls, Protocol):
    """The interpreter, as a Function's methods need it: calls, and the allocation guard."""

    guard: AllocationGuard


def define_autograd_function(
    name: str, methods: dict[str, UserFunction], runner: Runner, values: dict[str, Any]
) -> ProgramFunction:
    """A torch.autograd.Function subclass named `name` (its graph node: `{name}Backward`).
    Its backward runs during a backward pass, which gradviz runs unchecked: the program's
    code there is checked again, as everywhere else."""
    ref = weakref.ref(runner)

    def run(method: UserFunction, args: tuple[Any, ...]) -> Any:
        calls = ref()
        if calls is None:
            raise RuntimeError(f"{name} was defined by a program that is no longer running")
        with calls.guard.resumed():
            return calls.call_function(method, list(args), {})

    forward, backward = methods["forward"], methods["backward"]
    namespace: dict[str, object] = {
        "forward": staticmethod(lambda ctx, *args: run(forward, (ctx, *args))),
        "backward": staticmethod(lambda ctx, *grads: run(backward, (ctx, *grads))),
        "__module__": "program",
        "__qualname__": name,
        "backward_line": backward.node.lineno,  # where the graph's explanation points
    }
    cls = type(name, (torch.autograd.Function,), namespace)
    return ProgramFunction(name, cls, dict(values))


def is_ctx(value: object) -> bool:
    return isinstance(value, BackwardCFunction)


def ctx_attribute(ctx: Any, name: str) -> object:
    """`ctx.name` in a Function's forward or backward."""
    if name in CTX_METHODS:
        return BoundMethod(f"ctx.{name}", CTX_METHODS[name], ctx)
    if name in CTX_PROPERTIES:
        return getattr(ctx, name) if name == "needs_input_grad" else ctx.saved_tensors
    found = getattr(ctx, _VALUES, {}).get(name, MISSING)
    if found is MISSING:
        raise AttributeError(f"ctx has no `.{name}`: set it in forward first (`ctx.{name} = ...`)")
    return found


def set_ctx_attribute(ctx: Any, name: str, value: object) -> None:
    """`ctx.name = value` in forward: kept for backward."""
    if name in CTX_METHODS or name in CTX_PROPERTIES:
        raise AttributeError(f"`ctx.{name}` is ctx's own; choose another name")
    values = getattr(ctx, _VALUES, None)
    if values is None:
        values = {}
        setattr(ctx, _VALUES, values)
    values[name] = value


def function_attribute(function: ProgramFunction, name: str) -> object:
    """`Name.apply` or one of its class attributes."""
    if name == "apply":
        return FunctionApply(function)
    if name in function.values:
        return function.values[name]
    raise AttributeError(
        f"`{function.name}.{name}`: an autograd.Function is used as `{function.name}.apply(x)`"
    )
