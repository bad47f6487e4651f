"""What a function or method in a program does, in PyTorch's own words: the start of its
docstring, for the editor's tooltip over `F.binary_cross_entropy_with_logits` or `x.sum`."""

from __future__ import annotations

import builtins
import inspect
import re

import torch

from gradviz.lang.attributes import TENSOR_METHODS
from gradviz.lang.builtins import make_builtins
from gradviz.lang.catalog_names import BARE_MATH
from gradviz.lang.completion import resolve
from gradviz.lang.limits import DEFAULT_LIMITS
from gradviz.lang.objects import Fn, Namespace

MAX_CHARS = 600  # a tooltip, not the manual
# the language's builtins that are Python's (print, zip, next, set, ...): documented as Python's
_BUILTINS = {name for name in make_builtins(DEFAULT_LIMITS, print) if hasattr(builtins, name)}
PRINT_DOC = (
    "print\nprint(*values, sep=' ', end='\\n')\n\nShows the values, as Python prints them, in the "
    "console under the editor."
)
_ROLE = re.compile(r":(?:class|func|meth|attr|mod|ref|math):`~?([^`<]*?)(?:\s*<[^>]*>)?`")
_DOTTED_AT = re.compile(r"[A-Za-z_][\w.]*$")


def doc_at(source: str, line: int, column: int) -> str | None:
    """The doc of the function or method whose name ends at 1-based `line`, 0-based `column`
    (`torch.nn.functional.relu`, `F.relu`, `nn.Linear`, `x.sum`, `exp`), None for anything
    else (a variable, a keyword, an unknown name)."""
    lines = source.split("\n")
    if not 1 <= line <= len(lines):
        return None
    before = lines[line - 1][:column]
    match = _DOTTED_AT.search(before)
    if match is None:
        return None
    dotted = match.group(0).strip(".")
    if match.start() > 0 and before[match.start() - 1] == ".":  # `f(x).sum`: a value's method
        dotted = "(value)." + dotted
    found = resolve(dotted, source)
    if isinstance(found, Fn):
        return _summary(dotted, found.impl)
    if isinstance(found, Namespace):
        return None
    head, _, name = dotted.rpartition(".")
    if head and found is None and name in TENSOR_METHODS and hasattr(torch.Tensor, name):
        method = _summary(f"Tensor.{name}", getattr(torch.Tensor, name))  # a value's method
        if method and "See torch." in method and hasattr(torch, name):  # its doc is torch.name's
            return _summary(f"Tensor.{name}, as torch.{name}", getattr(torch, name))
        return method
    if not head and name in BARE_MATH:
        return _summary(f"torch.{name}", getattr(torch, name))
    if not head and name == "print" and not _defined(name, source):
        return PRINT_DOC
    if not head and name in _BUILTINS and not _defined(name, source):
        return _summary(name, getattr(builtins, name))  # Python's own words for zip, next, ...
    return None


def _defined(name: str, source: str) -> bool:
    """The program binds `name` itself (`def sum(...)`, `sum = 0`): not the builtin then."""
    return re.search(rf"^\s*(def\s+{name}\b|{name}\s*=[^=])", source, re.MULTILINE) is not None


def _summary(name: str, obj: object) -> str | None:
    """The signature (where the doc starts with one) and the first paragraph after it."""
    doc = inspect.getdoc(obj)
    if not doc:
        return None
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", doc) if p.strip()]
    kept = []
    for paragraph in paragraphs:
        if paragraph.startswith(".."):  # a directive: a warning, a note, the maths
            continue
        kept.append(paragraph)
        if not re.match(r"^[\w.]+\(.*\)", paragraph):  # past the signature line: enough
            break
    text = _ROLE.sub(r"\1", "\n\n".join(kept)).replace("``", "`")
    if len(text) > MAX_CHARS:
        text = text[: MAX_CHARS - 1].rsplit(" ", 1)[0] + "…"
    return f"{name}\n{text}"
