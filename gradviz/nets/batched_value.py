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
