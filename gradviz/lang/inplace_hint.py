"""autograd's "modified by an inplace operation" error, said with the program's own names: which
tensor autograd had saved, and the line that changed it in place since."""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from gradviz.lang.arithmetic import SYMBOLS

_SAVED = re.compile(
    r"\[torch\.\w+ \[([\d, ]*)\]\], which is output \d+ of (\w+), is at version (\d+)"
)


def _writes(tree: ast.AST, name: str) -> Iterator[tuple[ast.stmt | ast.expr, str]]:
    """The places that change `name` in place (`name += …`, `name[…] = …`, `name.add_(…)`),
    each with what to write instead."""
    for node in ast.walk(tree):
        if isinstance(node, ast.AugAssign) and _is(node.target, name):
            symbol = SYMBOLS.get(type(node.op), "+")
            yield node, f"`{name} = {name} {symbol} …` (a new tensor), not `{name} {symbol}= …`"
        elif isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Subscript) and _is(t.value, name) for t in node.targets
        ):
            yield node, f"`{name} = {name}.clone()` first, then change the copy's elements"
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr.endswith("_")
            and not node.func.attr.startswith("_")
            and _is(node.func.value, name)
        ):
            method = node.func.attr
            yield node, f"`{name} = {name}.{method[:-1]}(…)` (a new tensor), not `.{method}(…)`"


def _makers(tree: ast.AST, name: str, op: str) -> list[int]:
    """Lines whose statement may have made the saved value: `name.op_(…)`, or `name = …` with
    op outermost (`h = h.relu()`, `h = torch.relu(x)`, `h = x * 2` for mul)."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _is_method(node, name, f"{op}_"):
            lines.append(node.lineno)
        elif isinstance(node, ast.Assign) and any(_is(t, name) for t in node.targets):
            if _outer_op(node.value) == op:
                lines.append(node.lineno)
    return lines


def _outer_op(value: ast.expr) -> str | None:
    if isinstance(value, ast.Call):
        func = value.func
        return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    if isinstance(value, ast.BinOp):
        return _BINARY_OPS.get(type(value.op))
    return None


_BINARY_OPS: dict[type[ast.operator], str] = {
    ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.Pow: "pow",
    ast.MatMult: "mm",
}  # fmt: skip


def _culprit(
    writes: list[tuple[ast.stmt | ast.expr, str]], makers: list[int], in_place_op: str
) -> tuple[ast.stmt | ast.expr, str]:
    """The first write after a statement that made the saved value (`h.relu_()` makes what
    relu saves; `h += 1` below it is what broke it), else the first write."""
    after = [
        (node, instead)
        for node, instead in writes
        if not (isinstance(node, ast.Call) and getattr(node.func, "attr", "") == in_place_op)
        and any(m < node.lineno for m in makers)
    ]
    return after[0] if after else writes[0]


def _is_method(node: ast.Call, name: str, method: str) -> bool:
    func = node.func
    return isinstance(func, ast.Attribute) and func.attr == method and _is(func.value, name)


def _is(node: ast.AST, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


@dataclass(frozen=True)
class InplaceWrite:
    """What to tell the student of torch's in-place error, and the line that wrote (if found)."""

    text: str
    line: int | None = None
    name: str | None = None


def inplace_hint(
    message: str, env: Mapping[str, Any], tree: ast.Module, lines: list[str]
) -> InplaceWrite | None:
    """What to tell the student for torch's in-place error `message`, or None for others."""
    found = _SAVED.search(message)
    if "modified by an inplace operation" not in message or found is None:
        return None
    shape = tuple(int(s) for s in found.group(1).replace(" ", "").split(",") if s)
    op, version = found.group(2).removesuffix("Backward0").lower(), int(found.group(3))
    torch_words = message.split(":")[0]  # (its tensor, version and anomaly hint: said above)
    for name, value in env.items():
        if not isinstance(value, torch.Tensor) or tuple(value.shape) != shape:
            continue
        if value._version != version:
            continue
        writes = sorted(_writes(tree, name), key=lambda w: (w[0].lineno, w[0].col_offset))
        if writes:
            node, instead = _culprit(writes, _makers(tree, name, op), f"{op}_")
            code = " ".join((ast.get_source_segment("\n".join(lines), node) or "").split())
            text = (
                f"`{name}` (the output of {op}) was changed in place at line "
                f"{node.lineno} (`{code[:40]}`) after autograd saved it for backward, "
                f"so backward() cannot use it: write {instead} (torch: {torch_words})"
            )
            return InplaceWrite(text, node.lineno, name)
    stepped = _stepped_parameter(env, tree, lines, shape, version, torch_words)
    if stepped is not None:
        return stepped
    return InplaceWrite(
        f"a tensor autograd saved for backward (the output of {op}, shape {list(shape)}) was "
        "changed in place since (`+=`, `x[…] = …`, or a method ending in `_`), so backward() "
        "cannot use it: make a new tensor instead (`y = y + 1`, not `y += 1`), or change a "
        f"copy (`.clone()`) (torch: {torch_words})"
    )


def _stepped_parameter(
    env: Mapping[str, Any],
    tree: ast.Module,
    lines: list[str],
    shape: tuple[int, ...],
    version: int,
    torch_words: str,
) -> InplaceWrite | None:
    """A module's parameter (saved as itself or a view, `weight.t()`) that an optimizer's step()
    changed after the forward that saved it: a backward through an old graph. Named where one
    parameter fits best (its shape, else transposed, else its number of elements)."""
    found: dict[int, list[str]] = {}  # how well it fits (0 best) → parameters
    modules = [(n, v) for n, v in env.items() if isinstance(v, nn.Module)]
    for name, module in modules:
        for path, parameter in module.named_parameters():
            if parameter._version != version or parameter.numel() != math.prod(shape):
                continue
            fit = 0 if parameter.shape == shape else 1 if parameter.shape[::-1] == shape else 2
            found.setdefault(fit, []).append(f"{name}.{path}")
    if not found:
        return None
    best = found[min(found)]
    what = f"`{best[0]}`" if len(best) == 1 else f"a parameter of `{best[0].split('.')[0]}`"
    steps = sorted({n.lineno for n in ast.walk(tree) if isinstance(n, ast.Call) and _is_step(n)})
    line = steps[0] if len(steps) == 1 else None
    where = f" at line {line} (`{lines[line - 1].strip()[:40]}`)" if line else ""
    by = f" by the optimizer's step(){where}" if steps else ""  # (else a step written by hand)
    return InplaceWrite(
        f"{what} was changed in place{by} after the forward pass "
        "that saved it for backward, so this backward() cannot use it: compute the forward "
        "again after each step (zero_grad, forward, loss, backward, step) rather than calling "
        f"backward() through an old graph (torch: {torch_words})",
        line,
        best[0] if len(best) == 1 else None,
    )


def _is_step(node: ast.Call) -> bool:
    return isinstance(node.func, ast.Attribute) and node.func.attr == "step" and not node.args
