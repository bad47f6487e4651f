"""The racer rows: on/off, colour, optimizer, learning rate and further hyperparameters."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from gradviz.ui.lab.model import MAX_RACERS, Racer
from gradviz.ui.lab.palette import RACER_COLOURS
from gradviz.ui.number_box import CompactSpinBox
from gradviz.ui.type_size import shrinkable

KIND_NAMES = (
    "sgd momentum nesterov adagrad adadelta rmsprop rmsprop-momentum rmsprop-centered adam adamw "
    "adamax nadam radam asgd rprop lbfgs"
).split()


def split_spec(text: str) -> tuple[str, float | None, str]:
    """`adam:lr=0.05,beta1=0.8` → ("adam", 0.05, "beta1=0.8")."""
    kind, _, rest = text.partition(":")
    lr: float | None = None
    others = []
    for part in filter(None, (p.strip() for p in rest.split(","))):
        key, _, value = part.partition("=")
        if key.strip() == "lr":
            try:
                lr = float(value)
            except ValueError:
                others.append(part)
        else:
            others.append(part)
    return kind.strip(), lr, ",".join(others)


class RacerRow:
    def __init__(self, panel: RacerPanel, racer: Racer, row: int) -> None:
        self.panel = panel
        self.colour = racer.colour
        kind, lr, extra = split_spec(racer.spec)
        self.enabled = QCheckBox()
        self.enabled.setChecked(racer.enabled)
        self.enabled.setToolTip("Race this optimizer")
        self.swatch = QLabel("●")
        self.swatch.setStyleSheet(f"color: {racer.colour}; font-size: 20px;")
        self.kind = QComboBox()
        self.kind.addItems(KIND_NAMES)
        self.kind.setCurrentText(kind if kind in KIND_NAMES else "sgd")
        self.kind.setAccessibleName("Optimizer")
        shrinkable(self.kind, letters=10)  # "rmsprop-centered" set the lab's panel width
        self.lr = CompactSpinBox()
        self.lr.setDecimals(6)
        self.lr.setRange(0.0, 100.0)
        self.lr.setStepType(QAbstractSpinBox.StepType.AdaptiveDecimalStepType)
        self.lr.setValue(lr if lr is not None else 0.01)
        self.lr.setPrefix("lr ")
        self.lr.setAccessibleName("Learning rate")
        self.extra = QLineEdit(extra)
        # short enough for the projector theme's narrow column ("momentum=0.9, …" showed as
        # "mome…"); the tooltip gives the examples
        self.extra.setPlaceholderText("more…")
        self.extra.setToolTip(
            "More keyword arguments of the torch.optim class, comma-separated: "
            "momentum=0.9, nesterov=True, weight_decay=1e-4, beta1=0.8, beta2=0.99 …"
        )
        self.extra.setAccessibleName("More hyperparameters")
        self.remove = QPushButton("✕")
        self.remove.setToolTip("Remove this racer")
        self.remove.setFixedWidth(28)
        layout = panel.grid
        for column, widget in enumerate(
            (self.enabled, self.swatch, self.kind, self.lr, self.extra, self.remove)
        ):
            layout.addWidget(widget, row, column)
        self.enabled.toggled.connect(panel.changed)
        self.kind.currentTextChanged.connect(panel.changed)
        self.lr.valueChanged.connect(panel.changed)
        self.extra.editingFinished.connect(panel.changed)
        self.remove.clicked.connect(lambda: panel.remove(self))

    def racer(self) -> Racer:
        spec = f"{self.kind.currentText()}:lr={self.lr.value():g}"
        if self.extra.text().strip():
            spec += "," + self.extra.text().strip()
        return Racer(spec, self.colour, self.enabled.isChecked())

    def widgets(self) -> tuple[QWidget, ...]:
        return (self.enabled, self.swatch, self.kind, self.lr, self.extra, self.remove)


class RacerPanel(QWidget):
    """Up to eight optimizers; `changed` whenever any setting changes."""

    changed = Signal()

    def __init__(self, racers: list[Racer], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.grid = QGridLayout(self)
        self.grid.setColumnStretch(4, 1)
        self.rows: list[RacerRow] = []
        self.add_button = QPushButton("Add optimizer")
        self.add_button.clicked.connect(self.add)
        self.set_racers(racers)

    def set_racers(self, racers: list[Racer]) -> None:
        for row in self.rows:
            for widget in row.widgets():
                widget.setParent(None)
                widget.deleteLater()
        self.rows = [RacerRow(self, racer, i) for i, racer in enumerate(racers)]
        self.grid.addWidget(self.add_button, MAX_RACERS + 1, 0, 1, 6)
        self.add_button.setEnabled(len(self.rows) < MAX_RACERS)

    def racers(self) -> list[Racer]:
        return [row.racer() for row in self.rows]

    def add(self) -> None:
        if len(self.rows) >= MAX_RACERS:
            return
        used = {row.colour for row in self.rows}
        colour = next(c for c in RACER_COLOURS if c not in used)
        self.set_racers([*self.racers(), Racer("adam:lr=0.05", colour)])
        self.changed.emit()

    def remove(self, row: RacerRow) -> None:
        self.set_racers([r.racer() for r in self.rows if r is not row])
        self.changed.emit()
