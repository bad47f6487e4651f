"""A linear layer's [Wᵀ | b] at a landscape chunk's grid points, made when a product reads it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch

from gradviz.nets.batched_value import Batched, Columns, Product, WithOnes

if TYPE_CHECKING:
    from gradviz.nets.affine import Affine


class _Basis:
    """The parts of [Wᵀ | bias] flattened (parts × out·width), and of the differences of two
    of their rows (parts × width) as they are asked for: shared by a landscape's chunks."""

    def __init__(self, parts: list[torch.Tensor]) -> None:
        self.shape = parts[0].shape  # out, width
        self.flat = torch.stack([p.reshape(-1) for p in parts])
        self._parts = parts
        self._differences: dict[tuple[int, int], torch.Tensor] = {}

    def difference(self, i: int, j: int) -> torch.Tensor:
        found = self._differences.get((i, j))
        if found is None:
            found = torch.stack([p[i] - p[j] for p in self._parts])
            self._differences[(i, j)] = found
        return found


class AugmentedRows:
    """[Wᵀ | bias] at each grid point of a chunk (count, out, width), as batched_value.Rows:
    coefficients (count × parts) times the basis, when read."""

    def __init__(self, basis: _Basis, coeffs: torch.Tensor) -> None:
        self._basis, self._coeffs = basis, coeffs

    @property
    def shape(self) -> tuple[int, int, int]:
        out, width = self._basis.shape
        return self._coeffs.shape[0], out, width

    @property
    def dtype(self) -> torch.dtype:
        return self._basis.flat.dtype

    def matrix(self) -> torch.Tensor:
        return (self._coeffs @ self._basis.flat).view(self.shape)

    def difference(self, i: int, j: int) -> torch.Tensor:
        return (self._coeffs @ self._basis.difference(i, j)).view(self.shape[0], 1, -1)


def _bias_parts(bias: Any, weight: Affine, out: int) -> list[torch.Tensor | None] | None:
    """The bias's part for each of the weight's parts (None: no bias), or None where it is
    neither affine with the same coefficients nor a constant vector of `out`."""
    from gradviz.nets.affine import Affine

    if bias is None:
        return [None] * len(weight.parts)
    if isinstance(bias, Affine):
        if bias.coeffs is not weight.coeffs or len(bias.parts) != len(weight.parts):
            return None
        parts: list[torch.Tensor | None] = [*bias.parts]
    elif isinstance(bias, torch.Tensor) and not isinstance(bias, Batched):
        zero = torch.zeros_like(bias)
        parts = [bias, *[zero] * (len(weight.parts) - 1)]  # θ carries a constant bias
    else:
        return None
    first = parts[0]
    if first is None or first.shape != (out,) or first.dtype != weight.parts[0].dtype:
        return None
    return parts


def linear_product(bias: Any, m1: Any, m2: Any) -> Product | None:
    """bias + m1 @ m2 (bias None: m1 @ m2) for a batched, non-affine m1 (count × n × k) and an
    affine m2 (k × out, a transposed weight): a lazy Product of [m2ᵀ | bias] and m1, the
    weights made by one small product per chunk (their basis kept with m2 for the next
    chunks). None where the operands do not have that form."""
    from gradviz.nets.affine import Affine

    if not isinstance(m2, Affine) or isinstance(m1, Affine) or not isinstance(m1, Batched):
        return None
    if m2.ndim != 2 or m1.ndim != 2 or m1.count != m2.count:
        return None
    k, out = m2.parts[0].shape
    biases = _bias_parts(bias, m2, out)
    ones = isinstance(m1, WithOnes)
    values = m1.storage if isinstance(m1, Columns) else m1.tensor.mT  # count, k (+ 1), n
    if biases is None or values.shape[1] != k + ones or values.dtype != m2.parts[0].dtype:
        return None
    column = bias is not None or ones  # a last column: the bias, or zeros against the ones
    owner = bias.parts if isinstance(bias, Affine) else bias  # what the basis was made from
    key = ("rows", id(owner), ones)
    kept = m2.derived.get(key)
    if kept is None or kept[0] is not owner:
        parts = []
        for weight, b in zip(m2.parts, biases, strict=True):
            matrix = weight.mT
            if column:
                last = b if b is not None else matrix.new_zeros(out)
                matrix = torch.cat([matrix, last[:, None]], dim=1)
            parts.append(matrix)
        kept = (owner, _Basis(parts))
        m2.derived[key] = kept
    return Product(AugmentedRows(kept[1], m2.coeffs), values, bias_column=column and not ones)
