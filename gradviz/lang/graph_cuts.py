"""Where a program cut its loss off from the graph (`.detach()`, `.item()`, `torch.tensor(...)`
of computed values, `.data`, a `with torch.no_grad():` block, torch.autograd.grad without
create_graph), found in its syntax by following the assignments the loss was computed from: the
cause of "does not require grad"."""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from gradviz.lang.grad_blocks import statements

# method → why it cuts, and what to write instead
_METHODS = {
    "detach": (
        "`.detach()` returns the same values without their history",
        "drop the `.detach()` (detach only what you print or plot)",
    ),
    "item": (
        "`.item()` makes a Python number, which autograd cannot follow",
        "keep the tensor, and take `.item()` only to print or log it",
    ),
    "tolist": (
        "`.tolist()` makes Python numbers, which autograd cannot follow",
        "keep the tensor, and take `.tolist()` only to print it",
    ),
    "numpy": ("`.numpy()` leaves torch", "keep the tensor"),
}
_COPY = (
    "`torch.tensor(…)` of computed values copies them into a new tensor with no history",
    "use the tensor itself (`torch.stack([...])` combines several)",
)
_NUMBER = (
    "`float(…)` (or `int(…)`) makes a Python number, which autograd cannot follow",
    "keep the tensor, and convert only to print or log it",
)
_DATA = ("`.data` is the values without their history", "use the tensor itself")
_GRAD = (
    "torch.autograd.grad without create_graph=True returns gradients with no graph of their own",
    "pass create_graph=True to the torch.autograd.grad that made it",
)
_NO_GRAD = (
    "it runs inside `with torch.no_grad():`, which records nothing for backward",
    "compute the loss outside that block",
)


@dataclass(frozen=True)
class GraphCut:
    line: int
    code: str  # the statement, as written
    why: str
    instead: str

    def text(self, name: str) -> str:
        return (
            f"`{name}` does not require grad because line {self.line} (`{self.code[:48]}`) cut "
            f"it off from the graph: {self.why}. To differentiate through it, {self.instead}"
        )


@dataclass(frozen=True)
class _Assignment:
    line: int
    stmt: ast.stmt
    value: ast.expr
    under_no_grad: bool


def graph_cut(
    tree: ast.Module, lines: list[str], name: str, before: int, env: Mapping[str, Any]
) -> GraphCut | None:
    """The first cut in the chain of assignments `name` was computed from (each name's latest
    assignment above line `before`) whose value reads something that requires grad (`model`,
    `w`), or None where the syntax shows none: the cut is the cause then, not a forgotten
    requires_grad."""
    assignments = _assignments(tree)
    source = "\n".join(lines)
    seen: set[str] = set()
    todo = [(name, before)]
    while todo and len(seen) < 64:
        current, line = todo.pop(0)
        if current in seen:
            continue
        seen.add(current)
        made = [a for a in assignments.get(current, []) if a.line < line]
        if not made:
            continue
        last = made[-1]
        found = _cut(last)
        if found is not None and _reads_grad(last.value, env):
            code = " ".join((ast.get_source_segment(source, last.stmt) or "").split())
            return GraphCut(last.line, code, *found)
        reads = [n.id for n in ast.walk(last.value) if isinstance(n, ast.Name)]
        todo.extend((read, last.line) for read in reads if read not in seen)
    return None


def _cut(assignment: _Assignment) -> tuple[str, str] | None:
    if assignment.under_no_grad:
        return _NO_GRAD
    for node in ast.walk(assignment.value):
        if isinstance(node, ast.Attribute) and node.attr == "data":
            return _DATA
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in _METHODS and not node.args:
            return _METHODS[func.attr]
        if isinstance(func, ast.Name) and func.id in ("float", "int") and node.args:
            return _NUMBER
        if _is_torch_tensor(func) and node.args and _computed(node.args[0]):
            return _COPY
        if _is_autograd_grad(func) and not _keyword_true(node, "create_graph"):
            return _GRAD
    return None


def _reads_grad(value: ast.expr, env: Mapping[str, Any]) -> bool:
    """Whether the expression reads a tensor that requires grad, or a module with one."""
    for node in ast.walk(value):
        if not isinstance(node, ast.Name):
            continue
        held = env.get(node.id)
        if isinstance(held, torch.Tensor) and held.requires_grad:
            return True
        if isinstance(held, nn.Module) and any(p.requires_grad for p in held.parameters()):
            return True
    return False


def _is_torch_tensor(func: ast.expr) -> bool:
    return (
        isinstance(func, ast.Attribute)
        and func.attr in ("tensor", "as_tensor")
        and isinstance(func.value, ast.Name)
        and func.value.id == "torch"
    )


def _is_autograd_grad(func: ast.expr) -> bool:
    return (
        isinstance(func, ast.Attribute)
        and func.attr == "grad"
        and isinstance(func.value, ast.Attribute)
        and func.value.attr == "autograd"
    )


def _keyword_true(call: ast.Call, name: str) -> bool:
    return any(
        k.arg == name and not (isinstance(k.value, ast.Constant) and not k.value.value)
        for k in call.keywords
    )


def _computed(arg: ast.expr) -> bool:
    """Not a literal (`[1.0, 2.0]`): something the program computed, a tensor or its values."""
    return any(isinstance(n, (ast.Name, ast.Call)) for n in ast.walk(arg))


def _assignments(tree: ast.Module) -> dict[str, list[_Assignment]]:
    """Each name's assignments (`x = …`, `x += …`) at the program's top level and in its loops
    and blocks (not in a function's body), in line order, with whether they run under
    `with torch.no_grad():`."""
    found: dict[str, list[_Assignment]] = {}
    for stmt, under in statements(tree, into_functions=False):  # (theirs are not the program's)
        targets: list[ast.expr] = []
        value: ast.expr | None = None
        if isinstance(stmt, ast.Assign):
            targets, value = stmt.targets, stmt.value
        elif isinstance(stmt, (ast.AugAssign, ast.AnnAssign)) and stmt.value is not None:
            targets, value = [stmt.target], stmt.value
        if value is None:
            continue
        names = [n for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]
        for target in names:  # (`(g,) = torch.autograd.grad(y, x)` too)
            found.setdefault(target.id, []).append(_Assignment(stmt.lineno, stmt, value, under))
    for items in found.values():
        items.sort(key=lambda a: a.line)
    return found
