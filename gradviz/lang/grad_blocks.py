"""A program's statements in order, each with whether it runs inside `with torch.no_grad():`
(as the syntax shows it): what the hints that read a program's assignments walk."""

from __future__ import annotations

import ast
from collections.abc import Iterator


def no_grad_block(node: ast.With) -> bool:
    return any("no_grad" in ast.dump(item.context_expr) for item in node.items)


def statements(tree: ast.Module, into_functions: bool) -> Iterator[tuple[ast.stmt, bool]]:
    """Every statement of the program, in its blocks and loops (and in function and class
    bodies where `into_functions`), with whether it runs under no_grad."""

    def visit(body: list[ast.stmt], under: bool) -> Iterator[tuple[ast.stmt, bool]]:
        for stmt in body:
            yield stmt, under
            if not into_functions and isinstance(stmt, (ast.FunctionDef, ast.ClassDef)):
                continue
            inner = under or (isinstance(stmt, ast.With) and no_grad_block(stmt))
            for field in ("body", "orelse", "finalbody"):
                block = getattr(stmt, field, None)
                if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                    yield from visit(block, inner)

    yield from visit(tree.body, False)
