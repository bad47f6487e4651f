"""The static rules for `def` and `class`: what may be defined where, and the attribute names a
program's own modules give themselves (`self.fc1 = nn.Linear(...)`)."""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field

from torch import nn

from gradviz.lang.custom_functions import FUNCTION_BASES, FUNCTION_METHODS
from gradviz.lang.error_words import underscore_refusal
from gradviz.lang.user_code import PLAIN_DUNDERS, grad_mode, is_super_init

Fail = Callable[[ast.AST, str], None]

MODULE_BASES = ("nn.Module", "torch.nn.Module", "Module")
DATASET_BASES = ("Dataset", "data.Dataset", "torch.utils.data.Dataset")


@dataclass
class DefinedNames:
    """What the definitions of a program allow elsewhere in it."""

    attributes: set[str] = field(default_factory=set)  # set on `self`, and method names
    stores: set[int] = field(default_factory=set)  # ids of the `self.x` targets assigned
    # names the program's classes set on `self`, which it may set on its objects anywhere
    # (`layers[-1].gamma *= 0.1`; whose object it is, is checked as it runs)
    settable: set[str] = field(default_factory=set)
    exempt: set[int] = field(default_factory=set)  # ids of the nodes of `super().__init__()`


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


def check_definitions(tree: ast.Module, fail: Fail) -> DefinedNames:
    """Check every `def`, `class` and `return`, and gather what the definitions allow (the
    annotations are gone already: lang/script_boilerplate.py strips them when parsing)."""
    found = DefinedNames()
    _visit(tree, "", fail, found)
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id == "super" and id(node) not in found.exempt:
            fail(node, "`super()` is only supported as `super().__init__()` in a module's "
                 "__init__")  # fmt: skip
    return found


def _visit(node: ast.AST, inside: str, fail: Fail, found: DefinedNames) -> None:
    """Check the definitions under `node`; `inside`: "", "function", "class", "plain" (a class
    not derived from nn.Module) or "autograd" (a torch.autograd.Function: static methods)."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.FunctionDef):
            special = PLAIN_DUNDERS if inside == "plain" else ("__init__",)
            _check_function(child, fail, static=inside == "autograd", special=special)
            _visit(child, "function", fail, found)
        elif isinstance(child, ast.ClassDef):
            if inside:
                fail(child, "classes can only be defined at the top level")
            if is_autograd_function(child):
                _check_autograd_function(child, fail, found)
                _visit(child, "autograd", fail, found)
                continue
            if is_plain_class(child):
                _check_plain_class(child, fail, found)
                _visit(child, "plain", fail, found)
                continue
            _check_class(child, fail, found)
            _visit(child, "class", fail, found)
        elif isinstance(child, ast.Return) and inside != "function":
            fail(child, "`return` outside a function")
        else:
            _visit(child, inside, fail, found)


def _check_function(
    node: ast.FunctionDef, fail: Fail, static: bool = False, special: tuple[str, ...] = ()
) -> None:
    """`static`: a method of an autograd.Function; `special`: the dunder names allowed."""
    args = node.args
    if static:
        if not _is_staticmethod(node):
            fail(node, f"`{node.name}` of an autograd.Function must be `@staticmethod`")
    elif node.decorator_list and grad_mode(node) is None:
        fail(node.decorator_list[0], "decorators are not supported, but for `@torch.no_grad()`"
             ", `@torch.enable_grad()` and `@torch.inference_mode()`")  # fmt: skip
    if args.posonlyargs:
        fail(node, f"`{node.name}`: positional-only parameters (`/`) are not supported")
    if node.name.startswith("_") and node.name not in special:
        fail(node, underscore_refusal(node.name))
    for arg in [*args.args, *args.kwonlyargs, *filter(None, [args.vararg, args.kwarg])]:
        if arg.arg.startswith("_") and arg.arg != "_":
            fail(arg, underscore_refusal(arg.arg))


def _is_staticmethod(node: ast.FunctionDef) -> bool:
    decorators = node.decorator_list
    return len(decorators) == 1 and _dotted(decorators[0]) == "staticmethod"


def is_autograd_function(node: ast.ClassDef) -> bool:
    """`class Name(torch.autograd.Function):` (or `Function` imported from torch.autograd)."""
    return len(node.bases) == 1 and _dotted(node.bases[0]) in FUNCTION_BASES


def is_plain_class(node: ast.ClassDef) -> bool:
    """`class Tanh:` (or `(object)`), and `class Pairs(Dataset):` — a torch Dataset is a plain
    class with `__len__` and `__getitem__`."""
    bases = [_dotted(b) for b in node.bases]
    return bases in ([], ["object"]) or (len(bases) == 1 and bases[0] in DATASET_BASES)


def _check_plain_class(node: ast.ClassDef, fail: Fail, found: DefinedNames) -> None:
    """Methods (the special ones: PLAIN_DUNDERS), class attributes, values set on `self`."""
    if node.decorator_list or node.keywords:
        fail(node, f"`class {node.name}` takes no decorators or keywords")
    if node.name.startswith("_"):
        fail(node, underscore_refusal(node.name))
    defined: set[str] = set()
    for item in node.body:
        if isinstance(item, ast.FunctionDef):
            name = item.name
            if name.startswith("__") and name not in PLAIN_DUNDERS:
                allowed = ", ".join(f"`{d}`" for d in PLAIN_DUNDERS)
                fail(item, f"`{node.name}.{name}`: a class may define {allowed} and plain methods")
            if not item.args.args:
                fail(item, f"`{node.name}.{name}` needs `self` as its first parameter")
                continue
            _check_new_name(node, item, name, defined, fail)
            found.attributes.add(name)
            _attribute_stores(item, item.args.args[0].arg, found)
            if name == "__init__":
                for stmt in item.body:
                    if is_super_init(stmt):
                        found.exempt.update(id(n) for n in ast.walk(stmt))
        elif isinstance(item, ast.Assign):
            _class_attribute(node, item, defined, fail, found, module=False)
        elif not isinstance(item, ast.Pass) and not (
            isinstance(item, ast.Expr) and isinstance(item.value, ast.Constant)
        ):
            fail(item, "a class body may only define methods and class attributes")


def _check_autograd_function(node: ast.ClassDef, fail: Fail, found: DefinedNames) -> None:
    """A static forward(ctx, ...) and backward(ctx, ...), and class attributes; `ctx.name = ...`
    in them keeps a value for backward."""
    if node.decorator_list or node.keywords:
        fail(node, f"`class {node.name}(torch.autograd.Function):` takes no decorators or "
             "keywords")  # fmt: skip
    if node.name.startswith("_"):
        fail(node, underscore_refusal(node.name))
    methods = {item.name: item for item in node.body if isinstance(item, ast.FunctionDef)}
    for name in FUNCTION_METHODS:
        if name not in methods:
            fail(node, f"`{node.name}` needs `@staticmethod def {name}(ctx, ...)`")
    for name, method in methods.items():
        if name not in FUNCTION_METHODS:
            fail(method, f"an autograd.Function defines `forward` and `backward` only, not "
                 f"`{name}`")  # fmt: skip
        if not method.args.args:
            fail(method, f"`{node.name}.{name}` needs `ctx` as its first parameter")
            continue
        _attribute_stores(method, method.args.args[0].arg, found)
    for item in node.body:
        if isinstance(item, ast.Assign):
            _class_attribute(node, item, set(), fail, found)
        elif not isinstance(item, (ast.FunctionDef, ast.Pass)) and not (
            isinstance(item, ast.Expr) and isinstance(item.value, ast.Constant)
        ):
            fail(item, "an autograd.Function's body defines `forward` and `backward` "
                 "(and class attributes)")  # fmt: skip


def _attribute_stores(method: ast.FunctionDef, owner: str, found: DefinedNames) -> None:
    """`self.fc1 = ...` in a module's method, `ctx.alpha = ...` in a Function's: allowed, and
    the attribute readable."""
    for sub in ast.walk(method):
        if (
            isinstance(sub, ast.Attribute)
            and isinstance(sub.ctx, ast.Store)
            and isinstance(sub.value, ast.Name)
            and sub.value.id == owner
        ):
            found.stores.add(id(sub))
            found.attributes.add(sub.attr)
            found.settable.add(sub.attr)


def _class_attribute(
    cls: ast.ClassDef,
    item: ast.Assign,
    defined: set[str],
    fail: Fail,
    found: DefinedNames,
    module: bool = True,
) -> None:
    for target in item.targets:
        if not isinstance(target, ast.Name):
            fail(target, "a class attribute is a plain name: `hidden = 16`")
            continue
        if module and (hasattr(nn.Module, target.id) or target.id in ("training", "apply")):
            fail(target, f"`{cls.name}.{target.id}` would replace a name of its base class; "
                 "choose another name")  # fmt: skip
        _check_new_name(cls, target, target.id, defined, fail)
        found.attributes.add(target.id)


def _check_class(node: ast.ClassDef, fail: Fail, found: DefinedNames) -> None:
    if node.decorator_list:
        fail(node.decorator_list[0], "decorators are not supported")
    bases = [_dotted(b) for b in node.bases]
    if len(bases) != 1 or bases[0] not in MODULE_BASES or node.keywords:
        fail(node, f"`class {node.name}` must derive from nn.Module alone: "
             f"`class {node.name}(nn.Module):` (or from torch.autograd.Function or Dataset, "
             "or from nothing)")  # fmt: skip
    if node.name.startswith("_"):
        fail(node, underscore_refusal(node.name))
    defined: set[str] = set()
    for item in node.body:
        if isinstance(item, ast.FunctionDef):
            _check_method(node, item, fail, found)
            _check_new_name(node, item, item.name, defined, fail)
        elif isinstance(item, ast.Assign):
            _class_attribute(node, item, defined, fail, found)
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
    _attribute_stores(method, me, found)
    for sub in ast.walk(method):
        buffer = _buffer_name(sub, me)  # self.register_buffer("mask", ...) makes `self.mask`
        if buffer:
            found.attributes.add(buffer)


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
