"""Source text to a checked syntax tree: size, nesting and syntax errors with line and column."""

from __future__ import annotations

import ast
import functools
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field

from gradviz.lang.errors import ProgramError, column_of, error_at
from gradviz.lang.limits import DEFAULT_LIMITS, Limits


@dataclass(frozen=True)
class ScalarInput:
    """`x = 2.0` at the top level: a scalar the user can change (slider, `--set x=...`)."""

    name: str
    value: float
    line: int
    col: int


@dataclass(frozen=True)
class Program:
    """A parsed and validated program, ready to run."""

    source: str
    tree: ast.Module
    lines: list[str]
    inputs: list[ScalarInput] = field(default_factory=list)

    def input_statements(self) -> dict[int, tuple[str, float]]:
        """input_statements(self.tree), worked out once per program (every run needs it)."""
        cached: dict[int, tuple[str, float]] | None = self.__dict__.get("_input_statements")
        if cached is None:
            cached = input_statements(self.tree)
            object.__setattr__(self, "_input_statements", cached)
        return cached

    def input_names(self) -> list[str]:
        seen: list[str] = []
        for item in self.inputs:
            if item.name not in seen:
                seen.append(item.name)
        return seen


def _depth(tree: ast.AST) -> tuple[int, ast.AST]:
    """Deepest nesting of the tree (iterative, so a deep tree cannot overflow the stack)."""
    deepest, where = 0, tree
    stack: list[tuple[ast.AST, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > deepest:
            deepest, where = depth, node
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return deepest, where


def float_literal(node: ast.expr) -> float | None:
    """The value of `2.0` or `-1.5` written literally, else None."""
    sign = 1.0
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        sign = -1.0 if isinstance(node.op, ast.USub) else 1.0
        node = node.operand
    if isinstance(node, ast.Constant) and type(node.value) is float:
        return sign * node.value
    return None


def scalar_input_of(stmt: ast.stmt) -> tuple[str, float] | None:
    """`name = <float literal>`: the statement form that defines a scalar input."""
    if (
        isinstance(stmt, ast.Assign)
        and len(stmt.targets) == 1
        and isinstance(stmt.targets[0], ast.Name)
    ):
        value = float_literal(stmt.value)
        if value is not None:
            return stmt.targets[0].id, value
    return None


def assignment_counts(tree: ast.Module) -> dict[str, int]:
    """How many statements (anywhere) assign each name: =, +=, for-targets, imports."""
    counts: dict[str, int] = {}
    for node in ast.walk(tree):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, (ast.AugAssign, ast.For)):
            targets = [node.target]
        for target in targets:
            for name in ast.walk(target):
                if isinstance(name, ast.Name):
                    counts[name.id] = counts.get(name.id, 0) + 1
    return counts


def _top_level_numbers(tree: ast.Module) -> Iterator[tuple[ast.stmt, tuple[str, float], int]]:
    """Each top-level `x = 2.0`, its (name, value), and how often the program assigns x."""
    counts = assignment_counts(tree)
    for stmt in tree.body:
        spec = scalar_input_of(stmt)
        if spec is not None:
            yield stmt, spec, counts.get(spec[0], 0)


def input_statements(tree: ast.Module) -> dict[int, tuple[str, float]]:
    """id(statement) → (name, value) for each scalar input: a top-level `x = 2.0` whose name
    is assigned nowhere else (a name the program goes on to change stays a plain number)."""
    return {id(stmt): spec for stmt, spec, count in _top_level_numbers(tree) if count == 1}


def changed_numbers(tree: ast.Module) -> list[tuple[str, float, int]]:
    """(name, value, line) of each top-level `x = 2.0` that is not a scalar input because the
    program assigns the name again (so it stays a plain number): what to point at when a
    program made no tensor."""
    return [(*spec, stmt.lineno) for stmt, spec, count in _top_level_numbers(tree) if count > 1]


def changed_number_text(name: str, value: float, line: int) -> str:
    """Why `name = value` (line `line`), assigned again later, made no tensor, and what to
    write instead."""
    return (
        f"`{name} = {value!r}` (line {line}) is not a scalar input, because the program "
        f"assigns `{name}` again: it stays a plain Python number. To follow it through "
        f"autograd, write `{name} = torch.tensor({value!r}, requires_grad=True)`."
    )


def _scalar_inputs(tree: ast.Module, lines: list[str]) -> list[ScalarInput]:
    found = []
    specs = input_statements(tree)
    for stmt in tree.body:
        spec = specs.get(id(stmt))
        if spec is not None:
            col = column_of(lines, stmt.lineno, stmt.col_offset)
            found.append(ScalarInput(spec[0], spec[1], stmt.lineno, col))
    return found


_PARSING = threading.Lock()


def parse_python(source: str) -> ast.Module:
    """ast.parse, one thread at a time: CPython 3.11's AST conversion keeps its recursion
    depth in interpreter-wide state, so two threads parsing at once can fail with
    "SystemError: AST constructor recursion depth mismatch" (the app parses in the trace
    worker and, for the Network tab, on the UI thread)."""
    with _PARSING:
        return ast.parse(source, mode="exec")


def parse(source: str, limits: Limits = DEFAULT_LIMITS) -> Program:
    """Parse and validate; raise ProgramError naming the line and column of the first problem."""
    from gradviz.lang.script_boilerplate import strip_boilerplate
    from gradviz.lang.validator import validate

    if len(source) > limits.max_source_chars:
        raise ProgramError(
            f"the program is {len(source):,} characters long; "
            f"gradviz accepts at most {limits.max_source_chars:,}"
        )
    if "\x00" in source:
        line = source.count("\n", 0, source.index("\x00")) + 1
        raise ProgramError("the program contains a NUL character", line, 1)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. SyntaxWarning for `1in`; not the user's error
            tree = parse_python(source)
    except SyntaxError as exc:
        line = exc.lineno or 1
        col = exc.offset or 1
        raise ProgramError(f"syntax error: {exc.msg}", line, col) from None
    except (RecursionError, MemoryError):
        raise ProgramError("the program is nested too deeply to read") from None
    lines = source.splitlines()
    for node, module in _reads_of(tree, strip_boilerplate(tree)):
        raise error_at(
            node,
            f"`{node.id}` comes from {module}, for type hints, which gradviz programs skip: "
            "leave it out (write `list`, `dict`, `float` where a value needs a type)",
            lines,
        )
    depth, where = _depth(tree)
    if depth > limits.max_nesting:
        raise error_at(
            where,
            f"expressions are nested {depth} levels deep; the limit is {limits.max_nesting}",
            lines,
        )
    validate(tree, lines, limits)
    return Program(source, tree, lines, _scalar_inputs(tree, lines))


def _reads_of(tree: ast.Module, names: dict[str, str]) -> list[tuple[ast.Name, str]]:
    """Where the program reads one of `names` (its dropped typing imports) that it does not
    bind itself, in source order."""
    if not names:
        return []
    every = list(ast.walk(tree))
    bound = {n.id for n in every if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
    bound |= {n.arg for n in every if isinstance(n, ast.arg)}
    bound |= {n.name for n in every if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    reads = [n for n in every if isinstance(n, ast.Name) and n.id in names.keys() - bound]
    reads.sort(key=lambda n: (n.lineno, n.col_offset))
    return [(n, names[n.id]) for n in reads]


@functools.lru_cache(maxsize=16)
def parse_cached(source: str, limits: Limits = DEFAULT_LIMITS) -> Program:
    """parse(), remembered for the last few sources: the app re-traces the same program for
    every slider move, and a Program is never changed by running it."""
    return parse(source, limits)
