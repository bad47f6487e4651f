"""What a loop goes through one item at a time: iter() of a list or a DataLoader, a generator
the program defined; bounded like every loop, and the signals `break` and `continue` send."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

END = object()  # the end of a loop's items


class LoopBreak(Exception):
    """`break`: leaves the innermost loop."""


class LoopContinue(Exception):
    """`continue`: goes on with the innermost loop's next item."""


class Exhausted(Exception):
    """next() of an iterator with no items left (Python raises StopIteration)."""

    def __init__(self) -> None:
        super().__init__("StopIteration: the iterator has no items left")


class ProgramIterator:
    """An iterator a program holds (`it = iter(loader)`, or a call of a function with
    `yield`): next() takes one item; no more than `limit` items in all."""

    __slots__ = ("_count", "_items", "_limit", "kind", "name")

    def __init__(self, items: Iterator[Any], limit: int, kind: str, name: str = "") -> None:
        self._items, self._limit, self._count = items, limit, 0
        self.kind, self.name = kind, name  # as Python names it: "generator", "data_iter"

    def __iter__(self) -> ProgramIterator:
        return self

    def __next__(self) -> Any:
        if self._count >= self._limit:
            raise ValueError(f"this {self.kind} went on past {self._limit:,} items")
        item = next(self._items)
        self._count += 1
        return item

    def __repr__(self) -> str:
        name = f" {self.name}" if self.name else ""
        return f"<{self.kind} object{name} at {hex(id(self))}>"
