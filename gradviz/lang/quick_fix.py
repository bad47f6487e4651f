"""The edit a refusal proposes: where a message says "did you mean `backward`?", the text to
change on the line it names, so the editor can offer the fix as one click."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

_MEANT = re.compile(r"did you mean `([^`]+)`\?")
_QUOTED = re.compile(r"`([^`]+)`")


@dataclass(frozen=True)
class Fix:
    """Replace `old` with `new` at 1-based `line`, 0-based `column`."""

    line: int
    column: int
    old: str
    new: str


def suggested_fix(source: str, message: str, line: int | None, col: int | None) -> Fix | None:
    """The fix a message proposes ("name `lossd` is not defined (did you mean `loss`?)"), found
    on its line at or after its column; None where it proposes none or the text moved on."""
    meant = _MEANT.search(message)
    lines = source.split("\n")
    if meant is None or line is None or not 1 <= line <= len(lines):
        return None
    new = meant.group(1)
    quoted = [q.removeprefix("import ") for q in _QUOTED.findall(message) if q != new]
    if not quoted:
        return None
    old = max(quoted, key=lambda q: difflib.SequenceMatcher(None, q, new).ratio())
    if "." in old and "." not in new:  # `torch.nn.Linaer` refused, `Linear` meant: its last part
        old = old.rsplit(".", 1)[1]
    text = lines[line - 1]
    start = max(0, (col or 1) - 1)
    found = _find_token(text, old, start)
    if found is None:
        found = _find_token(text, old, 0)
    return Fix(line, found, old, new) if found is not None else None


def _find_token(text: str, token: str, start: int) -> int | None:
    """Where `token` stands whole (not inside a longer name) from `start` on."""
    for match in re.finditer(re.escape(token), text[start:]):
        at = start + match.start()
        before = text[at - 1] if at > 0 else " "
        after = text[at + len(token)] if at + len(token) < len(text) else " "
        inside = (before.isalnum() or before == "_") and token[0] != "."
        if not inside and not (after.isalnum() or after == "_"):
            return at
    return None
