"""Formatting values for a program's prints: str.format and f-string specs, checked (positional
fields only, bounded widths, a number's format given one number)."""

from __future__ import annotations

import string
from typing import Any

import torch


def safe_format(template: str, *args: Any) -> str:
    """str.format limited to positional fields: `{}`, `{0}`, `{:.3f}` (never `{0.attr}`)."""
    out: list[str] = []
    auto = 0
    for literal, field, spec, conversion in string.Formatter().parse(template):
        out.append(literal)
        if field is None:
            continue
        if field == "":
            index = auto
            auto += 1
        elif field.isdigit():
            index = int(field)
        else:
            raise ValueError(f"format field {{{field}}} is not allowed; use {{}} or {{0}}")
        if index >= len(args):
            raise IndexError(f"format string needs argument {index}, got {len(args)}")
        value = args[index]
        if conversion == "r":
            value = repr(value)
        elif conversion in ("s", "a"):
            value = str(value)
        out.append(format_value(value, spec or ""))
    return "".join(out)


def format_value(value: Any, spec: str) -> str:
    """format() with the spec checked: no nested fields, no absurd widths."""
    if "{" in spec or "}" in spec:
        raise ValueError("nested format fields are not allowed")
    digits = "".join(ch if ch.isdigit() else " " for ch in spec).split()
    if any(int(d) > 200 for d in digits if len(d) < 6) or any(len(d) >= 6 for d in digits):
        raise ValueError("format width or precision over 200 is not allowed")
    if spec and isinstance(value, torch.Tensor) and value.dim() != 0:
        shape = "×".join(str(n) for n in value.shape)  # (torch formats 0-d tensors only)
        raise ValueError(
            f"a format like `:{spec}` writes one number, and this is a tensor of shape {shape}: "
            "format its `.item()` where it holds one number, or print the tensor (or its "
            "`.tolist()`) without a format"
        )
    return format(value, spec)
