"""A number box that writes its value without trailing zeros: lr 0.001, not lr 0.001000."""

from __future__ import annotations

from PySide6.QtWidgets import QDoubleSpinBox


class CompactSpinBox(QDoubleSpinBox):
    """A QDoubleSpinBox showing as few decimals as its value needs (its decimals() still bound
    what can be typed and stored)."""

    def textFromValue(self, value: float) -> str:
        text = super().textFromValue(value)
        point = self.locale().decimalPoint()
        if point in text:
            text = text.rstrip("0").rstrip(point)
        return text
