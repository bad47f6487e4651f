"""Where a program may write `yield`: as a statement of its own in a plain function (a
generator, as d2l's `data_iter`), not in an expression, a method, or at the top level."""

from __future__ import annotations

import ast

YIELDS = (ast.Yield, ast.YieldFrom)


def own_yields(function: ast.FunctionDef) -> list[ast.expr]:
    """The yields in `function`'s body, not those of functions or classes defined inside."""
    found: list[ast.expr] = []
    stack: list[ast.AST] = list(function.body)
    while stack:
        node = stack.pop()
        if isinstance(node, YIELDS):
            found.append(node)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        stack.extend(ast.iter_child_nodes(node))
    return found


def is_generator(function: ast.FunctionDef) -> bool:
    return bool(own_yields(function))


def refused_yields(nodes: list[ast.AST]) -> dict[int, str]:
    """Why each yield the language does not take is refused, by the yield node's id (the ones
    it takes are absent); `nodes`: every node of the program (the validator's one walk)."""
    refused: dict[int, str] = {}
    if not any(isinstance(node, YIELDS) for node in nodes):
        return refused  # the usual program: nothing more to look at as the user types
    statements = {
        id(node.value)
        for node in nodes
        if isinstance(node, ast.Expr) and isinstance(node.value, YIELDS)
    }
    in_functions: set[int] = set()
    methods = {
        id(item)
        for node in nodes
        if isinstance(node, ast.ClassDef)
        for item in node.body
        if isinstance(item, ast.FunctionDef)
    }
    for node in nodes:
        if not isinstance(node, ast.FunctionDef):
            continue
        yields = own_yields(node)
        in_functions.update(id(y) for y in yields)
        inner = [
            n
            for statement in node.body
            for n in ast.walk(statement)
            if isinstance(n, (ast.FunctionDef, ast.ClassDef))
        ]
        for found in yields:
            if id(node) in methods:
                refused[id(found)] = (
                    "yield in a method is not supported; write the generator as a function"
                )
            elif inner:
                refused[id(found)] = (
                    "a function with yield cannot define functions or classes inside it"
                )
            elif id(found) not in statements:
                refused[id(found)] = (
                    "yield must be a statement of its own (`yield x`), not part of an expression"
                )
    for node in nodes:
        if isinstance(node, YIELDS) and id(node) not in in_functions:
            refused[id(node)] = "'yield' outside function"
    return refused
