"""What may be typed next at the caret: the names the language allows there (a module's members
after `torch.` or `F.`, methods after a value's `.`, else builtins, keywords and the program's
own names), read from the same whitelists the validator checks. Works on half-typed text."""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass

from gradviz.lang.attributes import attribute_names
from gradviz.lang.builtins import make_builtins
from gradviz.lang.catalog import IMPORTABLE, TENSOR_BLOCKED
from gradviz.lang.catalog_names import BARE_MATH
from gradviz.lang.interpreter import PRELUDE
from gradviz.lang.limits import DEFAULT_LIMITS
from gradviz.lang.objects import Namespace

_DOTTED = re.compile(r"([A-Za-z_][\w.]*)\.(\w*)$")  # `torch.nn.Lin` → ("torch.nn", "Lin")
_WORD = re.compile(r"(\w*)$")
_IMPORT_AS = re.compile(r"^\s*import\s+([\w.]+)\s+as\s+(\w+)", re.MULTILINE)
_FROM_IMPORT = re.compile(r"^\s*from\s+([\w.]+)\s+import\s+([^#\n]+)", re.MULTILINE)
_ASSIGNED = re.compile(r"^\s*([A-Za-z_][\w\s,]*?)\s*(?:[-+*/@%]|\*\*|//)?=(?!=)", re.MULTILINE)
_DEFINED = re.compile(r"^\s*(?:def|class)\s+([A-Za-z_]\w*)", re.MULTILINE)
_LOOP = re.compile(r"^\s*for\s+([A-Za-z_][\w\s,]*?)\s+in\b", re.MULTILINE)
_PARAMS = re.compile(r"^\s*def\s+\w+\s*\(([^)]*)", re.MULTILINE)
KEYWORDS = (
    "and",
    "assert",
    "break",
    "class",
    "continue",
    "def",
    "elif",
    "else",
    "False",
    "for",
    "from",
    "if",
    "import",
    "in",
    "is",
    "None",
    "not",
    "or",
    "pass",
    "return",
    "True",
    "with",
)  # fmt: skip  (the ones the language takes)


@dataclass(frozen=True)
class Completions:
    """The partial word before the caret and what it may become, sorted."""

    prefix: str
    names: list[str]


def complete(source: str, line: int, column: int) -> Completions:
    """Candidates at 1-based `line`, 0-based `column` of `source` (columns in characters)."""
    lines = source.split("\n")
    before = lines[line - 1][:column] if 1 <= line <= len(lines) else ""
    if _in_string_or_comment(before):
        return Completions("", [])
    dotted = _DOTTED.search(before)
    if dotted is not None and not _after_number(before, dotted.start()):
        owner, prefix = dotted.group(1), dotted.group(2)
        return Completions(prefix, _matching(_members(owner, source), prefix))
    match = _WORD.search(before)
    prefix = match.group(1) if match else ""
    if not prefix or prefix[0].isdigit():
        return Completions(prefix, [])
    return Completions(prefix, _matching(_bare_names(source), prefix))


def _matching(names: set[str], prefix: str) -> list[str]:
    return sorted(n for n in names if n.startswith(prefix) and not n.startswith("_"))


def _members(owner: str, source: str) -> set[str]:
    """After `owner.`: a module's members, else everything a value may have (its type is not
    known while typing)."""
    found = resolve(owner, source)
    if isinstance(found, Namespace):
        return set(found.members)
    return _value_attributes()


def resolve(owner: str, source: str) -> object | None:
    """What the dotted name `owner` is in `source` (torch, its namespaces and their members,
    under the names the program imported them as); None for a value or an unknown name."""
    env: dict[str, object] = {**PRELUDE, **_imported(source)}
    head, *rest = owner.split(".")
    value = env.get(head)
    for part in rest:
        if not isinstance(value, Namespace):
            return None
        value = value.members.get(part)
    return value


def _imported(source: str) -> dict[str, object]:
    """Names the program's imports bind (`import torch.nn.functional as F`, `from torch import
    nn`), read line by line so that a half-typed program still has them."""
    names: dict[str, object] = {}
    for module, alias in _IMPORT_AS.findall(source):
        if module in IMPORTABLE:
            names[alias] = IMPORTABLE[module]
    for module, imported in _FROM_IMPORT.findall(source):
        namespace = IMPORTABLE.get(module)
        if namespace is None:
            continue
        for item in imported.replace("(", " ").replace(")", " ").split(","):
            parts = item.split()
            if not parts or parts[0] not in namespace.members:
                continue
            alias = parts[2] if len(parts) == 3 and parts[1] == "as" else parts[0]
            names[alias] = namespace.members[parts[0]]
    return names


_VALUE_ATTRIBUTES: set[str] = set()


def _value_attributes() -> set[str]:
    if not _VALUE_ATTRIBUTES:
        # what values have (tensors, modules, optimizers, lists, ...), not the modules' members
        _VALUE_ATTRIBUTES.update(attribute_names() - TENSOR_BLOCKED.keys())
    return _VALUE_ATTRIBUTES


def _bare_names(source: str) -> set[str]:
    names = set(PRELUDE) | set(BARE_MATH) | set(KEYWORDS) | _builtin_names()
    names |= set(_imported(source))
    for found in (*_ASSIGNED.findall(source), *_LOOP.findall(source), *_PARAMS.findall(source)):
        names.update(part.split("=")[0].strip() for part in found.split(","))
    names.update(_DEFINED.findall(source))
    return {n for n in names if n.isidentifier() and (n in KEYWORDS or not keyword.iskeyword(n))}


_BUILTINS: set[str] = set()


def _builtin_names() -> set[str]:
    if not _BUILTINS:
        _BUILTINS.update(make_builtins(DEFAULT_LIMITS, print))
    return _BUILTINS


def _in_string_or_comment(before: str) -> bool:
    """Whether the caret is in a comment or an open string literal (counting quotes roughly)."""
    quote: str | None = None
    for char in before:
        if quote is None and char == "#":
            return True
        if char in "'\"":
            quote = None if quote == char else (char if quote is None else quote)
    return quote is not None


def _after_number(before: str, start: int) -> bool:
    """`1.` or `2.5e` is a number being typed, not an attribute."""
    token = re.search(r"[\w.]*$", before[: start + 1])
    return bool(token and token.group(0)[:1].isdigit())
