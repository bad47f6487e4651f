"""The devices gradviz runs programs, surfaces and landscapes on (the CPU and CUDA GPUs), and a
clear error for any other, or for a GPU this machine does not have."""

from __future__ import annotations

import torch

from gradviz.lang.errors import ProgramError


def checked_device(name: str) -> torch.device:
    """`name` ("cpu", "cuda", "cuda:1") as a torch.device this machine has; ProgramError if not."""
    try:
        device = torch.device(name)
    except (RuntimeError, TypeError):
        raise ProgramError(f"unknown device {name!r}: use cpu or cuda") from None
    if device.type == "cpu":
        return device
    if device.type != "cuda":
        raise ProgramError(f"gradviz runs on cpu or cuda, not {name!r}")
    if not torch.cuda.is_available():
        raise ProgramError("CUDA is not available on this machine; use --device cpu")
    count = torch.cuda.device_count()
    if device.index is not None and device.index >= count:
        plural = "s" if count != 1 else ""
        raise ProgramError(
            f"there is no {name}: this machine has {count} CUDA device{plural} "
            f"(cuda:0{f' to cuda:{count - 1}' if count > 1 else ''})"
        )
    return device
