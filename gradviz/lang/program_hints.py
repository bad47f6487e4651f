"""What the evaluator's errors and remarks say with the program in hand: its lines, its names and
the interpreter's log (`x.grad` of a number that was an input, `w.grad` that is None)."""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from gradviz.lang.autograd_hints import none_grad_hint
from gradviz.lang.errors import ProgramError
from gradviz.lang.expressions import ExpressionEvaluator
from gradviz.lang.parser import Program, changed_number_text, changed_numbers
from gradviz.lang.program_warnings import WarningLog
from gradviz.lang.silent_slips import SilentSlips


class ProgramHints(ExpressionEvaluator):
    """The interpreter's side of the evaluator's hooks for hints and remarks."""

    program: Program
    warnings: WarningLog
    slips: SilentSlips  # (`total += loss` in the loop, a model evaluated in training mode)

    def remark(self, text: str) -> None:
        self.warnings.remark(text)

    def accumulated(self, node: ast.AugAssign) -> None:
        """`total += loss` made `total` hold a graph (remarked once, where it is only logged)."""
        said = self.slips.accumulated(node, self.source_of)
        if said is not None:
            self.remark(said)

    def invoke(self, node: ast.Call, callee: Any, args: list[Any], kwargs: dict[str, Any]) -> Any:
        if isinstance(callee, nn.Module) and callee.training and not torch.is_grad_enabled():
            said = self.slips.train_mode(callee, self.source_of(node.func))
            if said is not None:
                self.remark(said)  # (a model evaluated with dropout on)
        return super().invoke(node, callee, args, kwargs)

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
