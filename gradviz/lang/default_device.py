"""What torch's default-device mode leaves on the CPU, put on the program's device: torch.normal
with numbers for its mean and std, torch.Generator(), and the generator that shuffles data."""

from __future__ import annotations

from typing import Any

import torch


def placed_kwargs(qualname: str, args: list[Any], kwargs: dict[str, Any]) -> dict[str, Any]:
    """`kwargs`, with the default device added where the call would otherwise make its object
    on the CPU. torch.normal(0, 1, (100, 2)) (numbers for mean and std) is no factory torch's
    device mode knows, so under a CUDA default its tensor met CUDA ones and failed; and
    torch.Generator() made a CPU generator, which torch.randn(…, generator=g) then refused
    for a CUDA tensor (makemore's `g = torch.Generator().manual_seed(2147483647)`)."""
    if qualname not in ("torch.normal", "torch.Generator") or "device" in kwargs:
        return kwargs
    device = torch.get_default_device()
    if device.type == "cpu":
        return kwargs
    if qualname == "torch.Generator":
        return kwargs if args else {**kwargs, "device": device}
    given = [*args[:2], kwargs.get("mean"), kwargs.get("std")]
    if any(isinstance(value, torch.Tensor) for value in given):
        return kwargs  # normal(tensor, …) makes its tensor where its mean and std are
    return {**kwargs, "device": device}


def shuffle_generator() -> torch.Generator | None:
    """The generator for DataLoader's shuffling and random_split: None on the CPU (torch's own
    behaviour), else one on the default device, seeded from that device's global stream as
    RandomSampler seeds its own. torch's CPU generator fails under a CUDA default ("Expected a
    'cuda' device type for generator but found 'cpu'")."""
    device = torch.get_default_device()
    if device.type == "cpu":
        return None
    seed = int(torch.empty((), dtype=torch.int64).random_().item())
    return torch.Generator(device=device).manual_seed(seed)
