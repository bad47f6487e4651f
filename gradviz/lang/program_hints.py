"""What the evaluator's errors and remarks say with the program in hand: its lines, its names and
the interpreter's log (`x.grad` of a number that was an input, `w.grad` that is None)."""

from __future__ import annotations

import ast
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
            changed = [c for c in changed_numbers(self.program.tree) if c[0] == name]
            if not changed:
                raise
            said = f"`{name}` holds a {type(owner).__name__} here, which has no `.{node.attr}`"
            raise ProgramError(f"{said}: {changed_number_text(*changed[0])}") from None
