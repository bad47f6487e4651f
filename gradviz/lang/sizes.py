"""Output sizes of common ATen ops worked out from their arguments, without the meta device:
most meta kernels are Python that imports sympy (and some torch._dynamo) on first use — a
second or more on a program's first trace — and costs tens of microseconds on every call."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import torch

Rule = Callable[[tuple[Any, ...], dict[str, Any]], "int | None"]


def _numel(shape: Sequence[int]) -> int:
    total = 1
    for size in shape:
        total *= max(int(size), 0)
    return total


def _ints(value: Any) -> list[int] | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return [value]
    if isinstance(value, (list, tuple)) and all(type(v) is int for v in value):
        return list(value)
    return None


def _arg(args: tuple[Any, ...], kwargs: dict[str, Any], index: int, name: str) -> Any:
    return args[index] if len(args) > index else kwargs.get(name)


def _joined(args: tuple[Any, ...], kwargs: dict[str, Any]) -> int | None:
    """cat, stack: as many elements as their inputs together."""
    tensors = args[0] if args and isinstance(args[0], (list, tuple)) else None
    if tensors is None or not all(isinstance(t, torch.Tensor) for t in tensors):
        return None
    return int(sum(t.numel() for t in tensors))


def _mv(args: tuple[Any, ...], kwargs: dict[str, Any]) -> int | None:
    matrix = args[0]
    return int(matrix.shape[0]) if isinstance(matrix, torch.Tensor) and matrix.dim() == 2 else None


def _one(args: tuple[Any, ...], kwargs: dict[str, Any]) -> int | None:
    return 1


def _range(args: tuple[Any, ...], kwargs: dict[str, Any]) -> int | None:
    """arange(end), arange(start, end), arange(start, end, step)."""
    numbers = [a for a in args if isinstance(a, (int, float)) and not isinstance(a, bool)]
    if len(numbers) != len(args) or not 1 <= len(numbers) <= 3:
        return None
    start, end, step = (0, numbers[0], 1) if len(numbers) == 1 else (*numbers[:2], 1)
    if len(numbers) == 3:
        step = numbers[2]
    if step == 0 or not all(math.isfinite(v) for v in (start, end, step)):
        return None  # torch's own error
    return max(0, math.ceil((end - start) / step))


def _steps(args: tuple[Any, ...], kwargs: dict[str, Any]) -> int | None:
    """linspace / logspace (start, end, steps, ...)."""
    steps = _arg(args, kwargs, 2, "steps")
    return steps if type(steps) is int else None


def _first_int(args: tuple[Any, ...], kwargs: dict[str, Any]) -> int | None:
    """randperm(n)."""
    return args[0] if args and type(args[0]) is int else None


def _eye(args: tuple[Any, ...], kwargs: dict[str, Any]) -> int | None:
    sizes = [a for a in args[:2] if type(a) is int]
    if not sizes:
        return None
    return sizes[0] * (sizes[1] if len(sizes) > 1 else sizes[0])


def _sized(position: int) -> Rule:
    """Factories whose shape is the argument at `position` (randint's size, full's size)."""

    def rule(args: tuple[Any, ...], kwargs: dict[str, Any]) -> int | None:
        size = _ints(_arg(args, kwargs, position, "size"))
        return _numel(size) if size is not None else None

    return rule


def _repeat(args: tuple[Any, ...], kwargs: dict[str, Any]) -> int | None:
    tensor, repeats = args[0], _ints(_arg(args, kwargs, 1, "repeats"))
    if not isinstance(tensor, torch.Tensor) or repeats is None:
        return None
    return tensor.numel() * _numel(repeats)


def _index(args: tuple[Any, ...], kwargs: dict[str, Any]) -> int | None:
    """x[indices]: the indices' broadcast shape times the dimensions they leave alone (a
    boolean mask counts as selecting everything it covers: an upper bound)."""
    tensor, indices = args[0], args[1]
    if not isinstance(tensor, torch.Tensor) or not isinstance(indices, (list, tuple)):
        return None
    shapes: list[Sequence[int]] = []
    kept = 1
    dim = 0
    for index in indices:
        if index is None:
            kept *= tensor.shape[dim]
            dim += 1
        elif index.dtype in (torch.bool, torch.uint8):
            shapes.append([_numel(index.shape)])
            dim += index.dim()
        else:
            shapes.append(index.shape)
            dim += 1
    kept *= _numel(tensor.shape[dim:])
    ndim = max((len(s) for s in shapes), default=0)
    broadcast = 1
    for axis in range(1, ndim + 1):
        broadcast *= max((s[-axis] for s in shapes if len(s) >= axis), default=1)
    return broadcast * kept


def _embedding(args: tuple[Any, ...], kwargs: dict[str, Any]) -> int | None:
    weight, indices = args[0], args[1]
    if not isinstance(weight, torch.Tensor) or not isinstance(indices, torch.Tensor):
        return None
    return indices.numel() * int(weight.shape[-1])


def convolution_shape(args: tuple[Any, ...]) -> list[int] | None:
    """The output shape of convolution(input, weight, bias, stride, padding, dilation,
    transposed, output_padding, groups), by the formulas in torch.nn.Conv2d's and
    ConvTranspose2d's documentation."""
    if len(args) < 9:
        return None
    x, weight, _, stride, padding, dilation, transposed, output_padding, groups = args[:9]
    if not isinstance(x, torch.Tensor) or not isinstance(weight, torch.Tensor):
        return None
    spatial = x.dim() - 2
    lists = [_ints(v) for v in (stride, padding, dilation, output_padding)]
    if spatial < 1 or type(groups) is not int or weight.dim() != x.dim():
        return None
    spread: list[list[int]] = []
    for values in lists:
        if values is None or len(values) not in (1, spatial):
            return None
        spread.append(values * spatial if len(values) == 1 else values)
    s, p, d, op = spread
    sizes = []
    for i in range(spatial):
        k, n = int(weight.shape[2 + i]), int(x.shape[2 + i])
        if transposed:
            sizes.append((n - 1) * s[i] - 2 * p[i] + d[i] * (k - 1) + op[i] + 1)
        else:
            sizes.append((n + 2 * p[i] - d[i] * (k - 1) - 1) // s[i] + 1)
    channels = int(weight.shape[1]) * groups if transposed else int(weight.shape[0])
    return [int(x.shape[0]), channels, *sizes]


def _convolution(args: tuple[Any, ...], kwargs: dict[str, Any]) -> int | None:
    shape = convolution_shape(args)
    return _numel(shape) if shape is not None else None


def _resized(args: tuple[Any, ...], kwargs: dict[str, Any]) -> int | None:
    """Adaptive pooling and upsampling to output_size: batch and channels times that size."""
    x, size = args[0], _ints(args[1] if len(args) > 1 else None)
    if not isinstance(x, torch.Tensor) or size is None:
        return None
    return _numel(x.shape[: x.dim() - len(size)]) * _numel(size)


def _nonzero(args: tuple[Any, ...], kwargs: dict[str, Any]) -> int | None:
    """At most every element, one index per dimension."""
    x = args[0]
    return x.numel() * max(x.dim(), 1) if isinstance(x, torch.Tensor) else None


def _broadcast(args: tuple[Any, ...], kwargs: dict[str, Any]) -> int | None:
    shapes = [a.shape for a in args[:2] if isinstance(a, torch.Tensor)]
    ndim = max((len(s) for s in shapes), default=0)
    total = 1
    for axis in range(1, ndim + 1):
        total *= max((s[-axis] for s in shapes if len(s) >= axis), default=1)
    return total


def _same_as_first(args: tuple[Any, ...], kwargs: dict[str, Any]) -> int | None:
    return args[0].numel() if args and isinstance(args[0], torch.Tensor) else None


def _multinomial(args: tuple[Any, ...], kwargs: dict[str, Any]) -> int | None:
    """`num_samples` draws per row of probabilities (Categorical's sample)."""
    probs, count = args[0], _arg(args, kwargs, 1, "num_samples")
    if not isinstance(probs, torch.Tensor) or type(count) is not int or probs.dim() == 0:
        return None
    return probs.numel() // max(probs.shape[-1], 1) * max(count, 0)


def _solved(args: tuple[Any, ...], kwargs: dict[str, Any]) -> int | None:
    """A triangular solve: B's matrix size, over the broadcast of A's and B's batches."""
    a, b = args[0], args[1]
    if not isinstance(a, torch.Tensor) or not isinstance(b, torch.Tensor) or b.dim() < 2:
        return None
    batches = [a.shape[:-2], b.shape[:-2]]
    total = 1
    for axis in range(1, max(len(s) for s in batches) + 1):
        total *= max((s[-axis] for s in batches if len(s) >= axis), default=1)
    return total * b.shape[-2] * b.shape[-1]


# Ops with a Python meta kernel that gradviz programs use, by aten name.
RULES: dict[str, Rule] = {
    "cat": _joined,
    "stack": _joined,
    "mv": _mv,
    "dot": _one,
    "vdot": _one,
    "trace": _one,
    "dist": _one,
    "arange": _range,
    "linspace": _steps,
    "logspace": _steps,
    "randperm": _first_int,
    "eye": _eye,
    "randint": _sized(1),
    "repeat": _repeat,
    "index": _index,
    "embedding": _embedding,
    "convolution": _convolution,
    "_adaptive_avg_pool2d": _resized,
    "adaptive_max_pool2d": _resized,
    "upsample_nearest2d": _resized,
    "upsample_bilinear2d": _resized,
    "nonzero": _nonzero,
    "tril": _same_as_first,
    "triu": _same_as_first,
    "flip": _same_as_first,
    "roll": _same_as_first,
    "hardswish": _same_as_first,
    "log_sigmoid_forward": _same_as_first,
    "native_group_norm": _same_as_first,
    "linalg_cross": _broadcast,
    "multinomial": _multinomial,
    # MultivariateNormal's factorisation (their meta kernels import sympy: a second, once)
    "linalg_cholesky_ex": _same_as_first,
    "_linalg_check_errors": lambda args, kwargs: 0,
    "linalg_solve_triangular": _solved,
    "allclose": lambda args, kwargs: 0,
    "equal": lambda args, kwargs: 0,
}

# Ops that make indices (int64) whatever their inputs are.
INDEX_RESULTS = {"randperm", "nonzero", "randint", "multinomial"}
# Ops with two outputs of that size (values and indices, output and buffer).
TWO_OUTPUTS = {"adaptive_max_pool2d", "log_sigmoid_forward"}


def predicted_numel(
    name: str, overload: str, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> int | None:
    """Elements of the op's (largest) output, or None where there is no rule or it cannot tell."""
    rule = RULES.get(name)
    if rule is None or kwargs.get("out") is not None:
        return None
    if name == "randint" and overload == "low":
        return _sized(2)(args, kwargs)
    try:
        return rule(args, kwargs)
    except (IndexError, TypeError, ValueError, AttributeError):
        return None  # unusual arguments: let the meta device (or torch) decide


def data_numel(data: object, limit: int) -> int:
    """The elements torch.tensor(data) would hold: the numbers in nested lists and tuples
    (a tensor among them, its elements), each list counted as often as it recurs but walked
    once — `[row] * 100000` is a hundred thousand rows for the price of one. Stops counting
    past `limit` (returning a number over it), so torch never walks or allocates it first."""
    seen: dict[int, int] = {}

    def count(value: object, total: int) -> int:
        if isinstance(value, torch.Tensor):
            return int(value.numel())
        if not isinstance(value, (list, tuple)):
            return 1
        known = seen.get(id(value))
        if known is not None:
            return known
        inner = 0
        for item in value:
            inner += count(item, total + inner)
            if total + inner > limit:
                return inner  # (not remembered: a partial count)
        seen[id(value)] = inner
        return inner

    return count(data, 0)
