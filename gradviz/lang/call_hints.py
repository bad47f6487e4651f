"""What to say when torch refuses a call because an argument was left uncalled: a method
(`model.parameters` for `model.parameters()`) or a layer type (`nn.ReLU` for `nn.ReLU()`)."""

from __future__ import annotations

import ast
import inspect
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from gradviz.lang.objects import BoundMethod, Fn


def uncalled_hint(
    nodes: list[ast.expr], args: list[Any], message: str, source_of: Callable[[ast.AST], str]
) -> str | None:
    """The argument torch's TypeError `message` is about, where it is a method or a class
    given where a value was wanted, said with its code; None for any other TypeError."""
    for node, value in zip(nodes, args, strict=False):
        if isinstance(node, ast.Starred):
            return None  # the values no longer line up with the code
        text = source_of(node) or "an argument"
        if isinstance(value, BoundMethod) and "BoundMethod" in message:
            return f"`{text}` is a method, not its result: call it, `{text}()`"
        if isinstance(value, Fn) and "Fn" in message:
            if isinstance(value.impl, type):
                return f"`{text}` is a layer type, not a layer: make one, `{text}{_call(value)}`"
            return f"`{text}` is a function, not its result: call it, `{text}(...)`"
    return None


def _call(kind: Fn) -> str:
    """`()` for a type made without arguments (nn.ReLU), else `(...)` (nn.Linear)."""
    assert isinstance(kind.impl, type)
    return "(...)" if _required(kind.impl) else "()"


def layer_called_with_tensors(callee: Any, nodes: list[ast.expr], args: list[Any],
                              source_of: Callable[[ast.AST], str]) -> str | None:  # fmt: skip
    """`nn.MSELoss(pred, y)`, `nn.Linear(x, 2)`: tensors given to a module's constructor
    (torch then says something about a tensor's boolean value). Say to make the module with
    its settings, then call it with the tensors."""
    kind = callee.impl if isinstance(callee, Fn) else None
    if not (isinstance(kind, type) and issubclass(kind, nn.Module)):
        return None
    tensors = [
        source_of(node) for node, value in zip(nodes, args, strict=False)
        if isinstance(value, torch.Tensor)
    ]  # fmt: skip
    if not tensors:
        return None
    made = f"{callee.qualname}({', '.join(_required(kind))})"
    given = ", ".join(tensors)
    return (
        f"`{callee.qualname}(...)` makes the module from its settings, and the module takes "
        f"the tensors: `{made}({given})`, or `fn = {made}` then `fn({given})`"
    )


def _required(kind: type) -> list[str]:
    """The names of a constructor's required positional parameters (in_features, ...)."""
    try:
        parameters = inspect.signature(kind).parameters.values()
    except (TypeError, ValueError):
        return ["..."]
    return [
        p.name for p in parameters
        if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]  # fmt: skip
