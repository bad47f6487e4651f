"""Assignments of a program: to names, unpacked tuples, items and attributes (`w.data`,
`w.grad`, `self.steps`), plain and augmented."""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from gradviz.lang import arithmetic
from gradviz.lang.attributes import get_attribute, set_item
from gradviz.lang.builtins import bounded_list
from gradviz.lang.custom_functions import is_ctx, set_ctx_attribute
from gradviz.lang.errors import ProgramError
from gradviz.lang.limits import Limits
from gradviz.lang.module_fields import set_parameter
from gradviz.lang.run_result import RunObserver
from gradviz.lang.user_code import ProgramObject, UserModule
from gradviz.lang.value_budget import spend_on

_UNSET = object()


def _set_data(tensor: torch.Tensor, value: torch.Tensor) -> None:
    tensor.data = value


def _set_grad(tensor: torch.Tensor, value: torch.Tensor | None) -> None:
    tensor.grad = value


# tensor attributes a program may assign (`requires_grad` apart): torch checks the new value
TENSOR_SETTABLE: dict[str, Callable[[torch.Tensor, Any], None]] = {
    "data": _set_data,
    "grad": _set_grad,
}


class Assignments:
    """Mixed into the interpreter: where an assigned value goes."""

    limits: Limits
    observer: RunObserver | None

    if TYPE_CHECKING:  # provided by the evaluator and the interpreter

        def eval(self, node: ast.expr) -> Any: ...
        def bind(self, name: str, value: Any, loop: bool = False) -> None: ...
        def located(self, node: ast.AST, action: Callable[[], Any], quote: bool = True) -> Any: ...
        def fail(self, node: ast.AST, message: str) -> ProgramError: ...
        def accumulated(self, node: ast.AugAssign) -> None: ...
        def binary(self, node: ast.AST, op: ast.operator, left: Any, right: Any) -> Any: ...

    def assign_to(self, target: ast.expr, value: Any, loop: bool = False) -> None:
        """`target = value`; `loop`: a for loop's target, bound to each item in turn."""
        if isinstance(target, ast.Name):
            self.bind(target.id, value, loop)
        elif isinstance(target, (ast.Tuple, ast.List)):
            items = self.located(target, lambda: bounded_list(value, self.limits, "unpacking"))
            names = target.elts
            star = next((i for i, sub in enumerate(names) if isinstance(sub, ast.Starred)), None)
            if star is not None:  # `first, *rest = xs`: the rest, as a list
                if len(items) < len(names) - 1:
                    raise self.fail(
                        target,
                        f"cannot unpack {len(items)} values into at least {len(names) - 1} names",
                    )
                after = len(items) - (len(names) - 1 - star)
                items = [*items[:star], spend_on(items[star:after]), *items[after:]]
                names = [*names[:star], names[star].value, *names[star + 1 :]]  # type: ignore[attr-defined]
            if len(items) != len(names):
                raise self.fail(
                    target, f"cannot unpack {len(items)} values into {len(names)} names"
                )
            for sub, item in zip(names, items, strict=True):
                self.assign_to(sub, item, loop)
        elif isinstance(target, ast.Subscript):
            owner = self.eval(target.value)
            index = self.eval(target.slice)
            self.located(target, lambda: set_item(owner, index, value))
        elif isinstance(target, ast.Attribute):
            self._set_attribute(target, value)
        else:
            raise self.fail(target, "cannot assign to this")

    def _set_attribute(self, target: ast.Attribute, value: Any, owner: Any = _UNSET) -> None:
        if owner is _UNSET:
            owner = self.eval(target.value)
        if isinstance(owner, (UserModule, ProgramObject)):
            self.located(target, lambda: owner.set_user_attribute(target.attr, value))
            if isinstance(owner, ProgramObject) and isinstance(value, torch.Tensor):
                if self.observer is not None:  # a plain class's `self.weight = ...` names it
                    self.observer.bound(target.attr, value, weak=True)  # (a module's: its path)
            return
        if is_ctx(owner):  # `ctx.alpha = alpha` in an autograd.Function's forward
            self.located(target, lambda: set_ctx_attribute(owner, target.attr, value))
            return
        if isinstance(owner, nn.Module) and target.attr in owner._parameters:
            self.located(target, lambda: set_parameter(owner, target.attr, value))
            return
        if not isinstance(owner, torch.Tensor):
            raise self.fail(target, f"cannot set `.{target.attr}` here")
        if target.attr == "requires_grad":
            self.located(target, lambda: _set_requires_grad(owner, value))
        elif target.attr in TENSOR_SETTABLE and (
            isinstance(value, torch.Tensor) or (value is None and target.attr == "grad")
        ):
            self.located(target, lambda: TENSOR_SETTABLE[target.attr](owner, value))
        else:
            kinds = "a tensor or None" if target.attr == "grad" else "a tensor"
            allowed = target.attr in TENSOR_SETTABLE
            reason = (
                f"`.{target.attr}` can only be set to {kinds}"
                if allowed
                else (f"setting `.{target.attr}` is not allowed")
            )
            raise self.fail(target, reason)

    def _augassign(self, node: ast.AugAssign) -> None:
        target = node.target
        if isinstance(target, ast.Name):
            current = self.eval(ast.Name(target.id, ast.Load(), **_where(target)))
            rhs = self.eval(node.value)
            result = self._inplace(node, current, rhs)
            if isinstance(result, torch.Tensor) and result.requires_grad:
                self.accumulated(node)  # (`total += loss`, only printed: graphs kept alive)
            self.bind(target.id, result)
        elif isinstance(target, ast.Subscript):
            owner = self.eval(target.value)
            index = self.eval(target.slice)
            current = self.located(target, lambda: owner[index])
            rhs = self.eval(node.value)
            result = self._inplace(node, current, rhs)
            self.located(target, lambda: set_item(owner, index, result))
        elif isinstance(target, ast.Attribute):  # `w.data -= lr * w.grad`, `self.steps += 1`
            owner = self.eval(target.value)
            current = self.located(target, lambda: get_attribute(owner, target.attr), quote=False)
            rhs = self.eval(node.value)
            result = self._inplace(node, current, rhs)
            if result is not current:  # an in-place op changed the tensor itself: nothing to set
                self._set_attribute(target, result, owner)
        else:
            raise self.fail(target, "augmented assignment works on names, items and attributes")

    def _inplace(self, node: ast.AugAssign, current: Any, rhs: Any) -> Any:
        kind = type(node.op)
        if kind not in arithmetic.INPLACE:
            return self.binary(node, node.op, current, rhs)

        def run() -> Any:
            arithmetic.check_binary(kind, current, rhs, self.limits)
            return arithmetic.INPLACE[kind](current, rhs)

        return self.located(node, run)


def _where(node: ast.AST) -> dict[str, int]:
    return {
        "lineno": getattr(node, "lineno", 1),
        "col_offset": getattr(node, "col_offset", 0),
        "end_lineno": getattr(node, "end_lineno", 1),
        "end_col_offset": getattr(node, "end_col_offset", 0),
    }


def _set_requires_grad(tensor: torch.Tensor, value: object) -> None:
    if not isinstance(value, bool):  # torch's own check and words
        raise RuntimeError("requires_grad must be a bool")
    tensor.requires_grad_(value)
