"""The one error type for bad user input: a message with the line and column it happened at."""

from __future__ import annotations

import ast


class ProgramError(Exception):
    """A problem with what the user typed; `line` and `col` are 1-based, or None if not local."""

    def __init__(self, message: str, line: int | None = None, col: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.col = col
        self.related: list[tuple[int | None, str]] = []  # other lines it is about: (line, why)

    def with_related(self, related: list[tuple[int | None, str]]) -> ProgramError:
        """This error, about those other lines too (returned: raised without a local name,
        which its traceback's frame would hold in a cycle)."""
        self.related = list(related)
        return self

    def __str__(self) -> str:
        if self.line is None:
            return self.message
        if self.col is None:
            return f"line {self.line}: {self.message}"
        return f"line {self.line}, col {self.col}: {self.message}"

    def to_dict(self) -> dict[str, object]:
        return {"message": self.message, "line": self.line, "col": self.col}


def column_of(source_lines: list[str], line: int, byte_offset: int) -> int:
    """Turn ast's UTF-8 byte offset into a 1-based character column."""
    if 1 <= line <= len(source_lines):
        text = source_lines[line - 1].encode("utf-8")[:byte_offset]
        return len(text.decode("utf-8", errors="replace")) + 1
    return byte_offset + 1


def error_at(node: ast.AST, message: str, source_lines: list[str]) -> ProgramError:
    """A ProgramError located at an AST node."""
    line = getattr(node, "lineno", None)
    offset = getattr(node, "col_offset", None)
    if line is None:
        return ProgramError(message)
    col = column_of(source_lines, line, offset) if offset is not None else None
    return ProgramError(message, line, col)
