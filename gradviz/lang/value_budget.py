"""The bytes of plain Python values (lists, tuples, strings, dicts) one run may make in all: the
allocation guard bounds tensors, this the rest — a loop that keeps a copy of a growing list, or
of a tensor's .tolist(), each round would otherwise fill the memory in a few seconds."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

ITEM_BYTES = 8  # a reference in a list or tuple
ENTRY_BYTES = 64  # an entry of a dict or set (its hash table's share)
NUMBER_BYTES = 32  # a reference and the float or int object .tolist() makes for it


class _Budget:
    __slots__ = ("limit", "spent")

    def __init__(self, limit: int) -> None:
        self.limit, self.spent = limit, 0


_CURRENT: ContextVar[_Budget | None] = ContextVar("gradviz_value_budget", default=None)


@contextlib.contextmanager
def value_budget(limit: int) -> Iterator[None]:
    """Count what the run in this thread makes, up to `limit` bytes."""
    token = _CURRENT.set(_Budget(limit))
    try:
        yield
    finally:
        _CURRENT.reset(token)


def spend(nbytes: int) -> None:
    """`nbytes` more made; ValueError past the run's budget (none outside a run)."""
    budget = _CURRENT.get()
    if budget is None:
        return
    budget.spent += nbytes
    if budget.spent > budget.limit:
        raise ValueError(
            f"the program has made over {budget.limit >> 20:,} MiB of lists, tuples, strings "
            "and dicts in all (a loop that keeps a copy each round adds up); stopped"
        )


CONTAINERS = (str, list, tuple, dict, set)


def spend_on(value: Any) -> Any:
    """Count a value just made (a string, list, tuple, dict or set; others cost nothing here);
    return it."""
    if isinstance(value, str):
        spend(len(value))
    elif isinstance(value, (list, tuple)):
        spend(len(value) * ITEM_BYTES)
    elif isinstance(value, (dict, set)):
        spend(len(value) * ENTRY_BYTES)
    return value


def spend_on_numbers(value: Any, count: int) -> Any:
    """Count `count` numbers made as Python objects (a tensor's .tolist()); return `value`."""
    spend(count * NUMBER_BYTES)
    return value
