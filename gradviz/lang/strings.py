"""The string methods a program may call, each refusing a result longer than the string limit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gradviz.lang.limits import DEFAULT_LIMITS

MAX_CHARS = DEFAULT_LIMITS.max_string_chars
MAX_WIDTH = 200  # as for format widths


def _bounded(length: int, what: str) -> None:
    if length > MAX_CHARS:
        raise ValueError(
            f"{what} would make a string of {length:,} characters (limit {MAX_CHARS:,})"
        )


def _join(sep: str, items: Any) -> str:
    if not isinstance(items, (list, tuple)):
        raise TypeError("join() takes a list or tuple of strings")
    if not all(isinstance(item, str) for item in items):
        kind = next(type(item).__name__ for item in items if not isinstance(item, str))
        raise TypeError(f"join() takes strings, not {kind}: use str(x) for each")
    _bounded(sum(len(item) for item in items) + len(sep) * max(len(items) - 1, 0), "join()")
    return sep.join(items)


def _replace(text: str, old: str, new: str, count: int = -1) -> str:
    found = len(text) + 1 if old == "" else text.count(old)
    times = found if count < 0 else min(found, count)
    _bounded(len(text) + times * (len(new) - len(old)), "replace()")
    return text.replace(old, new, count)


def _padded(method: Callable[..., str]) -> Callable[..., str]:
    def pad(text: str, width: int, *fill: str) -> str:
        if not isinstance(width, int) or width > MAX_WIDTH:
            raise ValueError(f"a width over {MAX_WIDTH} is not allowed")
        return method(text, width, *fill)

    return pad


STR_METHODS: dict[str, Callable[..., Any]] = {
    "join": _join,
    "replace": _replace,
    "split": str.split,
    "strip": str.strip,
    "lstrip": str.lstrip,
    "rstrip": str.rstrip,
    "upper": str.upper,
    "lower": str.lower,
    "title": str.title,
    "capitalize": str.capitalize,
    "startswith": str.startswith,
    "endswith": str.endswith,
    "ljust": _padded(str.ljust),
    "rjust": _padded(str.rjust),
    "center": _padded(str.center),
    "zfill": _padded(str.zfill),
    "count": str.count,
    "find": str.find,
    "isdigit": str.isdigit,
}
