"""The methods a program may call on its dicts, lists and sets, each bounded like the
operators are (a list that extends itself in a loop is refused, not left to fill the memory)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gradviz.lang.builtins import bounded_list
from gradviz.lang.limits import DEFAULT_LIMITS
from gradviz.lang.objects import plain_set

DICT_METHODS: dict[str, Callable[..., Any]] = {  # lists, not views: loops may change the dict
    "items": lambda d: list(d.items()),
    "keys": lambda d: list(d.keys()),
    "values": lambda d: list(d.values()),
    "get": lambda d, key, default=None: d.get(key, default),
}


def _extend(items: list[Any], more: Any) -> None:
    """list.extend, refused past the size `+` allows a list (`l.extend(l)` in a loop doubles
    it each time: forty rounds had filled this machine's memory)."""
    more = bounded_list(more, DEFAULT_LIMITS, "extend()")
    limit = DEFAULT_LIMITS.max_literal_elements
    if len(items) + len(more) > limit:
        raise ValueError(f"this list would hold over {limit:,} items")
    items.extend(more)


LIST_METHODS: dict[str, Callable[..., Any]] = {
    "append": list.append,
    "extend": _extend,
    "index": list.index,
    "count": list.count,
    "pop": list.pop,
    "insert": list.insert,
    "remove": list.remove,
    "reverse": list.reverse,
    "sort": list.sort,
    "clear": list.clear,
    "copy": list.copy,
}


def _items(values: Any) -> set[Any]:
    """What a set method is given, as a set of plain values: no more than a list may hold."""
    return plain_set(bounded_list(values, DEFAULT_LIMITS, "set()"))


SET_METHODS: dict[str, Callable[..., Any]] = {
    "add": lambda s, item: s.update(plain_set([item])),
    "update": lambda s, items: s.update(_items(items)),
    "discard": set.discard,
    "remove": set.remove,
    "union": lambda s, other: s | _items(other),
    "intersection": lambda s, other: s & _items(other),
    "difference": lambda s, other: s - _items(other),
    "issubset": lambda s, other: s <= _items(other),
}
