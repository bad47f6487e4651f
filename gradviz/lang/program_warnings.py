"""torch's warnings while a program runs (a loss broadcasting two different shapes, `.grad` of a
non-leaf tensor) kept with the line that raised them, for the graph's notes, instead of going to
a terminal that the app's user never sees — and shown at every run, not once per process."""

from __future__ import annotations

import contextlib
import threading
import warnings
from collections.abc import Callable, Iterator
from typing import Any

NOTE_PREFIX = "⚠ torch warned"  # how a warning's note begins (the app shortens it over a graph)
REMARK_PREFIX = "⚠ at line"  # how gradviz's own remark on a line begins
MAX_WARNINGS = 5  # distinct warnings kept per run (a training loop repeats the same one)

# torch's warnings that a student meets most, said with what to do (torch's first sentence
# follows in parentheses)
IN_OUR_WORDS = {
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed": (
        "the `.grad` read here is None: backward() keeps the gradients of leaves only (tensors "
        "made with requires_grad=True), not of tensors computed from them; call `.retain_grad()` "
        "on it before backward() to keep its gradient (the graph shows it in the tensor's box "
        "anyway)"
    ),
}

_local = threading.local()
_lock = threading.Lock()
_passed_on: list[Callable[..., None]] = []  # the showwarning ours replaced
_FROM_PROGRAMS = r"(gradviz\.lang|torch)(\.|$)"  # evaluator's and torch's Python code


def _show(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    """A running program's warnings to its log; any other thread's where they went before."""
    log: WarningLog | None = getattr(_local, "log", None)
    if log is not None:
        log.add(str(message), category)
    elif _passed_on:
        _passed_on[-1](message, category, filename, lineno, file, line)


def _ensure_installed() -> None:
    """Before each run: our showwarning in place (something may have put back its own since,
    as `warnings.catch_warnings` does on leaving), and a filter that shows the evaluator's and
    torch's warnings every time (Python's default shows each once per place in the source, so
    only at the first run)."""
    with _lock:
        if warnings.showwarning is not _show:
            _passed_on[:] = [warnings.showwarning]
            warnings.showwarning = _show
        if not any(f[0] == "always" and f[3] is not None and f[3].pattern == _FROM_PROGRAMS
                   for f in warnings.filters):  # fmt: skip
            warnings.filterwarnings("always", module=_FROM_PROGRAMS)


class WarningLog:
    """The distinct warnings of one run, each with the program line running when it came."""

    def __init__(self, line: Callable[[], int | None]) -> None:
        self._line = line
        self.entries: list[tuple[int | None, str]] = []
        self.remarks: list[tuple[int | None, str]] = []  # gradviz's own, not torch's

    def remark(self, text: str) -> None:
        """gradviz's own remark on the running line (a statement that does nothing), noted and
        marked in the editor like torch's warnings."""
        entry = (self._line(), text)
        if entry not in self.remarks and len(self.remarks) < MAX_WARNINGS:
            self.remarks.append(entry)

    def marked(self) -> list[tuple[int | None, str]]:
        """Every warning and remark with its line, for the editor to mark."""
        return [*self.entries, *self.remarks]

    def add(self, message: str, category: type[Warning]) -> None:
        if category is DeprecationWarning or category is FutureWarning:
            return  # about torch's own API, not about the student's program
        text = " ".join(message.split())
        for start, ours in IN_OUR_WORDS.items():
            if text.startswith(start):
                text = f"{ours} (torch: {start})"
        entry = (self._line(), text)
        if entry not in self.entries and len(self.entries) < MAX_WARNINGS:
            self.entries.append(entry)

    def notes(self) -> list[str]:
        """One note per warning: "torch warned at line 4: …", then per remark."""
        return [
            f"{NOTE_PREFIX}{f' at line {line}' if line is not None else ''}: {text}"
            for line, text in self.entries
        ] + [f"{REMARK_PREFIX} {line}: {text}" for line, text in self.remarks]


def remark_here(text: str) -> None:
    """gradviz's own remark on the line the program in this thread is running (nothing outside
    a run): for what only a torch call's own code can see (an optimizer step with no gradient)."""
    log: WarningLog | None = getattr(_local, "log", None)
    if log is not None:
        log.remark(text)


@contextlib.contextmanager
def collected(log: WarningLog) -> Iterator[WarningLog]:
    """Send the warnings this thread raises inside to `log`."""
    _ensure_installed()
    previous = getattr(_local, "log", None)
    _local.log = log
    try:
        yield log
    finally:
        _local.log = previous
