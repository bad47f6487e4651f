"""A slider and spin box for every scalar input (`x = 2.0`), for live what-if exploration."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QGridLayout,
    QLabel,
    QSlider,
    QWidget,
)

from gradviz.ui.number_box import CompactSpinBox, show_exactly

STEPS = 1000  # slider resolution


@dataclass(frozen=True)
class InputSpec:
    name: str
    initial: float


def slider_range(initial: float) -> tuple[float, float]:
    """A range around the literal the program wrote: ±max(3, 2|x|)."""
    half = max(3.0, 2.0 * abs(initial))
    return initial - half, initial + half


class _Row:
    def __init__(self, panel: VariablePanel, spec: InputSpec, row: int) -> None:
        self.spec = spec
        self.low, self.high = slider_range(spec.initial)
        self.label = QLabel(spec.name)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, STEPS)
        self.slider.setAccessibleName(f"{spec.name} slider")
        self.spin = CompactSpinBox()  # 2, 0.5, 0.00003: as the program writes them
        self.spin.setDecimals(4)
        self.spin.setRange(-1e9, 1e9)
        self.spin.setSingleStep(0.1)
        self.spin.setAccessibleName(f"{spec.name} value")
        layout = panel.grid
        layout.addWidget(self.label, row, 0)
        layout.addWidget(self.slider, row, 1)
        layout.addWidget(self.spin, row, 2)
        self._panel = panel
        self._quiet = False
        self.slider.valueChanged.connect(self._from_slider)
        self.spin.valueChanged.connect(self._from_spin)
        self.slider.sliderReleased.connect(panel.released)

    def set_value(self, value: float) -> None:
        self._quiet = True
        show_exactly(self.spin, value)  # not rounded to the box's four decimals
        if not self.low <= value <= self.high:
            self.low, self.high = slider_range(value)
        self.slider.setValue(round((value - self.low) / (self.high - self.low) * STEPS))
        self._quiet = False

    def _from_slider(self, position: int) -> None:
        if self._quiet:
            return
        value = self.low + (self.high - self.low) * position / STEPS
        self._quiet = True
        self.spin.setValue(round(value, 4))
        self._quiet = False
        self._panel.changed.emit(self.spec.name, round(value, 4))

    def _from_spin(self, value: float) -> None:
        if self._quiet:
            return
        self.set_value(value)
        self._panel.changed.emit(self.spec.name, value)

    def remove(self) -> None:
        for widget in (self.label, self.slider, self.spin):
            widget.setParent(None)
            widget.deleteLater()


class VariablePanel(QWidget):
    """Rows of controls; `changed(name, value)` as the user drags, `released` at the end."""

    changed = Signal(str, float)
    released = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.grid = QGridLayout(self)
        self.grid.setColumnStretch(1, 1)
        self._rows: dict[str, _Row] = {}
        self._specs: list[InputSpec] = []
        self._hint = QLabel(
            "Scalar inputs get sliders here: a line like `x = 2.0` (a name assigned only there)."
        )
        self._hint.setWordWrap(True)
        self.grid.addWidget(self._hint, 0, 0, 1, 3)

    def set_inputs(self, specs: list[InputSpec], values: dict[str, float]) -> None:
        """Rebuild the rows when the set of inputs changes; keep values the user chose."""
        if specs != self._specs:
            for row in self._rows.values():
                row.remove()
            self._rows = {spec.name: _Row(self, spec, i + 1) for i, spec in enumerate(specs)}
            self._specs = list(specs)
        self._hint.setVisible(not specs)
        for spec in specs:
            self._rows[spec.name].set_value(values.get(spec.name, spec.initial))

    def names(self) -> list[str]:
        return list(self._rows)

    def row(self, name: str) -> tuple[QSlider, QDoubleSpinBox]:
        row = self._rows[name]
        return row.slider, row.spin
