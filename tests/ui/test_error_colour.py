"""Error text is legible on every theme: its red is the theme's, changed with the theme."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from tests.ui.conftest import set_program


def _luminance(colour: QColor) -> float:
    """WCAG 2 relative luminance."""

    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(v) for v in (colour.redF(), colour.greenF(), colour.blueF()))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(a: QColor, b: QColor) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_error_line_keeps_aa_contrast_through_theme_changes(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    set_program(qtbot, window, "x = torch.randn(3, 4)\nw = torch.randn(5, 2)\ny = x @ w\n")
    label = window.error_label
    assert label.isVisible()
    reds = set()
    for theme in ("light", "dark", "projector", "light"):
        window.apply_theme(theme)  # the label already showing its error
        red = label.palette().color(QPalette.ColorRole.WindowText)
        background = QApplication.palette().color(QPalette.ColorRole.Window)  # drawn on it
        assert red.red() > 2 * max(red.green(), red.blue())  # still red
        assert _contrast(red, background) >= 4.5, (theme, red.name(), background.name())
        reds.add(red.name())
    assert len(reds) == 3  # a red of each theme's own
