"""A gradient step that rebinds its tensor (`w = w - lr * w.grad`) instead of updating it in
place: the new `w` is computed, not the leaf the gradients were for (or, under no_grad, does not
require grad at all). Found in the program's syntax, for the errors that follow from it."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from gradviz.lang.grad_blocks import statements


@dataclass(frozen=True)
class Rebinding:
    name: str  # `w`
    line: int
    code: str  # `w = w - 0.1 * w.grad`, as written
    under_no_grad: bool  # inside `with torch.no_grad():`

    def in_place(self) -> str:
        """The same step written in place: `w -= 0.1 * w.grad` (`w.copy_(…)` for other forms)."""
        _, _, right = self.code.partition("=")
        step = re.match(rf"\s*{re.escape(self.name)}\s*([-+])\s*(.+)$", right)
        if step is None:
            return f"{self.name}.copy_(…)"
        return f"{self.name} {step.group(1)}= {step.group(2).strip()}"


def _reads_own_grad(value: ast.expr, name: str) -> bool:
    return any(
        isinstance(n, ast.Attribute)
        and n.attr == "grad"
        and isinstance(n.value, ast.Name)
        and n.value.id == name
        for n in ast.walk(value)
    )


def rebindings(tree: ast.Module, lines: list[str]) -> list[Rebinding]:
    """Every `w = … w.grad …` in the program, with whether it runs under no_grad."""
    found: list[Rebinding] = []
    source = "\n".join(lines)
    for stmt, under in statements(tree, into_functions=True):
        if (
            isinstance(stmt, ast.Assign)
            and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name)
            and _reads_own_grad(stmt.value, stmt.targets[0].id)
        ):
            code = " ".join((ast.get_source_segment(source, stmt) or "").split())
            found.append(Rebinding(stmt.targets[0].id, stmt.lineno, code, under))
    return found
