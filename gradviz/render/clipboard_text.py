"""A value's full text for the clipboard: every element, written so that Python reads it back."""

from __future__ import annotations

import sys

import numpy as np
import torch

# A 100×100 matrix: written in 0.05 s here (100,000 elements took 4 s, 1.7 MB of text); a
# larger tensor is a summary and a heatmap on screen, and no text to read anyway.
MAX_COPIED_ELEMENTS = 10_000
# dtypes numpy has no type for: their values are exact in float32
_WIDENED = {torch.bfloat16: torch.float32, torch.float16: torch.float32}


def copyable(value: torch.Tensor | float | int | bool | None) -> bool:
    """Whether full_text has a text for `value` (cheap: nothing is written)."""
    if isinstance(value, torch.Tensor):
        return value.numel() <= MAX_COPIED_ELEMENTS
    return value is not None


def full_text(value: torch.Tensor | float | int | bool | None) -> str | None:
    """Every element of `value` (nested lists for a tensor, `[[1.5, -2.0], …]`; a number as
    Python writes it), each float with the fewest digits that give back exactly its value in
    its own dtype; None where there is nothing to copy or more than MAX_COPIED_ELEMENTS."""
    if not copyable(value):
        return None
    if not isinstance(value, torch.Tensor):
        return repr(value)
    tensor = value.detach().cpu().resolve_conj().resolve_neg()
    tensor = tensor.to(_WIDENED.get(tensor.dtype, tensor.dtype))
    return np.array2string(
        tensor.numpy(),
        separator=", ",
        threshold=sys.maxsize,  # never "..."
        floatmode="unique",  # float32 0.1 as 0.1, not 0.10000000149011612
        max_line_width=100,
    )
