"""A running total of losses kept as a tensor (`total += loss` in the training loop, where
`loss.item()` was meant): every step's graph stays alive through it, and memory grows each step.
Found in the syntax (a total only printed or logged), said when it holds a graph at run time."""

from __future__ import annotations

import ast

# what reading a total for logging looks like: print(total), f"{total}", total.item(), float(total)
_LOGGING_CALLS = {"print", "float", "int", "round", "str", "format"}
_LOGGING_METHODS = {"item", "tolist", "append"}


def logged_totals(tree: ast.Module) -> set[int]:
    """ids of the `name += …` statements inside loops whose name the program only logs: reads
    it nowhere but in print, an f-string, `.item()`, `float()` or its own `+=`."""
    loops = [n for n in ast.walk(tree) if isinstance(n, (ast.For, ast.While))]
    in_loops = {
        id(n): n
        for loop in loops
        for n in ast.walk(loop)
        if isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name)
    }
    if not in_loops:
        return set()
    parents = {
        id(child): parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)
    }
    found = set()
    for key, node in in_loops.items():
        assert isinstance(node.target, ast.Name)
        name = node.target.id
        reads = [
            n
            for n in ast.walk(tree)
            if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load)
        ]
        if all(_logged(read, parents) for read in reads):
            found.add(key)
    return found


def _logged(read: ast.Name, parents: dict[int, ast.AST]) -> bool:
    """Whether this read of a total only logs it (walking up through arithmetic on it:
    `print(total / n)`)."""
    node: ast.AST = read
    while True:
        parent = parents.get(id(node))
        if parent is None:
            return False
        if isinstance(parent, (ast.BinOp, ast.UnaryOp, ast.FormattedValue)):
            node = parent
            continue
        if isinstance(parent, ast.JoinedStr):
            return True
        if isinstance(parent, ast.Attribute) and parent.attr in _LOGGING_METHODS:
            return True
        if isinstance(parent, ast.Call):
            func = parent.func
            if isinstance(func, ast.Name) and func.id in _LOGGING_CALLS:
                return True
            if isinstance(func, ast.Attribute) and func.attr in _LOGGING_METHODS:
                return True  # (history.append(total))
        return False


def accumulated_remark(name: str, code: str) -> str:
    return (
        f"`{code}` adds a tensor that carries its graph, so `{name}` keeps every step's "
        "graph alive and memory grows with each step: for a running total to print, add "
        "the number, `.item()` (or `.detach()`)"
    )
