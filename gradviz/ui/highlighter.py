"""Syntax highlighting for gradviz programs (Python keywords, torch names, numbers, strings)."""

from __future__ import annotations

import re

from PySide6.QtGui import QColor, QFont, QSyntaxHighlighter, QTextCharFormat, QTextDocument

KEYWORDS = (
    "and as break class continue def elif else False for from if import in is None not or pass "
    "return self super True with yield assert lambda while try except raise global"
).split()
MODULES = ("torch", "nn", "F", "math", "optim")
CALLS = (
    "print range len enumerate zip exp log sin cos tanh sigmoid relu sqrt abs float int sum min "
    "max round isinstance bool str list tuple iter next"
).split()

PALETTES = {
    "light": {"keyword": "#7c3aed", "module": "#0b6bcb", "call": "#0f766e", "number": "#b45309",
              "string": "#15803d", "comment": "#6b7280"},
    "dark": {"keyword": "#c4a5ff", "module": "#7cc4ff", "call": "#5eead4", "number": "#fbbf24",
             "string": "#86efac", "comment": "#9ca3af"},
    "projector": {"keyword": "#5b21b6", "module": "#0041a8", "call": "#005f56", "number": "#8a3b00",
                  "string": "#0a5c22", "comment": "#404040"},
}  # fmt: skip


def _format(colour: str, bold: bool = False, italic: bool = False) -> QTextCharFormat:
    fmt = QTextCharFormat()
    fmt.setForeground(QColor(colour))
    if bold:
        fmt.setFontWeight(QFont.Weight.Bold)
    fmt.setFontItalic(italic)
    return fmt


class Highlighter(QSyntaxHighlighter):
    """Colours one line at a time with a few regular expressions."""

    def __init__(self, document: QTextDocument, theme: str = "light") -> None:
        super().__init__(document)
        self.set_theme(theme)

    def set_theme(self, theme: str) -> None:
        colours = PALETTES.get(theme, PALETTES["light"])
        self._rules = [
            (re.compile(r"\b(" + "|".join(KEYWORDS) + r")\b"), _format(colours["keyword"], True)),
            (re.compile(r"\b(" + "|".join(MODULES) + r")\b"), _format(colours["module"])),
            (re.compile(r"\b(" + "|".join(CALLS) + r")(?=\s*\()"), _format(colours["call"])),
            (re.compile(r"\b\d+\.?\d*(e[-+]?\d+)?\b|\.\d+"), _format(colours["number"])),
            (re.compile(r"'[^'\n]*'|\"[^\"\n]*\""), _format(colours["string"])),
            (re.compile(r"#.*$"), _format(colours["comment"], italic=True)),
        ]
        self.rehighlight()

    def highlightBlock(self, text: str) -> None:
        for pattern, fmt in self._rules:
            for match in pattern.finditer(text):
                self.setFormat(match.start(), match.end() - match.start(), fmt)
