"""The for loop to write instead of a refused comprehension, made from the program's own
comprehension (`params = [p for l in layers for p in l.parameters()]` → its loop)."""

from __future__ import annotations

import ast
import copy

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
    """id(comprehension node) → "write the loop instead: `a = []` / `for …:` / `    a.append(…)`"
    for each comprehension assigned to one name (or summed into one); one used inside a
    statement (`print(''.join(itos[i] for i in out))`) gets the loop that makes its values
    under a new name, then the statement with that name in its place."""
    found: dict[int, str] = {}
    taken = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
        ):
            value = node.value
            lines = _suggestion(node.targets[0].id, value)
            if lines:  # (a summed comprehension: the call's argument)
                _offer(found, value.args[0] if isinstance(value, ast.Call) else value, lines)
                continue
        if isinstance(node, (ast.Expr, ast.Assign, ast.AugAssign, ast.Return)):
            for parent in ast.walk(node):
                for child in ast.iter_child_nodes(parent):
                    if isinstance(child, (ast.ListComp, ast.GeneratorExp, ast.DictComp)):
                        _offer(found, child, _inside(node, parent, child, taken))
    return found


def _offer(found: dict[int, str], refused: ast.AST, lines: list[str]) -> None:
    text = " / ".join(f"`{line}`" for line in lines)
    if lines and len(text) <= MAX_SHOWN and id(refused) not in found:
        found[id(refused)] = f"write the loop instead: {text}"


def _inside(
    statement: ast.stmt, parent: ast.AST, comprehension: ast.expr, taken: set[str]
) -> list[str]:
    """The loop that makes the comprehension's values, then `statement` using them."""
    if len(ast.unparse(statement)) > MAX_SHOWN:
        return []  # too long to show (and each node below would be unparsed in turn)
    summed = (
        isinstance(parent, ast.Call)
        and isinstance(parent.func, ast.Name)
        and parent.func.id == "sum"
        and parent.args == [comprehension]
        and not parent.keywords
    )
    name = _fresh(
        "total" if summed else "table" if isinstance(comprehension, ast.DictComp) else "items",
        taken,
    )
    replaced: ast.AST = parent if summed else comprehension
    if summed:
        assert isinstance(comprehension, (ast.ListComp, ast.GeneratorExp))
        lines = [
            f"{name} = 0",
            *_loops(comprehension, f"{name} += {ast.unparse(comprehension.elt)}"),
        ]
    else:
        lines = _suggestion(name, comprehension)
        if not lines:  # a generator expression: its values as a list
            assert isinstance(comprehension, ast.GeneratorExp)
            lines = [
                f"{name} = []",
                *_loops(comprehension, f"{name}.append({ast.unparse(comprehension.elt)})"),
            ]
    rewritten = _Replace(replaced, name).visit(copy.deepcopy(statement))
    return [*lines, ast.unparse(rewritten)]


def _fresh(base: str, taken: set[str]) -> str:
    name, k = base, 2
    while name in taken:
        name, k = f"{base}{k}", k + 1
    return name


class _Replace(ast.NodeTransformer):
    """The expression that unparses as `target` replaced by the name `name`."""

    def __init__(self, target: ast.AST, name: str) -> None:
        self.target = ast.unparse(target)
        self.name = name
        self.done = False

    def generic_visit(self, node: ast.AST) -> ast.AST:
        if not self.done and isinstance(node, ast.expr) and ast.unparse(node) == self.target:
            self.done = True
            return ast.Name(self.name, ast.Load())
        return super().generic_visit(node)
