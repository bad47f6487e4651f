"""A script's boilerplate that means nothing to a gradviz program: type hints (`x: float =
2.0` is `x = 2.0`), imports from __future__ and typing, and the `if __name__ == "__main__":`
guard (a program always runs as the main script)."""

from __future__ import annotations

import ast

IGNORED_MODULES = frozenset({"__future__", "typing", "typing_extensions"})


def strip_boilerplate(tree: ast.Module) -> dict[str, str]:
    """Rewrite `tree` in place: annotations go (an annotated assignment becomes a plain one,
    a bare `x: int` becomes `pass`), imports from IGNORED_MODULES disappear, and the main
    guard's test becomes True. Returns the names those imports would have bound (`List` →
    `typing`), which the program may then not read."""
    dropped: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.arg):
            node.annotation = None
        elif isinstance(node, ast.FunctionDef):
            node.returns = None
        for field in ("body", "orelse", "finalbody"):
            statements = getattr(node, field, None)
            if isinstance(statements, list):
                dropped.update(_dropped_names(statements))
                statements[:] = [_plain(statement) for statement in statements]
    return dropped


def _dropped_names(statements: list[ast.stmt]) -> dict[str, str]:
    names: dict[str, str] = {}
    for statement in statements:
        if _ignored_import(statement) and isinstance(statement, (ast.Import, ast.ImportFrom)):
            module = statement.module if isinstance(statement, ast.ImportFrom) else None
            for alias in statement.names:
                bound = alias.asname or alias.name.split(".")[0]
                names[bound] = module or alias.name
    return names


def _plain(statement: ast.stmt) -> ast.stmt:
    if isinstance(statement, ast.AnnAssign):
        if statement.value is None:
            return ast.copy_location(ast.Pass(), statement)
        assign = ast.Assign(targets=[statement.target], value=statement.value)
        return ast.copy_location(assign, statement)
    if _ignored_import(statement):
        return ast.copy_location(ast.Pass(), statement)
    if isinstance(statement, ast.If) and _is_main_guard(statement.test):
        statement.test = ast.copy_location(ast.Constant(True), statement.test)
    return statement


def _ignored_import(statement: ast.stmt) -> bool:
    if isinstance(statement, ast.ImportFrom):
        return statement.level == 0 and statement.module in IGNORED_MODULES
    if isinstance(statement, ast.Import):
        return all(alias.name in IGNORED_MODULES for alias in statement.names)
    return False


def _is_main_guard(test: ast.expr) -> bool:
    """`__name__ == "__main__"`, either way round."""
    if not (
        isinstance(test, ast.Compare)
        and len(test.ops) == 1
        and isinstance(test.ops[0], ast.Eq)
        and len(test.comparators) == 1
    ):
        return False
    sides = {_kind(test.left), _kind(test.comparators[0])}
    return sides == {"name", "main"}


def _kind(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name) and node.id == "__name__":
        return "name"
    if isinstance(node, ast.Constant) and node.value == "__main__":
        return "main"
    return None
