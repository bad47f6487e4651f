"""What the evaluator's errors and remarks say with the program in hand: its lines, its names and
the interpreter's log (`x.grad` of a number that was an input, `w.grad` that is None)."""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Any

from gradviz.lang.autograd_hints import none_grad_hint
from gradviz.lang.errors import ProgramError
from gradviz.lang.expressions import ExpressionEvaluator
from gradviz.lang.parser import Program, changed_number_text, changed_numbers
from gradviz.lang.program_warnings import WarningLog


class ProgramHints(ExpressionEvaluator):
    """The interpreter's side of the evaluator's hooks for hints and remarks."""

    program: Program
    warnings: WarningLog

    def remark(self, text: str) -> None:
        self.warnings.remark(text)

    def number_attribute(self, owner: float, node: ast.Attribute) -> Any:
        try:
            return super().number_attribute(owner, node)
        except AttributeError:  # `x.grad` where `x = 2.0` was assigned again
            if owner is None and (said := none_grad_hint(node.value, self.env, None, self.lines)):
                raise ProgramError(said) from None  # `w.grad.zero_()` where w.grad is None
            name = node.value.id if isinstance(node.value, ast.Name) else None
            said = f"`{name}` holds a {type(owner).__name__} here, which has no `.{node.attr}`"
            changed = [c for c in changed_numbers(self.program.tree) if c[0] == name]
            if changed:
                raise ProgramError(f"{said}: {changed_number_text(*changed[0])}") from None
            made = _made_a_number(self.program.tree, name, self.source_of)
            if made is None:
                raise
            raise ProgramError(
                f"{said}: line {made[0]} (`{made[1]}`) made it a Python number, which autograd "
                "cannot follow. Keep the tensor, and take `.item()` only to print or log it"
            ) from None


def _made_a_number(
    tree: ast.Module, name: str | None, source_of: Callable[[ast.AST], str]
) -> tuple[int, str] | None:
    """The last `name = ….item()` (or `float(…)`, `int(…)`) in the program: line and code."""
    found = None
    for stmt in ast.walk(tree):
        if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1):
            continue
        target, value = stmt.targets[0], stmt.value
        if not (isinstance(target, ast.Name) and target.id == name):
            continue
        if isinstance(value, ast.Call) and (
            (isinstance(value.func, ast.Attribute) and value.func.attr == "item")
            or (isinstance(value.func, ast.Name) and value.func.id in ("float", "int"))
        ):
            if found is None or stmt.lineno > found[0]:
                found = (stmt.lineno, source_of(stmt))
    return found
