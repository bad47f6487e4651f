"""The work of the ops whose time grows faster than their inputs and outputs — convolutions,
pooling windows, fused attention, matrix products and factorisations — foreseen before they
run: one of them could run for hours, and a program is only cancelled between ops."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from gradviz.lang.sizes import convolution_shape

WorkRule = Callable[[tuple[Any, ...], dict[str, Any]], "int | None"]


def _ints(value: Any, count: int, default: list[int] | None = None) -> list[int] | None:
    """A pooling argument spread over `count` dimensions (one int, one per dimension, or
    the default where the op takes an empty list for it, as `stride=[]`)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return [value] * count
    if isinstance(value, (list, tuple)) and all(type(v) is int for v in value):
        if not value:
            return default
        if len(value) == 1:
            return [value[0]] * count
        return list(value) if len(value) == count else None
    return None


def _arg(args: tuple[Any, ...], kwargs: dict[str, Any], index: int, name: str) -> Any:
    return args[index] if len(args) > index else kwargs.get(name)


def convolution_work(args: tuple[Any, ...], kwargs: dict[str, Any]) -> int | None:
    """Multiply-adds: each output position (each input position, transposed) takes a whole
    filter per output channel — batch × positions × weight elements."""
    shape = convolution_shape(args)
    if shape is None:
        return None
    x, weight, transposed = args[0], args[1], args[6]
    positions = x.shape[2:] if transposed else shape[2:]
    return int(x.shape[0]) * math.prod(int(p) for p in positions) * int(weight.numel())


def _pool_size(n: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """One dimension of a pooling output (ATen's pooling_output_shape)."""
    size = (n + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (size - 1) * s >= n + p:
        size -= 1
    return max(size, 0)


def _pooling_work(dims: int, has_dilation: bool) -> WorkRule:
    """max_pool{2,3}d_with_indices(self, kernel_size, stride, padding, dilation, ceil_mode)
    and avg_pool{2,3}d(self, kernel_size, stride, padding, ceil_mode, ...): the elements
    the windows read — each output element's window, kernel_size elements."""

    def work(args: tuple[Any, ...], kwargs: dict[str, Any]) -> int | None:
        x = args[0] if args else None
        if not isinstance(x, torch.Tensor) or x.dim() < dims:
            return None
        kernel = _ints(_arg(args, kwargs, 1, "kernel_size"), dims)
        if kernel is None:
            return None
        stride = _ints(_arg(args, kwargs, 2, "stride") or [], dims, kernel)  # none: kernel
        padding = _ints(_arg(args, kwargs, 3, "padding") or 0, dims)
        dilation = _ints(_arg(args, kwargs, 4, "dilation") or 1, dims) if has_dilation else None
        ceil_mode = _arg(args, kwargs, 5 if has_dilation else 4, "ceil_mode")
        dilation = dilation or [1] * dims
        if stride is None or padding is None or min(stride) < 1:
            return None
        sizes = x.shape[-dims:]
        outputs = math.prod(
            _pool_size(int(n), k, s, p, d, bool(ceil_mode))
            for n, k, s, p, d in zip(sizes, kernel, stride, padding, dilation, strict=True)
        )
        return math.prod(int(n) for n in x.shape[:-dims]) * outputs * math.prod(kernel)

    return work


def attention_work(args: tuple[Any, ...], kwargs: dict[str, Any]) -> int | None:
    """Multiply-adds of fused attention (query, key, value, ...): every query position meets
    every key position, once for the scores and once for the weighted values."""
    if len(args) < 3 or not all(isinstance(t, torch.Tensor) for t in args[:3]):
        return None
    query, key, value = args[:3]
    if query.dim() < 2 or key.dim() < 2 or value.dim() < 2:
        return None
    queries = int(query.numel()) // max(int(query.shape[-1]), 1)
    return queries * int(key.shape[-2]) * (int(query.shape[-1]) + int(value.shape[-1]))


def _matmul_work(first: int) -> WorkRule:
    """mm(a, b), bmm, and addmm/baddbmm(input, a, b) with the factors from argument `first`:
    multiply-adds — batch × rows × inner size × columns."""

    def work(args: tuple[Any, ...], kwargs: dict[str, Any]) -> int | None:
        if len(args) < first + 2:
            return None
        a, b = args[first], args[first + 1]
        if not (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor)):
            return None
        if a.dim() < 2 or b.dim() < 2:
            return None
        batch = math.prod(int(s) for s in a.shape[:-2])
        return batch * int(a.shape[-2]) * int(a.shape[-1]) * int(b.shape[-1])

    return work


def _factorisation_work(factor: int) -> WorkRule:
    """A solve or factorisation of (…, m, n) matrices (torch.linalg): about m·n·min(m, n)
    multiply-adds each, `factor` times that for the iterative ones (SVD, eigh), and m·n more
    per right-hand side column (solve, lstsq)."""

    def work(args: tuple[Any, ...], kwargs: dict[str, Any]) -> int | None:
        a = args[0] if args else None
        if not isinstance(a, torch.Tensor) or a.dim() < 2:
            return None
        m, n = int(a.shape[-2]), int(a.shape[-1])
        each = factor * m * n * min(m, n)
        b = args[1] if len(args) > 1 else None
        if isinstance(b, torch.Tensor) and b.dim() >= 1:
            each += m * n * (int(b.shape[-1]) if b.dim() >= 2 else 1)
        return math.prod(int(s) for s in a.shape[:-2]) * each

    return work


CONVOLUTION = (
    "this convolution would take {:,} multiply-adds",
    "a smaller input, kernel or channel count",
)
POOLING = (
    "this pooling would read {:,} elements through its windows",
    "a smaller input or kernel, or a larger stride",
)
ATTENTION = ("this attention would take {:,} multiply-adds", "shorter sequences")
MATMUL = ("this matrix product would take {:,} multiply-adds", "smaller matrices or batch")
FACTORISATION = ("this would take about {:,} multiply-adds", "a smaller matrix or batch")
_DIRECT = (  # solves and factorisations of torch.linalg: about m·n·min(m, n)
    "_linalg_solve_ex", "linalg_inv_ex", "_linalg_det", "_linalg_slogdet", "linalg_lstsq",
    "linalg_qr", "linalg_cholesky_ex", "linalg_lu_factor_ex",
)  # fmt: skip
_ITERATIVE = ("_linalg_svd", "_linalg_eigh", "linalg_pinv", "linalg_eig")  # ten times that


@dataclass(frozen=True)
class Work:
    """An op's work rule and how to word a refusal: what it would take, and what helps."""

    rule: WorkRule
    words: tuple[str, str]

    def refusal(self, work: int, limit: int) -> str:
        took, helps = self.words
        return f"{took.format(work)}; the limit is {limit:,} ({helps})"


# By ATen op name (the CompositeImplicit ones too, in case a path reaches them undecomposed).
RULES: dict[str, Work] = {
    "convolution": Work(convolution_work, CONVOLUTION),
    "_convolution": Work(convolution_work, CONVOLUTION),
    "max_pool1d": Work(_pooling_work(1, True), POOLING),
    "max_pool2d": Work(_pooling_work(2, True), POOLING),
    "max_pool2d_with_indices": Work(_pooling_work(2, True), POOLING),
    "max_pool3d_with_indices": Work(_pooling_work(3, True), POOLING),
    "avg_pool1d": Work(_pooling_work(1, False), POOLING),
    "avg_pool2d": Work(_pooling_work(2, False), POOLING),
    "avg_pool3d": Work(_pooling_work(3, False), POOLING),
    "_scaled_dot_product_flash_attention_for_cpu": Work(attention_work, ATTENTION),
    "_scaled_dot_product_flash_attention": Work(attention_work, ATTENTION),
    "_scaled_dot_product_efficient_attention": Work(attention_work, ATTENTION),
    "_scaled_dot_product_cudnn_attention": Work(attention_work, ATTENTION),
    "_scaled_dot_product_fused_attention_overrideable": Work(attention_work, ATTENTION),
    "mm": Work(_matmul_work(0), MATMUL),
    "bmm": Work(_matmul_work(0), MATMUL),
    "addmm": Work(_matmul_work(1), MATMUL),
    "baddbmm": Work(_matmul_work(1), MATMUL),
    "_addmm_activation": Work(_matmul_work(1), MATMUL),
    **{name: Work(_factorisation_work(1), FACTORISATION) for name in _DIRECT},
    **{name: Work(_factorisation_work(10), FACTORISATION) for name in _ITERATIVE},
}

_BY_FUNC: dict[Any, Work | None] = {}


def work_rule(func: Any) -> Work | None:
    """The work rule of an ATen op, or None where its time follows its sizes (decided once)."""
    try:
        return _BY_FUNC[func]
    except KeyError:
        found = RULES.get(func._schema.name.split("::")[-1])
        _BY_FUNC[func] = found
        return found
