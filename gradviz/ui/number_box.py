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


MAX_DECIMALS = 12


def show_exactly(box: QDoubleSpinBox, value: float) -> None:
    """Set `value` as it is, not rounded to the box's decimals nor clamped to its range: a
    program's number the box would change (lr 100 in a box up to 10, noise 0.125 with two
    decimals) widens the box instead, so that what the box writes back is what was read."""
    decimals = box.decimals()
    while decimals < MAX_DECIMALS and abs(round(value, decimals) - value) > 1e-12 * max(
        1.0, abs(value)
    ):
        decimals += 1
    if decimals != box.decimals():
        box.setDecimals(decimals)  # (Qt rounds the range to the decimals: set it after)
    box.setRange(min(box.minimum(), value), max(box.maximum(), value))
    box.setValue(value)
