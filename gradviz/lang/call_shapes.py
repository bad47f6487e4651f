"""A call's shape error said with the program's names: a matrix product (`torch.matmul(a, b)`,
`a.mm(b)`), a linear layer given the wrong features, torch.cat's tensors that do not fit."""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Any

from torch import nn

from gradviz.lang.objects import BoundMethod
from gradviz.lang.shape_hints import (
    JOINS,
    PRODUCTS,
    joined_mismatch,
    linear_mismatch,
    product_mismatch,
)

Namer = Callable[[ast.AST | None, str], str]  # an operand's code where short, else a fallback


def call_shape_hint(
    node: ast.Call,
    callee: Any,
    args: list[Any],
    kwargs: dict[str, Any],
    message: str,
    name: Namer,
) -> str | None:
    """What to say for torch's shape error `message` from this call, or None."""
    if isinstance(callee, nn.Module):
        return linear_mismatch(callee, name(node.func, "the module"), message)
    qualname = getattr(callee, "qualname", None)
    if qualname in JOINS:
        return _join_hint(node, args, kwargs, name)
    if qualname not in PRODUCTS:
        return None
    if isinstance(callee, BoundMethod) and args:
        owner = node.func.value if isinstance(node.func, ast.Attribute) else None
        pair = (callee.owner, args[0], owner, node.args[0] if node.args else None)
    elif len(args) >= 2 and len(node.args) >= 2:
        pair = (args[0], args[1], node.args[0], node.args[1])
    else:
        return None
    left, right, left_node, right_node = pair
    return product_mismatch(
        left, right, name(left_node, "the first argument"), name(right_node, "the second argument")
    )


def _join_hint(node: ast.Call, args: list[Any], kwargs: dict[str, Any], name: Namer) -> str | None:
    """torch.cat's size mismatch: the tensors named as the call lists them (`[a, b]`), else by
    their place in the list."""
    tensors = args[0] if args else kwargs.get("tensors")
    if not isinstance(tensors, (list, tuple)):
        return None
    listed = node.args[0] if node.args else None
    elements = listed.elts if isinstance(listed, (ast.List, ast.Tuple)) else []
    names = [name(element, f"tensor {i}") for i, element in enumerate(elements)]
    if len(names) != len(tensors):  # (a list made elsewhere, or `*parts` inside it)
        names = [f"tensor {i}" for i in range(len(tensors))]
    dim = args[1] if len(args) > 1 else kwargs.get("dim", 0)
    return joined_mismatch(tensors, names, dim)
