"""Operators on plain numbers, strings and lists, bounded so no expression can exhaust memory."""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable
from typing import Any

import torch

from gradviz.lang.limits import Limits

BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
    ast.MatMult: operator.matmul,
    ast.BitAnd: operator.and_,
    ast.BitOr: operator.or_,
    ast.BitXor: operator.xor,
    ast.LShift: operator.lshift,
    ast.RShift: operator.rshift,
}

INPLACE: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.iadd,
    ast.Sub: operator.isub,
    ast.Mult: operator.imul,
    ast.Div: operator.itruediv,
    ast.FloorDiv: operator.ifloordiv,
    ast.Mod: operator.imod,
    ast.Pow: operator.ipow,
    ast.MatMult: operator.imatmul,
    ast.BitAnd: operator.iand,
    ast.BitOr: operator.ior,
    ast.BitXor: operator.ixor,
}

SYMBOLS: dict[type[ast.AST], str] = {
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//",
    ast.Mod: "%", ast.Pow: "**", ast.MatMult: "@", ast.BitAnd: "&", ast.BitOr: "|",
    ast.BitXor: "^", ast.LShift: "<<", ast.RShift: ">>",
}  # fmt: skip

UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
    ast.Not: operator.not_,
    ast.Invert: operator.invert,
}

COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
    ast.In: lambda a, b: operator.contains(b, a),
    ast.NotIn: lambda a, b: not operator.contains(b, a),
}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _length(value: Any) -> int | None:
    if isinstance(value, (str, list, tuple)):
        return len(value)
    return None


def _real(value: Any) -> bool:
    """A float, or a tensor of floating-point numbers."""
    return isinstance(value, float) or (
        isinstance(value, torch.Tensor) and value.is_floating_point()
    )


def check_binary(op: type[ast.operator], left: Any, right: Any, limits: Limits) -> None:
    """Raise ValueError before an operation on plain values that would be enormous."""
    bits = limits.max_int_bits
    if op is ast.Pow and _is_int(left) and _is_int(right) and right > 0:
        if abs(left) > 1 and right * max(abs(left).bit_length(), 1) > bits:
            raise ValueError(f"{left} ** {right} is too large (over {bits} bits)")
    if op is ast.Mult:
        if _is_int(left) and _is_int(right):
            if abs(left).bit_length() + abs(right).bit_length() > bits:
                raise ValueError(f"the product is too large (over {bits} bits)")
        for seq, count in ((left, right), (right, left)):
            length = _length(seq)
            if length is not None and _is_int(count):
                limit = (
                    limits.max_string_chars if isinstance(seq, str) else limits.max_literal_elements
                )
                if length * count > limit:
                    raise ValueError(f"repeating a sequence {count:,} times is too large")
    if (
        op is ast.LShift
        and _is_int(right)
        and (right > bits or (_is_int(left) and abs(left).bit_length() + right > bits))
    ):
        raise ValueError(f"shifting by {right} is too large")
    if op is ast.Mod and isinstance(left, str):
        check_percent_format(left)
    if op is ast.BitXor and (_real(left) or _real(right)):  # `x^2`, written as in maths
        raise ValueError(
            "`^` is bitwise exclusive or in Python, not a power, and these are real numbers: "
            "write `**` for a power (`x**2`)"
        )
    if op is ast.Add and _length(left) is not None and _length(right) is not None:
        limit = limits.max_string_chars if isinstance(left, str) else limits.max_literal_elements
        if len(left) + len(right) > limit:
            raise ValueError("joining these would be too large")


def check_result(value: Any) -> Any:
    """Refuse results outside the language (complex numbers)."""
    if isinstance(value, complex) or (isinstance(value, torch.Tensor) and value.is_complex()):
        raise ValueError("complex numbers are not supported")
    return value


_PERCENT_FIELD = re.compile(r"%(\([^)]*\))?([#0\- +]*)(\*|\d+)?(?:\.(\*|\d+))?(.?)")
_PERCENT_KINDS = set("diouxXeEfFgGcrsa%")


def check_percent_format(template: str) -> None:
    """`'%d: %.3f' % (i, loss)` as Python does it, its fields checked first: no `%(name)s`
    lookups, no `*` widths, widths and precisions at most 200."""
    for field in _PERCENT_FIELD.finditer(template):
        key, _, width, precision, kind = field.groups()
        if key is not None:
            raise ValueError("`%(name)s` fields are not supported; use f-strings or .format")
        if "*" in (width, precision):
            raise ValueError("`*` widths are not supported in `%` formatting")
        if any(len(n) > 3 or int(n) > 200 for n in (width, precision) if n):
            raise ValueError("format width or precision over 200 is not allowed")
        if kind not in _PERCENT_KINDS:
            raise ValueError(f"`%{kind}` is not a format Python knows in {template!r}")
