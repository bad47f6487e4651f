"""torch's results of several tensors (`x.max(dim=1)` is (values, indices)), used as if they were
one tensor: said with their fields, instead of Python's "bool has no attribute" after `==` made
a plain False out of a pair and a tensor."""

from __future__ import annotations

from typing import Any


def is_result_pair(value: object) -> bool:
    return type(value).__module__ == "torch.return_types"


def pair_hint(value: object, code: str | None = None) -> str:
    """What to say when `value` (torch's result of several tensors) is used as one tensor."""
    name = type(value).__name__
    fields = _fields(value)
    shown = f"`{code}`" if code else f"what {name}() returns"
    if not fields:
        return f"{shown} holds several tensors, not one: take one of them by its name"
    picked = " or ".join(f"`.{f}`" for f in fields)
    said = f"{shown} holds {len(fields)} tensors ({', '.join(fields)}), not one: take {picked}"
    if name == "max" and fields == ["values", "indices"]:
        said += " (the predicted classes are `.indices`, as `.argmax(dim=1)` gives them)"
    return said


def check_comparable(left: Any, right: Any) -> None:
    """`pred == y` where `pred` is such a result: Python's == would answer a plain False."""
    for value in (left, right):
        if is_result_pair(value):
            raise TypeError(pair_hint(value))


def _fields(value: object) -> list[str]:
    """Its fields in torch's order, as its repr lists them (`values=tensor(...)`)."""
    names = []
    for line in repr(value).splitlines():
        head = line.strip().split("=", 1)[0]
        if "=" in line and head.isidentifier():
            names.append(head)
    return names
