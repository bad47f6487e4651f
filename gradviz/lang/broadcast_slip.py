"""The silent broadcasting slip of regression code: `pred - y` with predictions of shape (N, 1)
and targets of shape (N,) makes an N × N tensor (every prediction against every target), and
the loss is wrong without an error. torch warns only inside F.mse_loss; written out, nothing
does."""

from __future__ import annotations

import ast
from collections.abc import Callable

import torch

# what makes a new axis on purpose (`x[:, None] - x` is a table of differences)
_AXIS_MAKERS = {"unsqueeze", "view", "reshape", "expand", "expand_as", "view_as", "T", "mT"}


def _makes_axis(expr: ast.AST) -> bool:
    for node in ast.walk(expr):
        if isinstance(node, ast.Attribute) and node.attr in _AXIS_MAKERS:
            return True
        if isinstance(node, ast.Constant) and node.value is None:
            return True  # `x[:, None]`
    return False


def outer_broadcast(
    node: ast.AST, left: object, right: object, source_of: Callable[[ast.AST], str]
) -> str | None:
    """What to say of `left ± right` (`node`) if it pairs (N, 1) with (N,), else None."""
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Sub, ast.Add))):
        return None
    if not (isinstance(left, torch.Tensor) and isinstance(right, torch.Tensor)):
        return None
    shapes = (tuple(left.shape), tuple(right.shape))
    if sorted(len(s) for s in shapes) != [1, 2]:
        return None
    column, row = shapes if len(shapes[0]) == 2 else shapes[::-1]
    if column[1] != 1 or column[0] != row[0] or row[0] < 2:
        return None
    if _makes_axis(node.left) or _makes_axis(node.right):
        return None
    n = row[0]
    one, other = (node.left, node.right) if len(shapes[0]) == 2 else (node.right, node.left)
    pair = f"({n}, 1) and ({n},)" if len(shapes[0]) == 2 else f"({n},) and ({n}, 1)"
    return (
        f"`{source_of(node)}` broadcast shapes {pair} to ({n}, {n}): every one of "
        f"`{source_of(one)}` against every one of `{source_of(other)}`, not one against each. "
        f"If they go in pairs, make the shapes match: `{source_of(other)}.view(-1, 1)`, or "
        f"`{source_of(one)}.squeeze(1)`"
    )
