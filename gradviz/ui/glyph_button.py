"""A push button labelled with a glyph or two (|◀ ◀ ▶ ▶|), as wide as its label needs."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QPushButton


class GlyphButton(QPushButton):
    """Qt gives every push button with text at least 80 px (in the projector's type): the
    backprop player's four arrow buttons made it 870 px wide, more than half a 1280 px
    projector in presentation mode. This one is its label's width plus a margin on each side
    that grows with the type."""

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        metrics = self.fontMetrics()
        width = metrics.horizontalAdvance(self.text()) + round(1.4 * metrics.height())
        return QSize(min(hint.width(), width), hint.height())

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()
