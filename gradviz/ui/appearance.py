"""The application's own colours and type size for each theme (the graph has its own theme)."""

from __future__ import annotations

import weakref

from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication, QWidget

from gradviz.ui.type_size import refresh_relative_fonts

_COLOURS = {
    "light": dict(window="#f3f4f6", base="#ffffff", alt="#eef0f3", text="#111827",
                  button="#e5e7eb", highlight="#2563eb", muted="#6b7280"),
    "dark": dict(window="#202124", base="#323439", alt="#3a3d42", text="#e8eaed",
                 button="#303236", highlight="#5b9cff", muted="#a0a4ab"),
    "projector": dict(window="#ffffff", base="#ffffff", alt="#f0f0f0", text="#000000",
                      button="#e6e6e6", highlight="#0038a8", muted="#333333"),
}  # fmt: skip

BASE_POINT_SIZE = {"light": 10.0, "dark": 10.0, "projector": 14.0}


def apply(app: QApplication, theme: str, font_scale: float = 1.0) -> None:
    """Set the palette and default font for `theme`."""
    c = _COLOURS.get(theme, _COLOURS["light"])
    palette = QPalette()
    role = QPalette.ColorRole
    for r, key in (
        (role.Window, "window"), (role.Base, "base"), (role.AlternateBase, "alt"),
        (role.Text, "text"), (role.WindowText, "text"), (role.ButtonText, "text"),
        (role.ToolTipText, "text"), (role.Button, "button"), (role.ToolTipBase, "base"),
        (role.Highlight, "highlight"), (role.PlaceholderText, "muted"),
        (role.Link, "highlight"), (role.LinkVisited, "highlight"),  # (Qt's blue: dim on dark)
    ):  # fmt: skip
        palette.setColor(r, QColor(c[key]))
    palette.setColor(role.HighlightedText, QColor("#ffffff"))
    app.setPalette(palette)
    _theme[0] = theme
    for label in list(_showing_errors):  # their red, for the new background
        show_as_error(label)
    font = QFont(app.font())
    font.setPointSizeF(BASE_POINT_SIZE.get(theme, 10.0) * font_scale)
    app.setFont(font)
    refresh_relative_fonts()  # the larger titles and numbers, in proportion


# the error text's red on each theme's background, each at least 4.5:1 (WCAG AA): one red for
# all (#d62728) was 3.7:1 on the dark theme
ERROR_RED = {"light": "#c81d25", "dark": "#ff7b72", "projector": "#b00000"}
_showing_errors: weakref.WeakSet[QWidget] = weakref.WeakSet()
_theme = ["light"]


def show_as_error(label: QWidget, error: bool = True) -> None:
    """Red bold text (the theme's red, kept through theme changes), or the theme's own again;
    either way in the theme's type size (a style sheet with a font property would keep the
    label at the size it had then: 9 pt under the projector's 14)."""
    palette, font = QPalette(), QFont()  # nothing set: all inherited from the parent
    if error:
        palette.setColor(QPalette.ColorRole.WindowText, QColor(error_red()))
        font.setBold(True)
        _showing_errors.add(label)
    else:
        _showing_errors.discard(label)
    label.setPalette(palette)
    label.setFont(font)


def error_red(theme: str | None = None) -> str:
    """The red of error text on `theme` (the one in force by default)."""
    return ERROR_RED.get(theme or _theme[0], ERROR_RED["light"])
