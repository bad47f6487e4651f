"""A number box that writes its value without trailing zeros: lr 0.001, not lr 0.001000."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QDoubleSpinBox

SAMPLE_DECIMALS = 4  # the box is as wide as a value with this many decimals needs (0.0001)


class CompactSpinBox(QDoubleSpinBox):
    """A QDoubleSpinBox showing as few decimals as its value needs (its decimals() still bound
    what can be typed and stored), as wide as its range's ends or a value like 0.0001 need."""

    def textFromValue(self, value: float) -> str:
        text = super().textFromValue(value)
        point = self.locale().decimalPoint()
        if point in text:
            text = text.rstrip("0").rstrip(point)
        return text

    def sizeHint(self) -> QSize:
        return self._widened(super().sizeHint())

    def minimumSizeHint(self) -> QSize:
        return self._widened(super().minimumSizeHint())

    def _widened(self, hint: QSize) -> QSize:
        """Qt measures the texts of the range's ends ("lr 100"): add what a small value's
        text ("lr 0.0001") needs beyond them."""
        metrics = self.fontMetrics()
        decimals = min(self.decimals(), SAMPLE_DECIMALS)
        point = self.locale().decimalPoint()
        sample = "0" + (point + "0" * (decimals - 1) + "1" if decimals > 0 else "")
        texts = [self.textFromValue(self.minimum()), self.textFromValue(self.maximum())]
        measured = max(metrics.horizontalAdvance(self.prefix() + t + self.suffix()) for t in texts)
        wanted = metrics.horizontalAdvance(self.prefix() + sample + self.suffix())
        return QSize(hint.width() + max(0, wanted - measured), hint.height())
