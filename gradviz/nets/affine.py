"""Batched values kept symbolic while they are affine in the grid coordinates: a landscape's
parameters are θ + α·d₁ + β·d₂, and whatever a linear op makes of them (a transposed weight,
X·Wᵀ + b for a constant input X) is again c₀·p₀ + c₁·p₁ + c₂·p₂ with the same coefficients. So the
first layer runs once per direction instead of once per grid point, and the values are only
materialised — one small matrix product — where a non-linear op needs them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import torch

from gradviz.nets.affine_rows import linear_product
from gradviz.nets.batched import Args, Batched, WithOnes, batched_call


class Affine(Batched):
    """Slice i is Σⱼ coeffs[i, j] · parts[j]; every part has the shape of one slice, and
    coeffs[:, 0] is 1 for every slice (parts[0] is the constant term: θ itself)."""

    __slots__ = ("_basis", "_value", "coeffs", "derived", "parts")

    def __init__(self, parts: Sequence[torch.Tensor], coeffs: torch.Tensor) -> None:
        self.parts: list[torch.Tensor] = list(torch.broadcast_tensors(*parts))
        self.coeffs = coeffs  # points × len(parts)
        self._value: Batched | None = None
        # the parts flattened into one matrix, built once and shared by with_coeffs copies
        self._basis: list[torch.Tensor] = []
        # what readers build from the parts once (affine_rows), shared by with_coeffs copies
        self.derived: dict[Any, Any] = {}

    def with_coeffs(self, coeffs: torch.Tensor) -> Affine:
        """The same parts at other grid points: nothing computed from the parts is redone."""
        other = Affine.__new__(Affine)
        other.parts, other.coeffs, other._basis = self.parts, coeffs, self._basis
        other.derived = self.derived
        other._value = None
        return other

    @property
    def ndim(self) -> int:
        return self.parts[0].dim()

    @property
    def count(self) -> int:
        return self.coeffs.shape[0]

    @property
    def tensor(self) -> torch.Tensor:
        return self.materialised().tensor

    def materialised(self) -> Batched:
        """The values themselves; matrices column by column (the layout batched products give
        and read, batched._product) with a row of ones below them (WithOnes: a following
        product adds its bias in the same kernel call). The ones are the constant part's own
        (coeffs[:, 0] is 1), so they come out of the same product, exactly 1."""
        if self._value is None:
            count = self.coeffs.shape[0]
            if self.parts[0].dim() == 2:
                if not self._basis:
                    rows = [torch.ones_like(self.parts[0][:, :1]).mT]
                    rows += [torch.zeros_like(rows[0])] * (len(self.parts) - 1)
                    augmented = [
                        torch.cat([p.mT, r]) for p, r in zip(self.parts, rows, strict=True)
                    ]
                    self._basis.append(torch.stack([p.reshape(-1) for p in augmented]))
                flat = self.coeffs @ self._basis[0]
                k, n = self.parts[0].shape[1], self.parts[0].shape[0]
                self._value = WithOnes(flat.reshape(count, k + 1, n))
            else:
                if not self._basis:
                    self._basis.append(torch.stack([p.reshape(-1) for p in self.parts]))
                flat = self.coeffs @ self._basis[0]
                self._value = Batched(flat.reshape(count, *self.parts[0].shape))
        return self._value

    def map(self, fn: Callable[[torch.Tensor], torch.Tensor]) -> Affine:
        """A linear map applied to every part."""
        return Affine([fn(p) for p in self.parts], self.coeffs)

    def plus(self, other: Any, scale: float = 1.0) -> Affine | None:
        """self + scale·other where that is still affine (other constant or with the same
        coefficients), else None."""
        if isinstance(other, Affine):
            if other.coeffs is not self.coeffs:
                return None
            return Affine(
                [p + scale * q for p, q in zip(self.parts, other.parts, strict=True)], self.coeffs
            )
        if isinstance(other, Batched):
            return None
        constant = other if scale == 1 else scale * other
        return Affine([self.parts[0] + constant, *self.parts[1:]], self.coeffs)


def shared_coeffs(values: Iterable[Any]) -> torch.Tensor | None:
    """The one coefficient tensor every Affine value among `values` has (a landscape chunk's
    grid points), else None."""
    coeffs = {id(v.coeffs): v.coeffs for v in values if isinstance(v, Affine)}
    return next(iter(coeffs.values())) if len(coeffs) == 1 else None


def remembered(
    memo: dict[str, Affine] | None,
    shared: torch.Tensor | None,
    key: str,
    compute: Callable[[], Any],
) -> Any:
    """compute(), unless an earlier chunk kept its affine result under `key` in `memo`: then
    that result at this chunk's coefficients `shared` (nothing computed from its parts again).
    An affine result at `shared` is kept for the next chunks."""
    if memo is None or shared is None:
        return compute()
    kept = memo.get(key)
    if kept is not None:
        return kept.with_coeffs(shared)
    result = compute()
    if isinstance(result, Affine) and result.coeffs is shared:
        memo[key] = result.with_coeffs(shared)  # the parts, not this chunk's values
    return result


def _constant(value: Any) -> bool:
    return isinstance(value, (torch.Tensor, int, float))


def _product(left: Any, right: Any) -> Affine | None:
    if isinstance(left, Affine) and isinstance(right, torch.Tensor):
        return left.map(lambda p: torch.matmul(p, right))
    if isinstance(right, Affine) and isinstance(left, torch.Tensor):
        return right.map(lambda p: torch.matmul(left, p))
    return None


def _addmm(args: Args, kwargs: dict[str, Any]) -> Affine | None:
    bias, m1, m2 = args[:3]
    beta, alpha = kwargs.get("beta", 1), kwargs.get("alpha", 1)
    product = _product(m1, m2)
    if product is None:
        return None
    if alpha != 1:
        product = product.map(lambda p: alpha * p)
    return product if beta == 0 else product.plus(bias, beta)


def _add(args: Args, kwargs: dict[str, Any], sign: float) -> Affine | None:
    a, b = args[:2]
    alpha = args[2] if len(args) > 2 else kwargs.get("alpha", 1)
    if isinstance(a, Affine):
        return a.plus(b, sign * alpha)
    if sign == 1 and isinstance(b, Affine) and _constant(a):
        return b.plus(a, 1.0) if alpha == 1 else b.map(lambda p: alpha * p).plus(a)
    return None


def _mul(args: Args, kwargs: dict[str, Any]) -> Affine | None:
    a, b = args[:2]
    if isinstance(a, Affine) and _constant(b):
        return a.map(lambda p: p * b)
    if isinstance(b, Affine) and _constant(a):
        return b.map(lambda p: a * p)
    return None


def _unary(
    fn: Callable[[torch.Tensor, Args], torch.Tensor],
) -> Callable[[Args, dict[str, Any]], Affine | None]:
    def rule(args: Args, kwargs: dict[str, Any]) -> Affine | None:
        first = args[0]
        return (
            first.map(lambda p: fn(p, args)) if isinstance(first, Affine) and not kwargs else None
        )

    return rule


def _reshaped(p: torch.Tensor, args: Args) -> torch.Tensor:
    return p.reshape(args[1])


LINEAR_RULES: dict[str, Callable[[Args, dict[str, Any]], Affine | None]] = {
    "t": _unary(lambda p, args: p.t()),
    "view": _unary(_reshaped),
    "_unsafe_view": _unary(_reshaped),
    "reshape": _unary(_reshaped),
    "neg": _unary(lambda p, args: -p),
    "clone": _unary(lambda p, args: p),
    "mm": lambda args, kw: _product(args[0], args[1]),
    "matmul": lambda args, kw: _product(args[0], args[1]),
    "addmm": _addmm,
    "add": lambda args, kw: _add(args, kw, 1.0),
    "sub": lambda args, kw: _add(args, kw, -1.0),
    "mul": _mul,
}


def _materialised(value: Any) -> Any:
    if isinstance(value, Affine):
        return value.materialised()
    if isinstance(value, (list, tuple)):
        return type(value)(_materialised(v) for v in value)
    return value


def affine_call(op: str, args: Args, kwargs: dict[str, Any], donated: bool = False) -> Any:
    """batched_call, keeping the result symbolic where the op is linear in its Affine argument."""
    _, name, _overload = op.split(".")
    rule = LINEAR_RULES.get(name)
    if rule is not None and args:
        kept = rule(args, kwargs)
        if kept is not None:
            return kept
    if name in ("addmm", "mm") and not any(v != 1 for v in kwargs.values()):
        bias, m1, m2 = (args[0], args[1], args[2]) if name == "addmm" else (None, *args[:2])
        product = linear_product(bias, m1, m2)  # the weights made when a product reads them
        if product is not None:
            return product
    if any(isinstance(a, Affine) for a in args):
        args = [_materialised(a) for a in args]
    return batched_call(op, args, kwargs, donated)
