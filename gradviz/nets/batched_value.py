"""A value with a leading batch dimension, one slice per parameter setting, as the batched
replay of a network passes it from op to op."""

from __future__ import annotations

from typing import Any, Protocol

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


class Matrices(Batched):
    """Batched matrices (slices of two dimensions) made when first read."""

    __slots__ = ()

    def _make(self) -> torch.Tensor:
        raise NotImplementedError

    @property
    def tensor(self) -> torch.Tensor:
        if self._tensor is None:
            self._tensor = self._make()
        return self._tensor

    @property
    def ndim(self) -> int:
        return 2


class Columns(Matrices):
    """Batched matrices stored column by column: storage (count, k, n) holds slices of n × k
    (a batched product's own layout). A product reading them reads the storage as it is; the
    transposed view is made only for a reader that wants slices."""

    __slots__ = ("storage",)

    def __init__(self, storage: torch.Tensor) -> None:
        self.storage = storage
        self._tensor: torch.Tensor | None = None  # type: ignore[assignment]

    def _make(self) -> torch.Tensor:
        return self.storage.mT

    @property
    def count(self) -> int:
        return self.storage.shape[0]


class WithOnes(Columns):
    """Columns with a row of ones under them: storage (count, k + 1, n) holds slices of n × k.
    A product of such a value with a weight, plus a bias, is then one batched matmul of
    [Wᵀ | bias] with the storage: no pass that copies the bias into the output first, none
    that reads it back."""

    __slots__ = ()

    def _make(self) -> torch.Tensor:
        return self.storage[:, :-1, :].mT


def aligned(value: Any, ndim: int) -> Any:
    """A batched tensor viewed so it broadcasts against a slice of `ndim` dimensions."""
    if isinstance(value, Batched):
        t = value.tensor
        missing = ndim - value.ndim
        return t.reshape(t.shape[0], *([1] * missing), *t.shape[1:]) if missing > 0 else t
    return value


def slice_dim(dim: int, ndim: int) -> int:
    return (dim % max(ndim, 1)) + 1


class Rows(Protocol):
    """Batched weights (count, out, width) computed when read, and the difference of two of
    their rows computed alone (a landscape's weights: affine in the grid coordinates)."""

    @property
    def shape(self) -> tuple[int, int, int]: ...

    @property
    def dtype(self) -> torch.dtype: ...

    def matrix(self) -> torch.Tensor: ...

    def difference(self, i: int, j: int) -> torch.Tensor:
        """Row i − row j: (count, 1, width)."""
        ...


class Product(Matrices):
    """A batched product, weights (count, out, k) @ values (count, k, n), plus beta·initial
    and times alpha, read transposed (slices n × out, as batched._product lays results out),
    computed when first read. A reader that needs only the difference of two of its columns
    (a two-class loss's logit gap) gets that alone: one row of the product, not every row and
    then a subtraction pass. With `bias_column` the weights' last column is the bias (width
    k + 1): the kernel's initial value, broadcast along n."""

    __slots__ = ("_raw", "alpha", "beta", "bias_column", "initial", "values", "weights")

    def __init__(
        self,
        weights: torch.Tensor | Rows,
        values: torch.Tensor,
        initial: torch.Tensor | None = None,
        beta: float = 1,
        alpha: float = 1,
        bias_column: bool = False,
    ) -> None:
        self.weights, self.values = weights, values
        self.initial, self.beta, self.alpha = initial, beta, alpha  # broadcasts to the product
        self.bias_column = bias_column
        self._raw: torch.Tensor | None = None
        self._tensor: torch.Tensor | None = None  # type: ignore[assignment]

    def raw(self) -> torch.Tensor:
        """The product as computed: (count, out, n), slices transposed."""
        if self._raw is None:
            weights = self.weights
            matrix = weights if isinstance(weights, torch.Tensor) else weights.matrix()
            self._raw = self._times(matrix, self.initial)
        return self._raw

    def _make(self) -> torch.Tensor:
        return self.raw().mT

    @property
    def count(self) -> int:
        return self.weights.shape[0]

    @property
    def columns(self) -> int:  # of a slice: the product's rows
        return self.weights.shape[1]

    @property
    def dtype(self) -> torch.dtype:
        return self.weights.dtype

    def column_gap(self, i: int, j: int) -> torch.Tensor:
        """tensor[..., i] − tensor[..., j] (count × n), as (row i − row j of the weights) @
        values when the product is not computed yet."""
        if self._raw is not None:
            return self._raw[:, i] - self._raw[:, j]
        weights = self.weights
        if isinstance(weights, torch.Tensor):
            rows = weights[:, i : i + 1] - weights[:, j : j + 1]
        else:
            rows = weights.difference(i, j)
        initial = self.initial
        if initial is not None:  # (a bias alike for every row cancels out)
            initial = initial if initial.dim() == 3 else initial.unsqueeze(0)
            alike = initial.shape[1] == 1
            initial = None if alike else initial[:, i : i + 1] - initial[:, j : j + 1]
        return self._times(rows, initial)[:, 0]

    def _times(self, weights: torch.Tensor, initial: torch.Tensor | None) -> torch.Tensor:
        if self.bias_column:
            return torch.baddbmm(weights[:, :, -1:], weights[:, :, :-1], self.values)
        if initial is not None:
            return torch.baddbmm(initial, weights, self.values, beta=self.beta, alpha=self.alpha)
        product = torch.bmm(weights, self.values)
        return product if self.alpha == 1 else product.mul_(self.alpha)
