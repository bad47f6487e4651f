"""Upper bounds on the parameters and buffers a torch.nn layer's constructor makes, worked out
from its arguments, so that it can be checked once and built without a Python call per op."""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from gradviz.lang.errors import ProgramError

if TYPE_CHECKING:
    from gradviz.lang.guard import AllocationGuard

Arguments = dict[str, Any]
Rule = Callable[[Arguments], list[int] | None]  # element counts of the tensors made


def _count(value: Any) -> int | None:
    """A size argument: a non-negative int (not a bool), else None."""
    if type(value) is int and value >= 0:
        return value
    return None


def _kernel(value: Any, dims: int) -> int | None:
    """The elements of a kernel given as an int or a tuple of `dims` ints."""
    if type(value) is int:
        return value**dims if value >= 0 else None
    if isinstance(value, (tuple, list)) and len(value) == dims:
        sizes = [_count(v) for v in value]
        return math.prod(s for s in sizes if s is not None) if None not in sizes else None
    return None


def _linear(a: Arguments) -> list[int] | None:
    n_in, n_out = _count(a["in_features"]), _count(a["out_features"])
    return None if n_in is None or n_out is None else [n_in * n_out, n_out]


def _bilinear(a: Arguments) -> list[int] | None:
    first, second = _count(a["in1_features"]), _count(a["in2_features"])
    out = _count(a["out_features"])
    if first is None or second is None or out is None:
        return None
    return [out * first * second, out]


def _convolution(dims: int) -> Rule:
    def rule(a: Arguments) -> list[int] | None:
        n_in, n_out = _count(a["in_channels"]), _count(a["out_channels"])
        kernel = _kernel(a["kernel_size"], dims)
        if n_in is None or n_out is None or kernel is None:
            return None
        return [n_in * n_out * kernel, n_out]  # groups only make the weight smaller

    return rule


def _batch_norm(a: Arguments) -> list[int] | None:
    channels = _count(a["num_features"])
    return None if channels is None else [channels] * 4 + [1]


def _layer_norm(a: Arguments) -> list[int] | None:
    shape = a["normalized_shape"]
    elements = _kernel(shape, len(shape)) if isinstance(shape, (tuple, list)) else _count(shape)
    return None if elements is None else [elements, elements]


def _group_norm(a: Arguments) -> list[int] | None:
    channels = _count(a["num_channels"])
    return None if channels is None or _count(a["num_groups"]) is None else [channels] * 2


def _embedding(a: Arguments) -> list[int] | None:
    if a.get("_weight") is not None:
        return None
    rows, width = _count(a["num_embeddings"]), _count(a["embedding_dim"])
    return None if rows is None or width is None else [rows * width]


def _attention_tensors(width: int, kdim: int, vdim: int) -> list[int]:
    """nn.MultiheadAttention's parameters: one packed q/k/v projection (or three where the
    keys or values have their own width), its bias, the output projection, bias_k/bias_v."""
    packed = (
        [3 * width * width]
        if kdim == vdim == width
        else [width * width, width * kdim, width * vdim]
    )
    return [*packed, 3 * width, width * width, width, width, width]


def _attention(a: Arguments) -> list[int] | None:
    width = _count(a["embed_dim"])
    kdim = width if a["kdim"] is None else _count(a["kdim"])
    vdim = width if a["vdim"] is None else _count(a["vdim"])
    if width is None or kdim is None or vdim is None or _count(a["num_heads"]) is None:
        return None
    return _attention_tensors(width, kdim, vdim)


def _encoder_layer(a: Arguments) -> list[int] | None:
    width, hidden = _count(a["d_model"]), _count(a["dim_feedforward"])
    if width is None or hidden is None or _count(a["nhead"]) is None:
        return None
    feed_forward = [hidden * width, hidden, width * hidden, width]
    return [*_attention_tensors(width, width, width), *feed_forward, *[width] * 4]


RULES: dict[type[nn.Module], Rule] = {
    nn.Linear: _linear,
    nn.Bilinear: _bilinear,
    nn.Conv1d: _convolution(1),
    nn.Conv2d: _convolution(2),
    nn.ConvTranspose2d: _convolution(2),
    nn.BatchNorm1d: _batch_norm,
    nn.BatchNorm2d: _batch_norm,
    nn.LayerNorm: _layer_norm,
    nn.GroupNorm: _group_norm,
    nn.Embedding: _embedding,
    nn.MultiheadAttention: _attention,
    nn.TransformerEncoderLayer: _encoder_layer,
}


@functools.cache
def _signature(cls: type[nn.Module]) -> inspect.Signature:
    return inspect.signature(cls)


_PLAIN = inspect.Parameter.POSITIONAL_OR_KEYWORD


@functools.cache
def _plain_parameters(cls: Any) -> tuple[tuple[str, ...], dict[str, Any]] | None:
    """The constructor's parameter names and defaults where each is an ordinary one (no
    *args, **kwargs or keyword-only): then binding is a zip, not inspect's general walk."""
    parameters = list(_signature(cls).parameters.values())
    if any(p.kind is not _PLAIN for p in parameters):
        return None
    names = tuple(p.name for p in parameters)
    return names, {p.name: p.default for p in parameters if p.default is not p.empty}


def _bound(cls: Any, args: list[Any], kwargs: dict[str, Any]) -> Arguments | None:
    """Every constructor argument by name, defaults filled in; None where they do not fit
    (the constructor itself then reports them)."""
    plain = _plain_parameters(cls)
    if plain is None:
        try:
            bound = _signature(cls).bind(*args, **kwargs)
        except TypeError:
            return None
        bound.apply_defaults()
        return dict(bound.arguments)
    names, defaults = plain
    if len(args) > len(names):
        return None
    arguments = dict(zip(names, args, strict=False))
    for name, value in kwargs.items():
        if name in arguments or name not in names:
            return None
        arguments[name] = value
    for name in names:
        if name not in arguments:
            if name not in defaults:
                return None
            arguments[name] = defaults[name]
    return arguments


def layer_sizes(cls: Any, args: list[Any], kwargs: dict[str, Any]) -> list[tuple[int, int]] | None:
    """(elements, bytes per element) of each tensor `cls(*args, **kwargs)` would make, at most;
    None where there is no rule for `cls` or its arguments are not plain sizes (then the
    constructor runs op by op under the allocation guard instead)."""
    rule = RULES.get(cls) if isinstance(cls, type) else None
    if rule is None:
        return None
    arguments = _bound(cls, args, kwargs)
    if arguments is None:
        return None  # the constructor itself reports the wrong arguments
    device, dtype = arguments.get("device"), arguments.get("dtype")
    if device is not None and not isinstance(device, (str, torch.device)):
        return None
    if dtype is not None and not isinstance(dtype, torch.dtype):
        return None
    try:
        elements = rule(arguments)
    except (KeyError, TypeError, ValueError):
        return None
    if elements is None:
        return None
    element_size = (dtype or torch.get_default_dtype()).itemsize
    return [(n, element_size) for n in elements]


def build_layer(
    guard: AllocationGuard, sizes: list[tuple[int, int]], construct: Callable[[], nn.Module]
) -> nn.Module:
    """A layer whose tensors are bounded by `sizes` (layer_sizes): checked once, then built
    without the guard's Python call per op (~15 % of a 20-layer MLP's trace) and counted by
    the guard afterwards, like the tensors it saw made."""
    guard.check(sizes)
    with guard.suspended():
        layer = construct()
    if layer._modules:
        made = [*layer.parameters(), *layer.buffers()]
    else:  # (a layer without sub-layers holds its tensors itself)
        held = (*layer._parameters.values(), *layer._buffers.values())
        made = list({id(t): t for t in held if t is not None}.values())
    actual = sorted((t.numel() for t in made), reverse=True)
    allowed = sorted((n for n, _ in sizes), reverse=True)
    if len(actual) > len(allowed) or any(a > b for a, b in zip(actual, allowed, strict=False)):
        raise ProgramError("internal error: a layer made more than its size rule allows")
    guard.adopt(made)
    return layer
