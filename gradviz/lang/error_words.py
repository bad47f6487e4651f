"""The words of an error a program met: torch's or Python's, cut to what says what went wrong."""

from __future__ import annotations

from gradviz.lang.type_of import in_pythons_words


def clean_message(exc: BaseException) -> str:
    """The first meaningful line of a (possibly long, C++-flavoured) torch error; a first
    line ending in a colon with the lines it introduces (load_state_dict's missing keys)."""
    text = str(exc).strip() or type(exc).__name__
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    first = lines[0]
    if first.endswith(":") and len(lines) > 1:
        first = " ".join(lines[:4])
    if isinstance(exc, ZeroDivisionError):
        return "division by zero"
    if isinstance(exc, MemoryError):
        return "out of memory"
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    first = first.split("; use sys.set_int_max_str_digits()")[0]  # (no sys in a program)
    return in_pythons_words(first[:300])
