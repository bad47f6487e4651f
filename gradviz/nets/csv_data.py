"""A small CSV of points for the network builder: x, y, target per row; checked, size-capped."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

MAX_ROWS = 1000
MAX_BYTES = 256 * 1024
_SEPARATOR_NAMES = {",": "commas", ";": "semicolons", "\t": "tabs"}


class CsvError(ValueError):
    """What is wrong with the file, and where."""


def _number(text: str, line: int, column: int) -> float:
    try:
        value = float(text)
    except ValueError:
        raise CsvError(f"line {line}, column {column}: {text.strip()!r} is not a number") from None
    if not math.isfinite(value):
        raise CsvError(f"line {line}, column {column}: {text.strip()} is not a finite number")
    return value


def _separator(text: str) -> str:
    """The column separator: a comma, or the semicolon or tab a spreadsheet writes where the
    comma is the decimal mark (German or French Excel: `1,5;-0,25;1`)."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    for separator in (";", "\t"):
        if first.count(separator) == 2:
            return separator
    return ","


def parse_csv(text: str) -> tuple[tuple[float, float, float], ...]:
    """Rows of x, y, target. A first line that is not numbers is taken as a header."""
    if len(text.encode("utf-8", "replace")) > MAX_BYTES:
        raise CsvError(f"the file is larger than {MAX_BYTES // 1024} KB")
    rows: list[tuple[float, float, float]] = []
    separator = _separator(text)
    reader = csv.reader(io.StringIO(text), delimiter=separator)
    for line, fields in enumerate(reader, 1):
        if not fields or all(not f.strip() for f in fields):
            continue
        if len(fields) != 3:
            raise CsvError(
                f"line {line}: expected 3 columns (x, y, target) separated by "
                f"{_SEPARATOR_NAMES[separator]}, found {len(fields)}"
            )
        if separator != ",":  # there a comma is the decimal mark
            fields = [f.replace(",", ".") for f in fields]
        if line == 1 and not rows:
            try:
                float(fields[0])
            except ValueError:
                continue  # a header
        values = tuple(_number(f, line, c) for c, f in enumerate(fields, 1))
        rows.append((values[0], values[1], values[2]))
        if len(rows) > MAX_ROWS:
            raise CsvError(f"more than {MAX_ROWS} rows; the Network tab trains on small data")
    if len(rows) < 10:
        count = f"{len(rows)} row{'' if len(rows) == 1 else 's'}"
        raise CsvError(f"only {count}; at least 10 are needed")
    return tuple(rows)


def read_csv(path: str | Path) -> tuple[tuple[float, float, float], ...]:
    file = Path(path)
    if file.stat().st_size > MAX_BYTES:
        raise CsvError(f"{file.name} is larger than {MAX_BYTES // 1024} KB")
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise CsvError(f"{file.name} is not a UTF-8 text file") from None
    return parse_csv(text)
