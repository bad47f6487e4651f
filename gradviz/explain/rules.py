"""Local derivative rules, per ATen operation, in readable maths and as numbers.

Each rule says, for each differentiable argument of the forward call, what ∂out/∂arg is in
words (`∂(a·b)/∂a = b`) and computes the contribution `upstream · ∂out/∂arg` from the call's
own arguments. The app shows these next to what PyTorch's hooks recorded; the tests check that
every rule reproduces torch.autograd.grad. Ops without a rule here are explained honestly as
"computed by PyTorch's <node>".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch

Args = tuple[Any, ...]
Kwargs = dict[str, Any]
Compute = Callable[[Args, Kwargs, torch.Tensor, torch.Tensor], list[torch.Tensor | None]]


@dataclass(frozen=True)
class Rule:
    """`formula`: the forward op; `partials[i]`: ∂out/∂(argument i) as text, or None if the
    argument is not differentiable; `compute`: the contributions, one per argument."""

    formula: str
    partials: tuple[str | None, ...]
    compute: Compute
    operands: tuple[str, ...] = ("a", "b", "c")


def unbroadcast(grad: torch.Tensor, like: Any) -> torch.Tensor:
    """Sum a broadcast gradient back down to the shape of the operand it belongs to."""
    shape = like.shape if isinstance(like, torch.Tensor) else ()
    while grad.dim() > len(shape):
        grad = grad.sum(0)
    for axis, size in enumerate(shape):
        if size == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis, keepdim=True)
    return grad.reshape(shape)


def _t(value: Any, like: torch.Tensor) -> torch.Tensor:
    return (
        value
        if isinstance(value, torch.Tensor)
        else torch.tensor(value, dtype=like.dtype, device=like.device)
    )


def _tensor_args(args: Args) -> list[bool]:
    return [isinstance(a, torch.Tensor) for a in args]


def _only_tensors(args: Args, grads: Sequence[torch.Tensor | None]) -> list[torch.Tensor | None]:
    return [g if isinstance(a, torch.Tensor) else None for a, g in zip(args, grads, strict=False)]


def _pointwise(
    formula: str, partial: str, derivative: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
) -> Rule:
    """A one-argument elementwise function: contribution = upstream · f′(a)."""

    def compute(
        args: Args, kwargs: Kwargs, out: torch.Tensor, g: torch.Tensor
    ) -> list[torch.Tensor | None]:
        a = args[0]
        return [g * derivative(a, out)]

    return Rule(formula, (partial,), compute)


def _add(sign: float) -> Rule:
    def compute(
        args: Args, kwargs: Kwargs, out: torch.Tensor, g: torch.Tensor
    ) -> list[torch.Tensor | None]:
        given: Any = kwargs.get("alpha", args[2] if len(args) > 2 else 1)
        alpha = float(given)
        a, b = args[0], args[1]
        grads = [unbroadcast(g, a), unbroadcast(sign * alpha * g, b)]
        return _only_tensors(args, grads)

    symbol = "+" if sign > 0 else "−"
    return Rule(f"a {symbol} b", ("1", f"{'' if sign > 0 else '−'}1"), compute)


def _mul(
    args: Args, kwargs: Kwargs, out: torch.Tensor, g: torch.Tensor
) -> list[torch.Tensor | None]:
    a, b = args[0], args[1]
    return _only_tensors(args, [unbroadcast(g * _t(b, g), a), unbroadcast(g * _t(a, g), b)])


def _div(
    args: Args, kwargs: Kwargs, out: torch.Tensor, g: torch.Tensor
) -> list[torch.Tensor | None]:
    a, b = _t(args[0], g), _t(args[1], g)
    return _only_tensors(args, [unbroadcast(g / b, args[0]), unbroadcast(-g * a / b**2, args[1])])


def _pow_scalar(
    args: Args, kwargs: Kwargs, out: torch.Tensor, g: torch.Tensor
) -> list[torch.Tensor | None]:
    a, n = args[0], args[1]
    return [g * n * a ** (n - 1), None]


def _pow_tensor(
    args: Args, kwargs: Kwargs, out: torch.Tensor, g: torch.Tensor
) -> list[torch.Tensor | None]:
    a, b = _t(args[0], g), _t(args[1], g)
    return _only_tensors(
        args,
        [unbroadcast(g * b * a ** (b - 1), args[0]), unbroadcast(g * out * torch.log(a), args[1])],
    )


def _rsub(
    args: Args, kwargs: Kwargs, out: torch.Tensor, g: torch.Tensor
) -> list[torch.Tensor | None]:
    alpha = kwargs.get("alpha", 1)
    return _only_tensors(args, [unbroadcast(-alpha * g, args[0]), unbroadcast(g, args[1])])


def _mm(
    args: Args, kwargs: Kwargs, out: torch.Tensor, g: torch.Tensor
) -> list[torch.Tensor | None]:
    a, b = args[0], args[1]
    return _only_tensors(args, [g @ b.transpose(-1, -2), a.transpose(-1, -2) @ g])


def _addmm(
    args: Args, kwargs: Kwargs, out: torch.Tensor, g: torch.Tensor
) -> list[torch.Tensor | None]:
    bias, a, b = args[0], args[1], args[2]
    beta, alpha = kwargs.get("beta", 1), kwargs.get("alpha", 1)
    return _only_tensors(args, [unbroadcast(beta * g, bias), alpha * g @ b.T, alpha * a.T @ g])


def _mv(
    args: Args, kwargs: Kwargs, out: torch.Tensor, g: torch.Tensor
) -> list[torch.Tensor | None]:
    a, v = args[0], args[1]
    return _only_tensors(args, [torch.outer(g, v), a.T @ g])


def _dot(
    args: Args, kwargs: Kwargs, out: torch.Tensor, g: torch.Tensor
) -> list[torch.Tensor | None]:
    return _only_tensors(args, [g * args[1], g * args[0]])


def _sum(
    args: Args, kwargs: Kwargs, out: torch.Tensor, g: torch.Tensor
) -> list[torch.Tensor | None]:
    a = args[0]
    dims = args[1] if len(args) > 1 else kwargs.get("dim")
    keep = args[2] if len(args) > 2 else kwargs.get("keepdim", False)
    if dims is not None and not keep:
        for d in sorted(d % a.dim() for d in (dims if isinstance(dims, (list, tuple)) else [dims])):
            g = g.unsqueeze(d)
    return [g.expand(a.shape)]


def _mean(
    args: Args, kwargs: Kwargs, out: torch.Tensor, g: torch.Tensor
) -> list[torch.Tensor | None]:
    a = args[0]
    grad = _sum(args, kwargs, out, g)[0]
    assert grad is not None
    return [grad * out.numel() / a.numel()]


def _reshape_like(
    args: Args, kwargs: Kwargs, out: torch.Tensor, g: torch.Tensor
) -> list[torch.Tensor | None]:
    return [g.reshape(args[0].shape)]


def _transpose(
    args: Args, kwargs: Kwargs, out: torch.Tensor, g: torch.Tensor
) -> list[torch.Tensor | None]:
    if len(args) >= 3:
        return [g.transpose(args[1], args[2])]
    return [g.transpose(-1, -2) if g.dim() >= 2 else g]


def _permute(
    args: Args, kwargs: Kwargs, out: torch.Tensor, g: torch.Tensor
) -> list[torch.Tensor | None]:
    order = list(args[1])
    inverse = [order.index(i) for i in range(len(order))]
    return [g.permute(inverse)]


def _expand(
    args: Args, kwargs: Kwargs, out: torch.Tensor, g: torch.Tensor
) -> list[torch.Tensor | None]:
    return [unbroadcast(g, args[0])]


def _softmax(
    args: Args, kwargs: Kwargs, out: torch.Tensor, g: torch.Tensor
) -> list[torch.Tensor | None]:
    dim = args[1]
    return [out * (g - (g * out).sum(dim, keepdim=True))]


def _log_softmax(
    args: Args, kwargs: Kwargs, out: torch.Tensor, g: torch.Tensor
) -> list[torch.Tensor | None]:
    dim = args[1]
    return [g - torch.exp(out) * g.sum(dim, keepdim=True)]


def _reduction(args: Args, kwargs: Kwargs, position: int, default: int = 1) -> int:
    """ATen's reduction code: 0 none, 1 mean, 2 sum."""
    value = args[position] if len(args) > position else kwargs.get("reduction", default)
    return int(value)


def _scale(reduction: int, count: int) -> float:
    return 1.0 / count if reduction == 1 else 1.0


def _mse(
    args: Args, kwargs: Kwargs, out: torch.Tensor, g: torch.Tensor
) -> list[torch.Tensor | None]:
    a, t = args[0], args[1]
    grad = g * 2 * (a - t) * _scale(_reduction(args, kwargs, 2), a.numel())
    return _only_tensors(args, [grad, -grad])


def _bce_logits(
    args: Args, kwargs: Kwargs, out: torch.Tensor, g: torch.Tensor
) -> list[torch.Tensor | None]:
    x, y = args[0], args[1]
    weight = args[2] if len(args) > 2 else kwargs.get("weight")
    pos_weight = args[3] if len(args) > 3 else kwargs.get("pos_weight")
    if weight is not None or pos_weight is not None:
        raise NotImplementedError("weights")
    grad = g * (torch.sigmoid(x) - y) * _scale(_reduction(args, kwargs, 4), x.numel())
    return _only_tensors(args, [grad, None])


def _nll(
    args: Args, kwargs: Kwargs, out: torch.Tensor, g: torch.Tensor
) -> list[torch.Tensor | None]:
    logp, target = args[0], args[1]
    weight = args[2] if len(args) > 2 else None
    reduction = _reduction(args, kwargs, 3)
    if weight is not None or logp.dim() != 2:
        raise NotImplementedError("weights or more than 2 dimensions")
    grad = torch.zeros_like(logp)
    rows = torch.arange(logp.shape[0], device=logp.device)
    grad[rows, target] = -1.0
    return [g * grad * _scale(reduction, logp.shape[0]), None]


def _clamp(
    args: Args, kwargs: Kwargs, out: torch.Tensor, g: torch.Tensor
) -> list[torch.Tensor | None]:
    a = args[0]
    low = args[1] if len(args) > 1 else kwargs.get("min")
    high = args[2] if len(args) > 2 else kwargs.get("max")
    inside = torch.ones_like(a, dtype=torch.bool)
    if low is not None:
        inside &= a >= low
    if high is not None:
        inside &= a <= high
    return [g * inside]


def _where(
    args: Args, kwargs: Kwargs, out: torch.Tensor, g: torch.Tensor
) -> list[torch.Tensor | None]:
    cond, a, b = args[0], args[1], args[2]
    return [None, *_only_tensors(args[1:], [unbroadcast(g * cond, a), unbroadcast(g * ~cond, b)])]


def _sq(x: torch.Tensor) -> torch.Tensor:
    return x * x


RULES: dict[str, Rule] = {
    "add": _add(1.0),
    "sub": _add(-1.0),
    "rsub": Rule("b − a", ("−1", "1"), _rsub),
    "mul": Rule("a · b", ("b", "a"), _mul),
    "div": Rule("a / b", ("1/b", "−a/b²"), _div),
    "pow.Tensor_Scalar": Rule("aⁿ", ("n·aⁿ⁻¹", None), _pow_scalar, ("a", "n")),
    "pow.Tensor_Tensor": Rule("aᵇ", ("b·aᵇ⁻¹", "aᵇ·ln a"), _pow_tensor),
    "neg": _pointwise("−a", "−1", lambda a, out: -torch.ones_like(a)),
    "exp": _pointwise("exp(a)", "exp(a)", lambda a, out: out),
    "log": _pointwise("ln(a)", "1/a", lambda a, out: 1 / a),
    "log1p": _pointwise("ln(1 + a)", "1/(1 + a)", lambda a, out: 1 / (1 + a)),
    "expm1": _pointwise("exp(a) − 1", "exp(a)", lambda a, out: out + 1),
    "sin": _pointwise("sin(a)", "cos(a)", lambda a, out: torch.cos(a)),
    "cos": _pointwise("cos(a)", "−sin(a)", lambda a, out: -torch.sin(a)),
    "tan": _pointwise("tan(a)", "1 + tan²(a)", lambda a, out: 1 + _sq(out)),
    "tanh": _pointwise("tanh(a)", "1 − tanh²(a)", lambda a, out: 1 - _sq(out)),
    "sigmoid": _pointwise("σ(a)", "σ(a)·(1 − σ(a))", lambda a, out: out * (1 - out)),
    "relu": _pointwise("max(a, 0)", "1 where a > 0, else 0", lambda a, out: (a > 0).to(a.dtype)),
    "sqrt": _pointwise("√a", "1/(2√a)", lambda a, out: 1 / (2 * out)),
    "rsqrt": _pointwise("1/√a", "−½·a^(−3/2)", lambda a, out: -0.5 * out**3),
    "reciprocal": _pointwise("1/a", "−1/a²", lambda a, out: -_sq(out)),
    "abs": _pointwise("|a|", "sign(a)", lambda a, out: torch.sign(a)),
    "mm": Rule("A · B", ("∂L/∂C · Bᵀ", "Aᵀ · ∂L/∂C"), _mm, ("A", "B")),
    "bmm": Rule("A · B (batched)", ("∂L/∂C · Bᵀ", "Aᵀ · ∂L/∂C"), _mm, ("A", "B")),
    "addmm": Rule(
        "c + A · B",
        ("1 (summed over broadcast rows)", "∂L/∂C · Bᵀ", "Aᵀ · ∂L/∂C"),
        _addmm,
        ("c", "A", "B"),
    ),
    "mv": Rule("A · v", ("∂L/∂y ⊗ v", "Aᵀ · ∂L/∂y"), _mv, ("A", "v")),
    "dot": Rule("a · b (dot product)", ("b", "a"), _dot),
    "sum": Rule("Σ a", ("1 for every element",), _sum),
    "mean": Rule("mean(a) = Σ a / N", ("1/N for every element",), _mean),
    "t": Rule("aᵀ", ("transpose the gradient back",), _transpose),
    "transpose": Rule("aᵀ (two dims swapped)", ("swap the gradient's dims back",), _transpose),
    "permute": Rule("a with dims reordered", ("reorder the gradient's dims back",), _permute),
    "view": Rule("a reshaped", ("reshape the gradient back",), _reshape_like),
    "_unsafe_view": Rule("a reshaped", ("reshape the gradient back",), _reshape_like),
    "unsqueeze": Rule("a with a new dim", ("drop that dim from the gradient",), _reshape_like),
    "squeeze": Rule("a without size-1 dims", ("put them back into the gradient",), _reshape_like),
    "squeeze_": Rule("a without size-1 dims", ("put them back into the gradient",), _reshape_like),
    "expand": Rule("a broadcast to a larger shape", ("sum the gradient over the copies",), _expand),
    "_softmax": Rule("softmax(a) = y", ("y ⊙ (g − Σ g⊙y)",), _softmax),
    "_log_softmax": Rule("log softmax(a)", ("g − softmax(a) · Σ g",), _log_softmax),
    "mse_loss": Rule("mean (a − t)²", ("2(a − t)/N", "−2(a − t)/N"), _mse, ("a", "t")),
    "binary_cross_entropy_with_logits": Rule(
        "mean BCE(σ(x), y)", ("(σ(x) − y)/N", None), _bce_logits, ("x", "y")
    ),
    "nll_loss_forward": Rule(
        "−mean logp[target]", ("−1/N at each target, 0 elsewhere", None), _nll, ("logp", "target")
    ),
    "clamp": Rule("clamp(a, lo, hi)", ("1 between lo and hi, else 0",), _clamp),
    "where": Rule("where(c, a, b)", (None, "1 where c", "1 where not c"), _where, ("c", "a", "b")),
}


def rule_for(op: str) -> Rule | None:
    """The rule for an ATen op name such as `aten.mul.Tensor`, if there is one."""
    parts = op.split(".")
    name = parts[1] if len(parts) > 1 else op
    if name.endswith("_") and not name.startswith("_"):
        name = name[:-1]  # in place (add_, sigmoid_): the same maths, its operands as they were
    overload = f"{name}.{parts[2]}" if len(parts) > 2 else name
    if overload in RULES:
        return RULES[overload]
    if name == "pow":
        return None
    return RULES.get(name)
