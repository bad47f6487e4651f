"""The static check: only whitelisted syntax, names and attributes, before anything runs."""

from __future__ import annotations

import ast
import difflib
import math
import sys

from gradviz.lang.attributes import attribute_names
from gradviz.lang.catalog import IMPORTABLE, TENSOR_BLOCKED, TORCH_BLOCKED, all_attribute_names
from gradviz.lang.definition_rules import DefinedNames, check_definitions
from gradviz.lang.error_words import underscore_refusal
from gradviz.lang.errors import error_at
from gradviz.lang.generator_rules import refused_yields
from gradviz.lang.limits import Limits
from gradviz.lang.loop_rewrites import loop_rewrites
from gradviz.lang.method_locals import method_local, never_set
from gradviz.lang.module_fields import is_part_name

ALLOWED_NODES: tuple[type[ast.AST], ...] = (
    ast.Module, ast.Expr, ast.Assign, ast.AugAssign, ast.Import, ast.ImportFrom, ast.alias,
    ast.If, ast.For, ast.With, ast.withitem, ast.Pass, ast.Break, ast.Continue, ast.Assert,
    ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare, ast.Call, ast.keyword, ast.Attribute,
    ast.Subscript, ast.Name, ast.Constant, ast.List, ast.Tuple, ast.Slice, ast.IfExp,
    ast.JoinedStr, ast.FormattedValue, ast.Starred, ast.Dict, ast.Set,
    ast.FunctionDef, ast.ClassDef, ast.Return, ast.arguments, ast.arg, ast.Yield, ast.YieldFrom,
    ast.Load, ast.Store, ast.operator, ast.unaryop, ast.cmpop, ast.boolop,
)  # fmt: skip

REFUSED: dict[type[ast.AST], str] = {
    ast.AsyncFunctionDef: "async functions are not supported",
    ast.Lambda: "lambdas are not allowed; define the function with `def f(x):` and `return`, "
    "then pass `f`",
    ast.ListComp: "comprehensions are not allowed; write a for loop that appends to a list "
    "(`out = []`, then `for x in xs:` / `out.append(...)`)",
    ast.SetComp: "comprehensions are not allowed; use a for loop",
    ast.DictComp: "comprehensions are not allowed; use a for loop",
    ast.GeneratorExp: "generator expressions are not allowed; write the for loop that makes "
    "the values (`total = 0`, then `for p in model.parameters():` / `total += p.numel()`)",
    ast.While: "while loops are not allowed (they may never end); use `for i in range(n)`",
    ast.Try: "try/except is not supported",
    ast.Raise: "raise is not supported",
    ast.Global: "global is not supported",
    ast.Nonlocal: "nonlocal is not supported",
    ast.Delete: "del is not supported",
    ast.NamedExpr: "`:=` is not supported",
    ast.Await: "await is not supported",
    ast.AsyncFor: "async is not supported",
    ast.AsyncWith: "async is not supported",
}

DANGEROUS_NAMES = {
    "eval": "runs strings as code",
    "exec": "runs strings as code",
    "compile": "compiles strings as code",
    "open": "opens files; write the data into the program (`words = ['emma', 'olivia']`, "
    "`torch.tensor([...])`), or open a CSV in the Network tab",
    "input": "reads from the terminal",
    "getattr": "looks up attributes by name",
    "setattr": "sets attributes by name",
    "delattr": "deletes attributes by name",
    "vars": "exposes internals",
    "dir": "exposes internals",
    "globals": "exposes internals",
    "locals": "exposes internals",
    "object": "exposes internals",
    "breakpoint": "starts a debugger",
    "exit": "stops the program",
    "quit": "stops the program",
    "help": "starts an interactive help",
    "memoryview": "exposes raw memory",
    "bytearray": "exposes raw memory",
}

# Attribute names refused wherever they appear (`torch.compile`, `.numpy`; not `backward`,
# refused as torch.autograd.backward but a tensor's method): never offered as a correction.
_REFUSED = {
    *TENSOR_BLOCKED,
    *TORCH_BLOCKED,
    *(name for namespace in IMPORTABLE.values() for name in namespace.blocked),
} - {
    *(attribute_names() - TENSOR_BLOCKED.keys()),
    *(name for namespace in IMPORTABLE.values() for name in namespace.members),
}


def _position(node: ast.AST) -> tuple[float, ...]:
    """Source order, innermost first; nodes without a position (contexts) are checked last."""
    line = getattr(node, "lineno", None)
    if line is None:
        return _NOWHERE
    # (column 0 is a position: `def f(t):` is checked before its argument `t`)
    end_line, end_col = getattr(node, "end_lineno", None), getattr(node, "end_col_offset", None)
    return (line, getattr(node, "col_offset", math.inf), end_line or 0, end_col or 0)


_NOWHERE = (math.inf, math.inf, 0, 0)


# what course code imports besides torch, and what to do in gradviz instead
INSTEAD = {
    "numpy": "; make the arrays with torch (torch.tensor, torch.linspace, torch.randn)",
    "matplotlib": "; gradviz draws for you (the graph, the Network tab's live loss curves): "
    "print the numbers you want to see",
    "random": "; draw with torch (torch.rand, torch.randint, torch.randperm), which "
    "torch.manual_seed makes repeatable",
    "torchvision": "; datasets need files: make tensors and wrap them in "
    "torch.utils.data.TensorDataset (or a Dataset class)",
    "copy": "; copy tensors with .clone() (a state_dict: clone each value in a loop)",
    "sklearn": "; the Network tab makes two moons, circles, XOR, two gaussians and a spiral "
    "(its Data list) and writes the torch code for them; or make points with torch.randn",
    "pandas": "; a small CSV opens in the Network tab (its Data list: CSV file…), "
    "or write the numbers as a torch.tensor",
}


def _refused_import(module: str) -> str:
    """Why `module` cannot be imported, and what to write instead."""
    close = difflib.get_close_matches(module, list(IMPORTABLE), n=1, cutoff=0.8)
    if close and module not in sys.modules:  # a misspelt torch module: `torch.nn.funtional`
        # (not a module of torch's that exists: torch.distributed is not torch.distributions)
        return f"there is no module `{module}` to import (did you mean `{close[0]}`?)"
    if module.startswith("torch."):
        return "not available; the torch modules a program can import are " + ", ".join(
            name for name in IMPORTABLE if name.startswith("torch.")
        )
    return "only torch (and math) can be imported" + INSTEAD.get(module.split(".")[0], "")


def class_name_reads(nodes: list[ast.AST]) -> set[int]:
    """The attribute nodes of `type(x).__name__` and `x.__class__.__name__` (both of the
    latter's): a class's name is a string, the one dunder a program may read."""
    found: set[int] = set()
    for node in nodes:
        if not (
            isinstance(node, ast.Attribute)
            and node.attr == "__name__"
            and isinstance(node.ctx, ast.Load)
        ):
            continue
        inner = node.value
        if isinstance(inner, ast.Attribute) and inner.attr == "__class__":
            found.update((id(node), id(inner)))
        elif (
            isinstance(inner, ast.Call)
            and isinstance(inner.func, ast.Name)
            and inner.func.id == "type"
            and len(inner.args) == 1
            and not inner.keywords
        ):
            found.add(id(node))
    return found


def _bound_names(nodes: list[ast.AST]) -> set[str]:
    """Names the program binds itself (a parameter called `input`, as in PyTorch's tutorials):
    a read of one is the program's own value, never the builtin of that name (which gradviz
    programs do not have)."""
    names: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
    return names


class _Checker:
    def __init__(self, lines: list[str], limits: Limits) -> None:
        self.lines = lines
        self.limits = limits
        self.attributes = all_attribute_names()
        self.defined = DefinedNames()
        self.bound: set[str] = set()
        self.refused_yields: dict[int, str] = {}
        self.class_names: set[int] = set()
        self.tree = ast.Module(body=[], type_ignores=[])

    def fail(self, node: ast.AST, message: str) -> None:
        raise error_at(node, message, self.lines)

    def check(self, tree: ast.Module) -> None:
        self.tree = tree
        self.defined = check_definitions(tree, self.fail)
        self.attributes = self.attributes | self.defined.attributes
        every = list(ast.walk(tree))  # (one walk for every check: a walk is ~1 µs a node)
        self.bound = _bound_names(every)
        self.refused_yields = refused_yields(every)
        self.class_names = class_name_reads(every)
        nodes = sorted(every, key=_position)
        for node in nodes:
            if id(node) in self.defined.exempt:
                continue  # super().__init__()
            if not isinstance(node, ALLOWED_NODES):
                reason = REFUSED.get(type(node), f"`{type(node).__name__}` is not supported")
                rewrite = loop_rewrites(tree).get(id(node))  # (made only for a refusal)
                if rewrite is not None:  # the loop to write, made from this comprehension
                    reason = f"{reason.split(';')[0]}; {rewrite}"
                self.fail(node, reason)
            check = getattr(self, f"check_{type(node).__name__}", None)
            if check is not None:
                check(node)
        self.check_starred_placement(every)

    def check_Yield(self, node: ast.Yield | ast.YieldFrom) -> None:
        reason = self.refused_yields.get(id(node))
        if reason is not None:
            self.fail(node, reason)

    check_YieldFrom = check_Yield

    def check_Name(self, node: ast.Name) -> None:
        if node.id.startswith("_") and node.id != "_":  # `_` alone: the usual throwaway name
            self.fail(node, underscore_refusal(node.id))
        if (
            node.id in DANGEROUS_NAMES
            and isinstance(node.ctx, ast.Load)
            and node.id not in self.bound
        ):
            self.fail(node, f"`{node.id}` is not available: it {DANGEROUS_NAMES[node.id]}")

    def check_Attribute(self, node: ast.Attribute) -> None:
        if id(node) in self.class_names:
            return  # `type(x).__name__` or `x.__class__.__name__`: the class's name, a string
        if node.attr.startswith("_") and _on_self(node):  # the program's own: renamed
            self.fail(node, underscore_refusal(node.attr, dotted=True))
        if node.attr.startswith("_"):
            hint = "; `type(x)` prints the class" if node.attr == "__class__" else ""
            self.fail(
                node, f"`.{node.attr}`: names starting with an underscore are not allowed{hint}"
            )
        if isinstance(node.value, ast.Name) and node.value.id == "torch":
            if node.attr in TORCH_BLOCKED:
                self.fail(
                    node, f"`torch.{node.attr}` is not allowed: it {TORCH_BLOCKED[node.attr]}"
                )
        if node.attr not in self.attributes and not is_part_name(node.attr):
            local = _method_local(self.tree, node.attr) if _on_self(node) else None
            if local is not None:  # `fc = nn.Linear(…)` in __init__, `self.fc` read later
                self.fail(node, never_set(node.attr, local))
            usable = sorted(self.attributes - _REFUSED)  # never suggest a refusal
            close = difflib.get_close_matches(node.attr, usable, n=1, cutoff=0.75)
            hint = f" (did you mean `.{close[0]}`?)" if close else ""
            self.fail(node, f"`.{node.attr}` is not available in gradviz programs{hint}")
        if (
            isinstance(node.ctx, ast.Store)
            and node.attr not in ("requires_grad", "grad", "data")
            and id(node) not in self.defined.stores
            and node.attr not in self.defined.settable
            and node.attr not in ("weight", "bias")  # (a layer's: tied to another's)
            and not is_part_name(node.attr)
        ):
            self.fail(node, f"setting `.{node.attr}` is not allowed")

    def check_Constant(self, node: ast.Constant) -> None:
        value = node.value
        if isinstance(value, complex):
            self.fail(node, "complex numbers are not supported")
        if isinstance(value, bytes):
            self.fail(node, "bytes literals are not supported")
        if isinstance(value, str) and len(value) > self.limits.max_string_chars:
            self.fail(node, f"string literal longer than {self.limits.max_string_chars:,} chars")
        if isinstance(value, int) and value.bit_length() > self.limits.max_int_bits:
            self.fail(node, "integer literal too large")

    def check_List(self, node: ast.List) -> None:
        if len(node.elts) > self.limits.max_literal_elements:
            self.fail(node, f"list literal with more than {self.limits.max_literal_elements:,}")

    check_Tuple = check_List
    check_Set = check_List

    def check_Dict(self, node: ast.Dict) -> None:
        if any(key is None for key in node.keys):
            self.fail(node, "`**` in a dict literal is not supported")
        if len(node.keys) > self.limits.max_literal_elements:
            self.fail(node, f"dict literal with more than {self.limits.max_literal_elements:,}")

    def check_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name not in IMPORTABLE:
                self.fail(node, f"`import {alias.name}`: {_refused_import(alias.name)}")

    def check_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        if node.level or module not in IMPORTABLE:
            written = "." * node.level + module  # `from . import x`: a relative import
            self.fail(node, f"`from {written} import ...`: {_refused_import(written)}")
        namespace = IMPORTABLE[module]
        for alias in node.names:
            if alias.name == "*":
                self.fail(node, "`import *` is not allowed; name what you use")
            if alias.name not in namespace.members:
                reason = namespace.blocked.get(alias.name)
                detail = f": it {reason}" if reason else ""
                if not reason:
                    close = difflib.get_close_matches(alias.name, list(namespace.members), n=1)
                    detail = f" (did you mean `{close[0]}`?)" if close else ""
                self.fail(node, f"`{module}.{alias.name}` is not available{detail}")

    def check_With(self, node: ast.With) -> None:
        for item in node.items:
            if item.optional_vars is not None:
                self.fail(item.context_expr, "`with ... as name` is not supported")

    def check_FormattedValue(self, node: ast.FormattedValue) -> None:
        spec = node.format_spec
        if spec is not None and not all(
            isinstance(part, ast.Constant) for part in getattr(spec, "values", [])
        ):
            self.fail(node, "nested format fields are not allowed")

    def check_starred_placement(self, nodes: list[ast.AST]) -> None:
        """`*` in call arguments (`f(*xs)`), lists and tuples (`[*a, *b]`) and one per
        unpacking target (`first, *rest = xs`)."""
        allowed: set[int] = set()
        for node in nodes:
            if isinstance(node, ast.Call):
                allowed.update(id(arg) for arg in node.args if isinstance(arg, ast.Starred))
            elif isinstance(node, (ast.List, ast.Tuple)):
                starred = [item for item in node.elts if isinstance(item, ast.Starred)]
                if isinstance(node.ctx, ast.Store) and len(starred) > 1:
                    self.fail(starred[1], "only one `*` name is allowed in an unpacking")
                allowed.update(id(item) for item in starred)
        for node in nodes:
            if isinstance(node, ast.Starred) and id(node) not in allowed:
                self.fail(node, "`*` unpacking is only allowed in calls, lists and tuples")


def validate(tree: ast.Module, lines: list[str], limits: Limits) -> None:
    """Raise ProgramError at the first construct outside the language."""
    _Checker(lines, limits).check(tree)


def _on_self(node: ast.Attribute) -> bool:
    return isinstance(node.value, ast.Name) and node.value.id == "self"


def _method_local(tree: ast.Module, name: str) -> int | None:
    """The line of the first `name = …` in a method of one of the program's classes."""
    methods = (
        item
        for cls in tree.body
        if isinstance(cls, ast.ClassDef)
        for item in cls.body
        if isinstance(item, ast.FunctionDef)
    )
    return method_local(methods, name)
