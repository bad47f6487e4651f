"""Property-based: random expressions never raise anything but ProgramError, and their
gradients equal torch's computed directly in the test."""

from __future__ import annotations

import math
import operator as op
from typing import Any

import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gradviz.autograd.tracer import trace
from gradviz.lang.errors import ProgramError
from gradviz.lang.interpreter import run_program
from gradviz.lang.parser import parse

UNARY = ["exp", "log", "sin", "cos", "tanh", "sigmoid", "relu", "sqrt", "abs"]
BINARY = ["+", "-", "*", "/"]

Expr = Any  # nested tuples


def expressions() -> st.SearchStrategy[Expr]:
    leaves = st.one_of(
        st.sampled_from([("var", "x"), ("var", "y")]),
        st.floats(-3, 3, allow_nan=False).map(lambda v: ("num", round(v, 3))),
    )
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.tuples(st.just("un"), st.sampled_from(UNARY), inner),
            st.tuples(st.just("bin"), st.sampled_from(BINARY), inner, inner),
            st.tuples(st.just("pow"), inner, st.integers(1, 3)),
        ),
        max_leaves=8,
    )


def to_source(e: Expr) -> str:
    kind = e[0]
    if kind == "var":
        return str(e[1])
    if kind == "num":
        return f"({e[1]!r})"
    if kind == "un":
        return f"{e[1]}({to_source(e[2])})"
    if kind == "pow":
        return f"({to_source(e[1])}) ** {e[2]}"
    return f"({to_source(e[2])} {e[1]} {to_source(e[3])})"


def evaluate(e: Expr, env: dict[str, torch.Tensor]) -> torch.Tensor | float:
    """The same expression computed directly with torch (the test's own evaluator), with the
    language's rule for plain numbers: they stay Python floats (double precision) until a
    torch function takes them, as in the program (`sin((3.0 / 0.312) ** 3)` takes the cube
    in double precision: in float32 the sine of ~889 differs in the fourth decimal)."""
    kind = e[0]
    if kind == "var":
        return env[e[1]]
    if kind == "num":
        return float(e[1])
    if kind == "un":
        value = evaluate(e[2], env)
        if isinstance(value, float):
            if e[1] == "abs":
                return abs(value)  # the bare abs of a number is Python's
            value = torch.tensor(value)
        return getattr(torch, e[1])(value)  # type: ignore[no-any-return]
    if kind == "pow":
        return evaluate(e[1], env) ** e[2]  # type: ignore[no-any-return]
    a, b = evaluate(e[2], env), evaluate(e[3], env)
    operator = {"+": op.add, "-": op.sub, "*": op.mul, "/": op.truediv}[e[1]]
    return operator(a, b)  # type: ignore[no-any-return]  (only this one: 1.0 / 0.0 raises)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expressions(), st.floats(-2, 2), st.floats(-2, 2))
def test_random_expressions_match_torch(expr: Expr, x0: float, y0: float) -> None:
    source = f"x = {float(x0)!r}\ny = {float(y0)!r}\nout = x * 0 + y * 0 + {to_source(expr)}"
    try:
        graph = trace(source).graph
    except ProgramError as exc:  # plain-number maths follows Python: 0.0 / 0.0 is an error
        assert "division by zero" in exc.message
        return
    x = torch.tensor(float(x0), requires_grad=True)
    y = torch.tensor(float(y0), requires_grad=True)
    out = x * 0 + y * 0 + evaluate(expr, {"x": x, "y": y})
    out.backward()
    node = graph.node(graph.output)  # type: ignore[arg-type]
    torch.testing.assert_close(node.value, out.detach(), equal_nan=True)
    for name, leaf in (("x", x), ("y", y)):
        found = graph.find(name)
        assert found is not None
        torch.testing.assert_close(found.grad, leaf.grad, equal_nan=True)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text_raises_only_program_errors(text: str) -> None:
    try:
        run_program(parse(text))
    except ProgramError as exc:
        assert exc.message
        assert exc.line is None or exc.line >= 1


TOKENS = ["x", "y", "torch", ".", "(", ")", "[", "]", "+", "*", "**", "-", ",", "1", "2.5",
          "exp", "sum", "ones", "=", "\n", " ", "'s'", "_", "__class__", "lambda", ":", "T",
          "@", "randn", "requires_grad", "True", "for", "in", "range"]  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=30))
def test_token_soup_raises_only_program_errors(tokens: list[str]) -> None:
    source = "x = 2.0\ny = torch.ones(3)\n" + "".join(tokens)
    try:
        trace(source)
    except ProgramError as exc:
        assert exc.message and not math.isnan(exc.line or 0)
