"""Example programs shipped inside the package (the lecture's, and a few more)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources


@dataclass(frozen=True)
class Example:
    """One example program: its file name, a title from its first comment, and its text."""

    name: str
    title: str
    source: str


def _title(name: str, source: str) -> str:
    """The first comment's first sentence (or what comes before its colon): the comment may
    run on mid-sentence into the next line, which the menu does not show."""
    first = source.splitlines()[0] if source else ""
    if not first.startswith("#"):
        return name
    title = first.lstrip("# ").split(":")[0]
    title = re.split(r"(?<=[.?!])\s", title, maxsplit=1)[0]
    return title.rstrip(".")


def examples() -> list[Example]:
    """All examples, in menu order (by file name)."""
    folder = resources.files("gradviz.resources").joinpath("examples")
    found = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".py"):
            source = entry.read_text(encoding="utf-8")
            found.append(Example(entry.name, _title(entry.name, source), source))
    return found


def example(name: str) -> Example:
    for item in examples():
        if item.name == name or item.name.split("_", 1)[-1] == name:
            return item
    raise KeyError(name)
