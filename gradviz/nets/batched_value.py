"""A value with a leading batch dimension, one slice per parameter setting, as the batched
replay of a network passes it from op to op."""

from __future__ import annotations

from typing import Any

import torch

Args = list[Any]


class Unbatchable(NotImplementedError):
    """An op this module has no batched form for."""


class Batched:
    """A value with a leading batch dimension (one slice per parameter setting)."""

    __slots__ = ("_tensor",)

    def __init__(self, tensor: torch.Tensor) -> None:
        self._tensor = tensor

    @property
    def tensor(self) -> torch.Tensor:
        return self._tensor

    @property
    def ndim(self) -> int:  # of one slice
        return self.tensor.dim() - 1

    @property
    def count(self) -> int:  # slices
        return self.tensor.shape[0]


class WithOnes(Batched):
    """Batched matrices stored column by column with a row of ones under them: storage
    (count, k + 1, n) holds slices of n × k. A product of such a value with a weight, plus a
    bias, is then one batched matmul of [Wᵀ | bias] with the storage: no pass that copies the
    bias into the output first, none that reads it back."""

    __slots__ = ("storage",)

    def __init__(self, storage: torch.Tensor) -> None:
        self.storage = storage
        super().__init__(storage[:, :-1, :].mT)


def aligned(value: Any, ndim: int) -> Any:
    """A batched tensor viewed so it broadcasts against a slice of `ndim` dimensions."""
    if isinstance(value, Batched):
        t = value.tensor
        missing = ndim - value.ndim
        return t.reshape(t.shape[0], *([1] * missing), *t.shape[1:]) if missing > 0 else t
    return value


def slice_dim(dim: int, ndim: int) -> int:
    return (dim % max(ndim, 1)) + 1


class Product(Batched):
    """A batched product, weights (count, out, k) @ values (count, k, n), plus beta·initial
    and times alpha, read transposed (slices n × out, as batched._product lays results out),
    computed when first read. A reader that needs only the difference of two of its columns
    (a two-class loss's logit gap) gets that alone: one row of the product, not every row and
    then a subtraction pass."""

    __slots__ = ("alpha", "beta", "initial", "values", "weights")

    def __init__(
        self,
        weights: torch.Tensor,
        values: torch.Tensor,
        initial: torch.Tensor | None = None,
        beta: float = 1,
        alpha: float = 1,
    ) -> None:
        self.weights, self.values = weights, values
        self.initial, self.beta, self.alpha = initial, beta, alpha  # broadcasts to the product
        self._tensor: torch.Tensor | None = None  # type: ignore[assignment]

    @property
    def tensor(self) -> torch.Tensor:
        if self._tensor is None:
            self._tensor = self._times(self.weights, self.initial).mT
        return self._tensor

    @property
    def ndim(self) -> int:
        return 2

    @property
    def count(self) -> int:
        return self.weights.shape[0]

    @property
    def columns(self) -> int:  # of a slice: the product's rows
        return self.weights.shape[1]

    def column_gap(self, i: int, j: int) -> torch.Tensor:
        """tensor[..., i] − tensor[..., j] (count × n), as (row i − row j of the weights) @
        values when the product is not computed yet."""
        if self._tensor is not None:
            return self._tensor[..., i] - self._tensor[..., j]
        rows = self.weights[:, i : i + 1] - self.weights[:, j : j + 1]
        initial = self.initial
        if initial is not None:  # (a bias alike for every row cancels out)
            initial = initial if initial.dim() == 3 else initial.unsqueeze(0)
            alike = initial.shape[1] == 1
            initial = None if alike else initial[:, i : i + 1] - initial[:, j : j + 1]
        return self._times(rows, initial)[:, 0]

    def _times(self, weights: torch.Tensor, initial: torch.Tensor | None) -> torch.Tensor:
        if initial is not None:
            return torch.baddbmm(initial, weights, self.values, beta=self.beta, alpha=self.alpha)
        product = torch.bmm(weights, self.values)
        return product if self.alpha == 1 else product.mul_(self.alpha)
