"""The network builder's controls: data, features, layers, loss and optimizer, kept equal to a
NetworkSpec in both directions (set_spec never emits; every user change emits `changed`)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from gradviz.nets.spec import (
    ACTIVATIONS,
    FEATURES,
    MAX_LAYERS,
    MAX_SAMPLES,
    MAX_WIDTH,
    Data,
    Layer,
    NetworkSpec,
)
from gradviz.ui.lab.racers import KIND_NAMES, split_spec
from gradviz.ui.number_box import CompactSpinBox, show_exactly

DATASET_TITLES = {
    "circles": "Circles", "xor": "XOR", "gaussians": "Two gaussians", "spiral": "Spiral",
    "moons": "Two moons", "plane": "Regression: plane", "sine": "Regression: waves",
    "csv": "CSV file…",
}  # fmt: skip
LOSS_TITLES = {"bce": "BCE with logits", "cross_entropy": "Cross-entropy", "mse": "MSE"}
OPTIMIZERS = [k for k in KIND_NAMES if k != "lbfgs"]


def _spin(low: float, high: float, step: float, decimals: int) -> QDoubleSpinBox:
    box = CompactSpinBox()
    box.setRange(low, high)
    box.setSingleStep(step)
    box.setDecimals(decimals)
    box.setKeyboardTracking(False)  # one change per edit, not per keystroke
    return box


def _int_spin(low: int, high: int) -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    box.setKeyboardTracking(False)
    return box


class BuilderPanel(QWidget):
    changed = Signal()  # the user changed a setting: read spec()
    open_csv = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._quiet = False
        self.csv_rows: tuple[tuple[float, float, float], ...] = ()
        layout = QVBoxLayout(self)
        layout.addWidget(self._data_box())
        layout.addWidget(self._features_box())
        layout.addWidget(self._layers_box())
        layout.addWidget(self._training_box())
        layout.addStretch(1)
        self.set_spec(NetworkSpec())

    # -- construction ----------------------------------------------------------------------------
    def _data_box(self) -> QGroupBox:
        box = QGroupBox("Data")
        form = QFormLayout(box)
        self.dataset = QComboBox()
        for key, title in DATASET_TITLES.items():
            self.dataset.addItem(title, key)
        self.dataset.setAccessibleName("Dataset")
        self.dataset.currentIndexChanged.connect(self._dataset_changed)
        self.samples = _int_spin(10, MAX_SAMPLES)
        self.noise = _spin(0.0, 2.0, 0.05, 2)
        self.test_percent = _spin(0.0, 90.0, 5.0, 0)
        self.test_percent.setSuffix(" %")
        self.csv_label = QLabel("")
        self.csv_label.setWordWrap(True)
        form.addRow(self.dataset)
        form.addRow("points", self.samples)
        form.addRow("noise", self.noise)
        form.addRow("held out for testing", self.test_percent)
        form.addRow(self.csv_label)
        for widget in (self.samples, self.noise, self.test_percent):
            widget.valueChanged.connect(self._emit)
        return box

    def _features_box(self) -> QGroupBox:
        box = QGroupBox("Input features")
        grid = QGridLayout(box)
        self.features: dict[str, QCheckBox] = {}
        for index, name in enumerate(FEATURES):
            check = QCheckBox(name)
            check.setToolTip(f"feed {FEATURES[name]} to the network")
            check.toggled.connect(self._emit)
            self.features[name] = check
            grid.addWidget(check, index // 4, index % 4)
        return box

    def _layers_box(self) -> QGroupBox:
        box = QGroupBox("Hidden layers (nn.Linear + activation)")
        column = QVBoxLayout(box)
        self.layer_grid = QGridLayout()
        column.addLayout(self.layer_grid)
        self.layer_rows: list[tuple[QLabel, QSpinBox, QComboBox, QPushButton]] = []
        buttons = QHBoxLayout()
        self.add_layer = QPushButton("Add layer")
        self.add_layer.clicked.connect(self._add_clicked)
        self.dropout = _spin(0.0, 0.95, 0.05, 2)
        self.dropout.setPrefix("dropout ")
        self.dropout.valueChanged.connect(self._emit)
        buttons.addWidget(self.add_layer)
        buttons.addWidget(self.dropout)
        column.addLayout(buttons)
        return box

    def _training_box(self) -> QGroupBox:
        box = QGroupBox("Training")
        form = QFormLayout(box)
        self.loss = QComboBox()
        for key, title in LOSS_TITLES.items():
            self.loss.addItem(title, key)
        self.loss.currentIndexChanged.connect(self._emit)
        self.optimizer = QComboBox()
        self.optimizer.addItems(OPTIMIZERS)
        self.optimizer.setAccessibleName("Optimizer")
        self.optimizer.currentIndexChanged.connect(self._emit)
        self.lr = _spin(1e-5, 10.0, 0.01, 5)
        self.extra = QLineEdit()
        self.extra.setPlaceholderText("more, e.g. beta1=0.8")
        self.extra.editingFinished.connect(self._emit)
        self.weight_decay = _spin(0.0, 1.0, 1e-4, 5)
        self.batch_size = _int_spin(1, MAX_SAMPLES)
        self.seed = _int_spin(0, 2**31 - 1)
        self.device = QComboBox()
        self.device.addItems(["CPU", "CUDA"])
        self.device.setAccessibleName("Network device")
        self.set_cuda(False, "checking for CUDA…")
        for widget in (self.lr, self.weight_decay):
            widget.valueChanged.connect(self._emit)
        for spin in (self.batch_size, self.seed):
            spin.valueChanged.connect(self._emit)
        self.device.currentIndexChanged.connect(self._emit)
        form.addRow("loss", self.loss)
        form.addRow("optimizer", self.optimizer)
        form.addRow("learning rate", self.lr)
        form.addRow("", self.extra)
        form.addRow("weight decay", self.weight_decay)
        form.addRow("batch size", self.batch_size)
        form.addRow("seed", self.seed)
        form.addRow("device", self.device)
        return box

    # -- layers --------------------------------------------------------------------------------
    def _set_layers(self, layers: tuple[Layer, ...]) -> None:
        for row in self.layer_rows:
            for old in row:
                self.layer_grid.removeWidget(old)
                old.deleteLater()
        self.layer_rows = []
        for index, layer in enumerate(layers):
            spin = _int_spin(1, MAX_WIDTH)
            spin.setValue(layer.width)
            spin.setPrefix("width ")
            combo = QComboBox()
            combo.addItems(list(ACTIVATIONS))
            combo.setCurrentText(layer.activation)
            remove = QPushButton("×")
            remove.setToolTip("Remove this layer")
            remove.setFixedWidth(32)
            spin.valueChanged.connect(self._emit)
            combo.currentIndexChanged.connect(self._emit)
            remove.clicked.connect(lambda _=False, i=index: self._remove(i))
            label = QLabel(f"{index + 1}")
            for column, cell in enumerate((label, spin, combo, remove)):
                self.layer_grid.addWidget(cell, index, column)
            self.layer_rows.append((label, spin, combo, remove))
        self.add_layer.setEnabled(len(layers) < MAX_LAYERS)

    def _layers(self) -> tuple[Layer, ...]:
        return tuple(Layer(row[1].value(), row[2].currentText()) for row in self.layer_rows)

    def _add_clicked(self) -> None:
        layers = self._layers()
        width = layers[-1].width if layers else 8
        self._set_layers((*layers, Layer(width, layers[-1].activation if layers else "tanh")))
        self._emit()

    def _remove(self, index: int) -> None:
        layers = list(self._layers())
        del layers[index]
        self._set_layers(tuple(layers))
        self._emit()

    # -- the spec ------------------------------------------------------------------------------
    def spec(self) -> NetworkSpec:
        name = str(self.dataset.currentData())
        data = Data(
            name,
            self.samples.value(),
            self.noise.value(),
            round(self.test_percent.value() / 100, self.test_percent.decimals() + 2),
            self.csv_rows if name == "csv" else (),
        )
        options = [f"lr={self.lr.value():g}"]
        if self.extra.text().strip():
            options.append(self.extra.text().strip())
        return NetworkSpec(
            data=data,
            features=tuple(name for name, check in self.features.items() if check.isChecked()),
            layers=self._layers(),
            dropout=self.dropout.value(),
            loss=str(self.loss.currentData()),
            optimizer=f"{self.optimizer.currentText()}:{','.join(options)}",
            weight_decay=self.weight_decay.value(),
            batch_size=self.batch_size.value(),
            seed=self.seed.value(),
            device="cuda" if self.device.currentIndex() == 1 else "cpu",
        )

    def set_spec(self, spec: NetworkSpec) -> None:
        """Show `spec` (from the program in the editor) without emitting `changed`."""
        self._quiet = True
        try:
            self.dataset.setCurrentIndex(self.dataset.findData(spec.data.name))
            self.samples.setValue(spec.data.samples)
            show_exactly(self.noise, spec.data.noise)
            show_exactly(self.test_percent, spec.data.test_fraction * 100)
            if spec.data.csv_rows:
                self.csv_rows = spec.data.csv_rows
            self._show_csv()
            for name, check in self.features.items():
                check.setChecked(name in spec.features)
            self._set_layers(spec.layers)
            show_exactly(self.dropout, spec.dropout)
            self.loss.setCurrentIndex(self.loss.findData(spec.loss))
            kind, lr, extra = split_spec(spec.optimizer)
            self.optimizer.setCurrentText(kind)
            if lr is None:
                from gradviz.optim.registry import parse_spec

                lr = float(parse_spec(spec.optimizer).params().get("lr", 0.01))
            show_exactly(self.lr, lr)
            self.extra.setText(extra)
            show_exactly(self.weight_decay, spec.weight_decay)
            self.batch_size.setValue(spec.batch_size)
            self.seed.setValue(spec.seed)
            self.device.setCurrentIndex(1 if spec.device == "cuda" else 0)
            self._dataset_changed(emit=False)
        finally:
            self._quiet = False

    def set_csv(self, rows: tuple[tuple[float, float, float], ...]) -> None:
        self.csv_rows = rows
        self._quiet = True
        self.dataset.setCurrentIndex(self.dataset.findData("csv"))
        self._quiet = False
        self._dataset_changed()

    def set_cuda(self, available: bool, reason: str) -> None:
        item = self.device.model().item(1)  # type: ignore[attr-defined]
        item.setEnabled(available)
        self.device.setToolTip(
            "Data, model and training on this device"
            if available
            else f"CUDA unavailable: {reason}"
        )

    def _show_csv(self) -> None:
        csv = self.dataset.currentData() == "csv"
        self.csv_label.setVisible(csv)
        self.csv_label.setText(
            f"{len(self.csv_rows)} rows from the CSV file" if self.csv_rows else ""
        )

    def _dataset_changed(self, *_: object, emit: bool = True) -> None:
        name = self.dataset.currentData()
        csv = name == "csv"
        self.samples.setEnabled(not csv)
        self.noise.setEnabled(not csv)
        regression = name in ("plane", "sine")
        if regression and not self._quiet:
            self.loss.blockSignals(True)
            self.loss.setCurrentIndex(self.loss.findData("mse"))
            self.loss.blockSignals(False)
        self._show_csv()
        if csv and not self.csv_rows and not self._quiet:
            self.open_csv.emit()
            return
        if emit:
            self._emit()

    def _emit(self, *_: object) -> None:
        if not self._quiet:
            self.changed.emit()
