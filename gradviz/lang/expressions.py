"""Evaluating expressions: every operator, call, attribute and index goes through a whitelist."""

from __future__ import annotations

import ast
from collections.abc import Callable, MutableMapping
from functools import partial
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from gradviz.lang import arithmetic
from gradviz.lang.attributes import get_attribute
from gradviz.lang.autograd_hints import autograd_hint, none_grad_hint
from gradviz.lang.broadcast_slip import outer_broadcast
from gradviz.lang.builtins import bounded_list
from gradviz.lang.call_hints import layer_called_with_tensors, uncalled_hint
from gradviz.lang.call_shapes import call_shape_hint
from gradviz.lang.error_words import clean_message, error_subject
from gradviz.lang.errors import ProgramError, error_at
from gradviz.lang.formatting import format_value
from gradviz.lang.limits import Limits
from gradviz.lang.module_lists import EMPTY_OPTIMIZER, listed_layers_hint
from gradviz.lang.objects import (
    BoundMethod,
    Fn,
    Namespace,
    ProgramDict,
    check_dict_key,
    merge_keywords,
    plain_set,
)
from gradviz.lang.result_pairs import check_comparable, is_result_pair
from gradviz.lang.shape_hints import broadcast_mismatch, product_mismatch
from gradviz.lang.type_of import ClassOf, type_of
from gradviz.lang.user_code import NestedRef
from gradviz.lang.value_budget import spend_on

_PLAIN = (int, float, type(None))
# the names the lecture's training-loop slide uses and makes nowhere (pasted alone, it fails)
LECTURE_LOOP_NAMES = {"training_loader", "model", "loss_fn", "optimizer", "print_every"}


_IDENTITY = (ast.Is, ast.IsNot, ast.In, ast.NotIn)  # comparisons that read no tensor's values


def _holds_list(index: object) -> bool:
    """A tensor's index with a list in it (`x[[0, 2]]`, `x[:, [1, 3]]`), not `x[:, 0]`."""
    return isinstance(index, list) or (
        isinstance(index, tuple) and any(isinstance(item, list) for item in index)
    )


class ExpressionEvaluator:
    """Evaluates expression nodes against `self.env`; subclasses add statements."""

    def __init__(self, lines: list[str], limits: Limits) -> None:
        self.lines = lines
        self.limits = limits
        self.env: MutableMapping[str, Any] = {}  # a function call: its names, then these
        self.steps = 0
        self.line: int | None = None  # of the statement or expression evaluated last

    if TYPE_CHECKING:  # provided by the interpreter (AutogradCalls)

        def data_view(self, tensor: torch.Tensor, view: torch.Tensor) -> None: ...

    # -- plumbing -------------------------------------------------------------------------------
    def fail(self, node: ast.AST, message: str) -> ProgramError:
        return error_at(node, message, self.lines)

    def source_of(self, node: ast.AST) -> str:
        text = ast.get_source_segment("\n".join(self.lines), node) or ""
        text = " ".join(text.split())
        return text if len(text) <= 40 else text[:37] + "..."

    def check_data(self, data: object) -> None:
        """Refuse nested lists too big to become a tensor (an evaluator with a guard does)."""

    def step(self, node: ast.AST) -> None:
        self.line = getattr(node, "lineno", self.line)
        self.steps += 1
        if self.steps > self.limits.max_steps:
            raise self.fail(
                node, f"the program ran more than {self.limits.max_steps:,} steps; stopped"
            )

    def located(self, node: ast.AST, action: Callable[[], Any], quote: bool = True) -> Any:
        """Run `action`, turning any error into a ProgramError at `node` that quotes the code."""
        related: list[tuple[int | None, str]] = []
        try:
            return action()
        except ProgramError as exc:
            if exc.line is not None:
                raise
            message, related = exc.message, exc.related
        except Exception as exc:
            subject = error_subject(node, self.source_of)
            message = autograd_hint(clean_message(exc), subject) or clean_message(exc)
            if EMPTY_OPTIMIZER in message and (said := listed_layers_hint(self.env.values())):
                message = f"{said} (torch: {message})"
        if quote:
            message = f"in `{self.source_of(node)}`: {message}"
        raise self.fail(node, message).with_related(related) from None

    def eval(self, node: ast.expr) -> Any:
        self.step(node)
        handler = _HANDLERS.get(type(node))
        if handler is None:
            raise self.fail(node, f"`{type(node).__name__}` is not supported here")
        return handler(self, node)

    # -- leaves ---------------------------------------------------------------------------------
    def _constant(self, node: ast.Constant) -> Any:
        return node.value

    def _name(self, node: ast.Name) -> Any:
        if node.id in self.env:
            value = self.env[node.id]
            return value() if type(value) is NestedRef else value
        builtin = self.builtin(node.id)
        if builtin is not None:
            return builtin
        import difflib

        close = difflib.get_close_matches(node.id, [*self.env, *self.builtin_names()], n=1)
        hint = f" (did you mean `{close[0]}`?)" if close else ""
        if not close and node.id in LECTURE_LOOP_NAMES:
            hint = (
                ": the lecture's training loop uses it without making it (Examples → \"The "
                "lecture's training loop on a tiny regression problem\" makes the data, model, "
                "loss and optimizer first)"
            )
        raise self.fail(node, f"name `{node.id}` is not defined{hint}")

    def builtin(self, name: str) -> Any:  # overridden by the interpreter
        return None

    def builtin_names(self) -> list[str]:
        return []

    # -- operators ------------------------------------------------------------------------------
    def binary(self, node: ast.AST, op: ast.operator, left: Any, right: Any) -> Any:
        kind = type(op)

        def run() -> Any:
            arithmetic.check_binary(kind, left, right, self.limits)
            try:
                return spend_on(arithmetic.check_result(arithmetic.BINARY[kind](left, right)))
            except RuntimeError:
                names = (getattr(node, "left", None), getattr(node, "right", None))
                explain = product_mismatch if kind is ast.MatMult else broadcast_mismatch
                hint = explain(
                    left,
                    right,
                    self.operand_name(names[0], "the left operand"),
                    self.operand_name(names[1], "the right operand"),
                )
                if hint:
                    raise ValueError(hint) from None
                raise
            except TypeError:  # `lr * w.grad` where w.grad is None: why it is
                for part, value in (("left", left), ("right", right)):
                    said = none_grad_hint(getattr(node, part, None), self.env, value, self.lines)
                    if said:
                        raise ProgramError(said) from None  # (gradviz's words: not cut short)
                raise

        result = self.located(node, run)
        if (
            (kind is ast.Sub or kind is ast.Add)
            and type(result) is torch.Tensor
            and result.ndim == 2
        ):
            said = outer_broadcast(node, left, right, self.source_of)  # `pred - y`: (N, 1), (N,)
            if said:
                self.remark(said)
        return result

    def remark(self, text: str) -> None:
        """gradviz's own remark on the running line (the interpreter notes it)."""

    def operand_name(self, node: ast.AST | None, fallback: str = "the operand") -> str:
        """How a message names an operand: its code where short, else `fallback`."""
        text = self.source_of(node) if node is not None else ""
        return text if text and len(text) <= 24 else fallback

    def _binop(self, node: ast.BinOp) -> Any:
        left = self.eval(node.left)
        right = self.eval(node.right)
        return self.binary(node, node.op, left, right)

    def _unaryop(self, node: ast.UnaryOp) -> Any:
        operand = self.eval(node.operand)
        return self.located(node, lambda: arithmetic.UNARY[type(node.op)](operand))

    def _boolop(self, node: ast.BoolOp) -> Any:
        value: Any = None
        for item in node.values:
            value = self.eval(item)
            truth = self.located(item, partial(bool, value))
            if isinstance(node.op, ast.And) and not truth:
                return value
            if isinstance(node.op, ast.Or) and truth:
                return value
        return value

    def _compare(self, node: ast.Compare) -> Any:
        left = self.eval(node.left)
        result: Any = True
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = self.eval(comparator)
            if (is_result_pair(left) or is_result_pair(right)) and not isinstance(op, _IDENTITY):
                self.located(node, partial(check_comparable, left, right))  # `x.max(1) == y`
            result = self.located(node, partial(arithmetic.COMPARE[type(op)], left, right))
            if len(node.ops) > 1 and not self.located(node, partial(bool, result)):
                return False
            left = right
        return result

    def _ifexp(self, node: ast.IfExp) -> Any:
        test = self.eval(node.test)
        truth = self.located(node.test, lambda: bool(test))
        return self.eval(node.body if truth else node.orelse)

    # -- containers -----------------------------------------------------------------------------
    def _list(self, node: ast.List) -> list[Any]:
        return self._items(node.elts)

    def _tuple(self, node: ast.Tuple) -> tuple[Any, ...]:
        return tuple(self._items(node.elts))

    def _items(self, elts: list[ast.expr]) -> list[Any]:
        """A list or tuple display's items, or a call's arguments, `*xs` spread out."""
        items: list[Any] = []
        for item in elts:
            if isinstance(item, ast.Starred):
                value = self.eval(item.value)
                spread = self.located(item, partial(bounded_list, value, self.limits, "*"))
                items.extend(self.located(item, partial(spend_on, spread)))
            else:
                items.append(self.eval(item))
        return items

    def _set(self, node: ast.Set) -> set[Any]:
        items = [self.eval(item) for item in node.elts]
        return self.located(node, partial(plain_set, items), quote=False)  # type: ignore[no-any-return]

    def _dict(self, node: ast.Dict) -> ProgramDict:
        made = ProgramDict()
        for key_node, value_node in zip(node.keys, node.values, strict=True):
            assert key_node is not None  # the validator refused `**`
            key = self.eval(key_node)
            self.located(key_node, partial(check_dict_key, key), quote=False)
            made[key] = self.eval(value_node)
        return made

    def _slice(self, node: ast.Slice) -> slice:
        def part(item: ast.expr | None) -> Any:
            return None if item is None else self.eval(item)

        return slice(part(node.lower), part(node.upper), part(node.step))

    def _joinedstr(self, node: ast.JoinedStr) -> str:
        parts: list[str] = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append(str(value.value))
                continue
            assert isinstance(value, ast.FormattedValue)
            inner = self.eval(value.value)
            spec = ""
            if isinstance(value.format_spec, ast.JoinedStr):
                spec = "".join(str(getattr(p, "value", "")) for p in value.format_spec.values)
            conversions: dict[int, Callable[[object], str]] = {115: str, 114: repr, 97: ascii}
            conversion = conversions.get(value.conversion)
            shown = partial(format_value, conversion(inner) if conversion else inner, spec)
            parts.append(self.quietly(shown, value))
        text: str = self.located(node, partial(spend_on, "".join(parts)))
        if len(text) > self.limits.max_string_chars:
            raise self.fail(node, "formatted string too long")
        return text

    def quietly(self, action: Callable[[], Any], node: ast.AST) -> Any:  # overridden: no tracing
        return self.located(node, action)

    # -- attributes, indexing, calls ------------------------------------------------------------
    def _attribute(self, node: ast.Attribute) -> Any:
        if node.attr == "__name__":  # `type(x).__name__`, `x.__class__.__name__` (validated)
            inner = node.value
            if isinstance(inner, ast.Attribute):  # x.__class__
                return type_of(self.eval(inner.value)).name
            kind = self.eval(inner)
            return (
                kind.name
                if isinstance(kind, ClassOf)
                else self.located(node, lambda: get_attribute(kind, node.attr), quote=False)
            )
        owner = self.eval(node.value)
        if type(owner) in _PLAIN:  # (numbers and None have few attributes: a slip, said why)
            return self.located(node, partial(self.number_attribute, owner, node), quote=False)
        value = self.located(node, lambda: get_attribute(owner, node.attr), quote=False)
        if node.attr == "data" and isinstance(owner, torch.Tensor):
            self.data_view(owner, value)
        return value

    def number_attribute(self, owner: float, node: ast.Attribute) -> Any:  # the interpreter's
        return get_attribute(owner, node.attr)  # says why a name holds a number, not a tensor

    def _subscript(self, node: ast.Subscript) -> Any:
        owner = self.eval(node.value)
        index = self.eval(node.slice)
        if isinstance(owner, (Namespace, Fn, BoundMethod)):
            raise self.fail(node, f"{owner!r} cannot be indexed")
        if isinstance(index, slice):  # a copy of part of a list, tuple or string
            return self.located(node, lambda: spend_on(owner[index]))
        if isinstance(owner, torch.Tensor) and _holds_list(index):
            self.located(node, lambda: self.check_data(index))  # lists become index tensors
        return self.located(node, lambda: owner[index])

    def _call(self, node: ast.Call) -> Any:
        callee = self.eval(node.func)
        args = self._items(node.args)
        kwargs: dict[str, Any] = {}
        for kw in node.keywords:
            if kw.arg is not None:
                kwargs[kw.arg] = self.eval(kw.value)
            else:  # `**config`: a dict of the program's, its keys checked as names written out
                value = self.eval(kw.value)
                self.located(kw, partial(merge_keywords, kwargs, value), quote=False)
        return self.invoke(node, callee, args, kwargs)

    def invoke(self, node: ast.Call, callee: Any, args: list[Any], kwargs: dict[str, Any]) -> Any:
        if isinstance(callee, Fn):
            action: Callable[[], Any] = lambda: callee.impl(*args, **kwargs)  # noqa: E731
        elif isinstance(callee, (BoundMethod, nn.Module)):
            action = lambda: callee(*args, **kwargs)  # noqa: E731
        else:
            raise self.fail(node, f"`{self.source_of(node.func)}` is not callable")

        def run() -> Any:
            try:
                return arithmetic.check_result(action())
            except RuntimeError as exc:
                hint = call_shape_hint(
                    node, callee, args, kwargs, str(exc), self.operand_name
                ) or layer_called_with_tensors(callee, node.args, args, self.source_of)
                if hint:
                    raise ValueError(hint) from None
                raise
            except TypeError as exc:  # an argument left uncalled: `model.parameters`, `nn.ReLU`
                hint = layer_called_with_tensors(
                    callee, node.args, args, self.source_of
                ) or uncalled_hint(
                    [*node.args, *(k.value for k in node.keywords)],
                    [*args, *kwargs.values()],
                    str(exc),
                    self.source_of,
                )
                if hint:
                    raise TypeError(hint) from None
                raise

        return self.located(node, run)

    @staticmethod
    def is_tensor(value: Any) -> bool:
        return isinstance(value, torch.Tensor)


# By node type, as plain functions: a table of bound methods kept on the evaluator would tie it
# to itself in a reference cycle, keeping everything a run made alive until a garbage collection.
_HANDLERS: dict[type[ast.AST], Callable[[Any, Any], Any]] = {
    ast.Constant: ExpressionEvaluator._constant,
    ast.Name: ExpressionEvaluator._name,
    ast.BinOp: ExpressionEvaluator._binop,
    ast.UnaryOp: ExpressionEvaluator._unaryop,
    ast.BoolOp: ExpressionEvaluator._boolop,
    ast.Compare: ExpressionEvaluator._compare,
    ast.Call: ExpressionEvaluator._call,
    ast.Attribute: ExpressionEvaluator._attribute,
    ast.Subscript: ExpressionEvaluator._subscript,
    ast.List: ExpressionEvaluator._list,
    ast.Tuple: ExpressionEvaluator._tuple,
    ast.Dict: ExpressionEvaluator._dict,
    ast.Set: ExpressionEvaluator._set,
    ast.Slice: ExpressionEvaluator._slice,
    ast.IfExp: ExpressionEvaluator._ifexp,
    ast.JoinedStr: ExpressionEvaluator._joinedstr,
}
