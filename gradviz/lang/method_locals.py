"""A layer kept in a name of a method (`fc = nn.Linear(…)` in __init__) and read as `self.fc`
later: found in the class's methods and said, for the static check and the run alike."""

from __future__ import annotations

import ast
from collections.abc import Iterable


def method_local(methods: Iterable[ast.FunctionDef], name: str) -> int | None:
    """The line of the first `name = …` in these methods, if there is one."""
    for method in methods:
        for node in ast.walk(method):
            if isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Store):
                return node.lineno
    return None


def never_set(name: str, line: int) -> str:
    return (
        f"`self.{name}` is never set: line {line} assigns `{name}` as a name of its method only, "
        f"gone when the method returns; write `self.{name} = …` there to keep it on the object"
    )
