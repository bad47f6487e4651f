"""The for loop to write instead of a refused comprehension, made from the program's own
comprehension (`params = [p for l in layers for p in l.parameters()]` → its loop)."""

from __future__ import annotations

import ast

MAX_SHOWN = 240  # characters of the suggested loop in a one-line message


def _loops(comprehension: ast.ListComp | ast.DictComp | ast.GeneratorExp, body: str) -> list[str]:
    """The nested `for` / `if` lines of a comprehension around its innermost statement."""
    lines: list[str] = []
    depth = 0
    for generator in comprehension.generators:
        if generator.is_async:
            return []
        names = generator.target
        parts = names.elts if isinstance(names, ast.Tuple) else [names]
        target = ", ".join(ast.unparse(part) for part in parts)  # `for k, v in`, not `(k, v)`
        source = ast.unparse(generator.iter)
        lines.append("    " * depth + f"for {target} in {source}:")
        depth += 1
        for condition in generator.ifs:
            lines.append("    " * depth + f"if {ast.unparse(condition)}:")
            depth += 1
    lines.append("    " * depth + body)
    return lines


def _suggestion(name: str, value: ast.expr) -> list[str]:
    if isinstance(value, ast.ListComp):
        return [f"{name} = []", *_loops(value, f"{name}.append({ast.unparse(value.elt)})")]
    if isinstance(value, ast.DictComp):
        item = f"{name}[{ast.unparse(value.key)}] = {ast.unparse(value.value)}"
        return [f"{name} = {{}}", *_loops(value, item)]
    if (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Name)
        and value.func.id == "sum"
        and len(value.args) == 1
        and not value.keywords
        and isinstance(value.args[0], (ast.GeneratorExp, ast.ListComp))
    ):
        generator = value.args[0]
        return [f"{name} = 0", *_loops(generator, f"{name} += {ast.unparse(generator.elt)}")]
    return []


def loop_rewrites(tree: ast.Module) -> dict[int, str]:
    """id(comprehension node) → "write instead: `a = []` / `for …:` / `    a.append(…)`" for
    each comprehension assigned to one name (or summed into one)."""
    found: dict[int, str] = {}
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
        ):
            continue
        lines = _suggestion(node.targets[0].id, node.value)
        text = " / ".join(f"`{line}`" for line in lines)
        if lines and len(text) <= MAX_SHOWN:
            refused = node.value.args[0] if isinstance(node.value, ast.Call) else node.value
            found[id(refused)] = f"write the loop instead: {text}"
    return found
