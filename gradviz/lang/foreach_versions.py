"""The version counters of tensors a foreach op writes in place, moved as torch moves them outside
a dispatch mode (under one, torch 2.13 leaves them unchanged: pytorch/pytorch#191154, open)."""

from __future__ import annotations

from typing import Any

import torch

# op → positions of the arguments it writes in place (empty: an op torch bumps itself)
_UNVERSIONED: dict[Any, tuple[int, ...]] = {}


def unversioned_writes(func: Any) -> tuple[int, ...]:
    """Where a foreach in-place op (`_foreach_mul_`: clip_grad_norm_, foreach optimizers, the
    default on CUDA) takes the tensors it writes, or () for any other op. (Fused optimizers'
    `_fused_adam_` moves no version outside a mode either: left as torch leaves it.)"""
    known = _UNVERSIONED.get(func)
    if known is None:
        name = func._schema.name.split("::")[-1]
        known = ()
        if name.startswith("_foreach_"):
            arguments = func._schema.arguments
            known = tuple(
                i
                for i, a in enumerate(arguments)
                if a.alias_info is not None and a.alias_info.is_write
            )
        _UNVERSIONED[func] = known
    return known


def run_versioned(func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """func(*args, **kwargs) inside a dispatch mode, with the version counter of every tensor a
    foreach op wrote in place moved on, as torch does outside one: autograd's check of
    saved tensors ("modified by an inplace operation") and gradviz's own (a `.grad` never
    zeroed, a weight stepped before backward) read them."""
    positions = unversioned_writes(func)
    if not positions:
        return func(*args, **kwargs)
    tensors: list[torch.Tensor] = []
    for i in positions:
        if i < len(args):
            arg = args[i]
            tensors.extend([arg] if isinstance(arg, torch.Tensor) else arg)
    before = [t._version for t in tensors]
    out = func(*args, **kwargs)
    unchanged = [t for t, v in zip(tensors, before, strict=True) if t._version == v]
    if unchanged:
        torch.autograd.graph.increment_version(unchanged)
    return out
