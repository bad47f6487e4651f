"""The static rules for `def` and `class`: what may be defined where, and the attribute names a
program's own modules give themselves (`self.fc1 = nn.Linear(...)`)."""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field

from torch import nn

from gradviz.lang.user_code import grad_mode, is_super_init

Fail = Callable[[ast.AST, str], None]

MODULE_BASES = ("nn.Module", "torch.nn.Module", "Module")


@dataclass
class DefinedNames:
    """What the definitions of a program allow elsewhere in it."""

    attributes: set[str] = field(default_factory=set)  # set on `self`, and method names
    stores: set[int] = field(default_factory=set)  # ids of the `self.x` targets assigned
    exempt: set[int] = field(default_factory=set)  # ids of the nodes of `super().__init__()`


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


def check_definitions(tree: ast.Module, fail: Fail) -> DefinedNames:
    """Check every `def`, `class` and `return`, strip annotations (never evaluated), and
    gather what the definitions allow."""
    found = DefinedNames()
    _visit(tree, "", fail, found)
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id == "super" and id(node) not in found.exempt:
            fail(node, "`super()` is only supported as `super().__init__()` in a module's "
                 "__init__")  # fmt: skip
    return found


def _visit(node: ast.AST, inside: str, fail: Fail, found: DefinedNames) -> None:
    """Check the definitions under `node`; `inside`: "", "function" or "class"."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.FunctionDef):
            _check_function(child, fail)
            _visit(child, "function", fail, found)
        elif isinstance(child, ast.ClassDef):
            if inside:
                fail(child, "classes can only be defined at the top level")
            _check_class(child, fail, found)
            _visit(child, "class", fail, found)
        elif isinstance(child, ast.Return) and inside != "function":
            fail(child, "`return` outside a function")
        else:
            _visit(child, inside, fail, found)


def _check_function(node: ast.FunctionDef, fail: Fail) -> None:
    args = node.args
    if node.decorator_list and grad_mode(node) is None:
        fail(node.decorator_list[0], "decorators are not supported, but for `@torch.no_grad()`"
             ", `@torch.enable_grad()` and `@torch.inference_mode()`")  # fmt: skip
    if args.vararg is not None or args.kwarg is not None:
        fail(node, f"`{node.name}`: `*args` and `**kwargs` parameters are not supported")
    if args.posonlyargs:
        fail(node, f"`{node.name}`: positional-only parameters (`/`) are not supported")
    if node.name.startswith("_") and node.name != "__init__":
        fail(node, f"`{node.name}`: names starting with an underscore are not allowed")
    for arg in [*args.args, *args.kwonlyargs]:
        arg.annotation = None  # annotations are never evaluated
        if arg.arg.startswith("_") and arg.arg != "_":
            fail(arg, f"`{arg.arg}`: names starting with an underscore are not allowed")
    node.returns = None


def _check_class(node: ast.ClassDef, fail: Fail, found: DefinedNames) -> None:
    if node.decorator_list:
        fail(node.decorator_list[0], "decorators are not supported")
    bases = [_dotted(b) for b in node.bases]
    if len(bases) != 1 or bases[0] not in MODULE_BASES or node.keywords:
        fail(node, f"`class {node.name}` must derive from nn.Module alone: "
             f"`class {node.name}(nn.Module):`")  # fmt: skip
    if node.name.startswith("_"):
        fail(node, f"`{node.name}`: names starting with an underscore are not allowed")
    defined: set[str] = set()
    for item in node.body:
        if isinstance(item, ast.FunctionDef):
            _check_method(node, item, fail, found)
            _check_new_name(node, item, item.name, defined, fail)
        elif isinstance(item, ast.Assign):
            for target in item.targets:
                if not isinstance(target, ast.Name):
                    fail(target, "a class attribute is a plain name: `hidden = 16`")
                    continue
                if hasattr(nn.Module, target.id) or target.id == "training":
                    fail(target, f"`{node.name}.{target.id}` would replace nn.Module's own "
                         f"`{target.id}`; choose another name")  # fmt: skip
                _check_new_name(node, target, target.id, defined, fail)
                found.attributes.add(target.id)
        elif not (
            isinstance(item, ast.Pass)
            or (isinstance(item, ast.Expr) and isinstance(item.value, ast.Constant))
        ):
            fail(item, "a class body may only define methods (`def forward(self, x): ...`) "
                 "and class attributes (`hidden = 16`)")  # fmt: skip


def _check_new_name(
    cls: ast.ClassDef, node: ast.AST, name: str, defined: set[str], fail: Fail
) -> None:
    """A class body defines each name once (a second would silently replace the first)."""
    if name in defined:
        fail(node, f"`{cls.name}.{name}` is defined twice in the class body")
    defined.add(name)


def _check_method(
    cls: ast.ClassDef, method: ast.FunctionDef, fail: Fail, found: DefinedNames
) -> None:
    name = method.name
    if name != "forward" and name != "__init__" and hasattr(nn.Module, name):
        fail(method, f"`{cls.name}.{name}` would replace nn.Module's own `{name}`; "
             "choose another name")  # fmt: skip
    if not method.args.args:
        fail(method, f"`{cls.name}.{name}` needs `self` as its first parameter")
    found.attributes.add(name)
    me = method.args.args[0].arg if method.args.args else "self"
    for stmt in method.body:
        if name == "__init__" and is_super_init(stmt):
            found.exempt.update(id(n) for n in ast.walk(stmt))
    for sub in ast.walk(method):
        if (
            isinstance(sub, ast.Attribute)
            and isinstance(sub.ctx, ast.Store)
            and isinstance(sub.value, ast.Name)
            and sub.value.id == me
        ):
            found.stores.add(id(sub))
            found.attributes.add(sub.attr)
        elif _buffer_name(sub, me):  # self.register_buffer("mask", ...) makes `self.mask`
            found.attributes.add(_buffer_name(sub, me))


def _buffer_name(node: ast.AST, me: str) -> str:
    """The name in `self.register_buffer("name", ...)` (a string constant), else ""."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
        return ""
    func, args = node.func, node.args
    if not (func.attr == "register_buffer" and isinstance(func.value, ast.Name)):
        return ""
    if func.value.id != me or not args or not isinstance(args[0], ast.Constant):
        return ""
    name = args[0].value
    return name if isinstance(name, str) and name.isidentifier() else ""
