"""The optimizer lab's controls: the side panel (surface, optimizers, device, basin map,
export) and the transport bar above the surface (widgets only; the lab connects them)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from gradviz.ui.appearance import show_as_error
from gradviz.ui.lab.model import LabState
from gradviz.ui.lab.racers import RacerPanel
from gradviz.ui.type_size import shrinkable

SURFACES = (
    ("rosenbrock", "Rosenbrock"), ("beale", "Beale"), ("himmelblau", "Himmelblau"),
    ("booth", "Booth"), ("matyas", "Matyas"), ("three-hump-camel", "Three-hump camel"),
    ("six-hump-camel", "Six-hump camel"), ("rastrigin", "Rastrigin"), ("ackley", "Ackley"),
    ("styblinski-tang", "Styblinski–Tang"), ("quadratic", "Quadratic bowl (κ, rotation)"),
    ("saddle", "Saddle x² − y²"), ("function", "Your function f(x, y)…"),
    ("network", "The Graph tab's network: loss landscape"),
)  # fmt: skip


class LabControls(QWidget):
    def __init__(self, state: LabState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        form = QVBoxLayout(self)
        form.addWidget(self._surface_box(state))
        racers_box = QGroupBox("Optimizers (torch.optim)")
        self.racers = RacerPanel(state.racers)
        QVBoxLayout(racers_box).addWidget(self.racers)
        form.addWidget(racers_box)
        form.addWidget(self._device_box())
        form.addWidget(self._basin_box())
        export_row = QHBoxLayout()
        self.save_view = QPushButton("Save view…")
        self.save_race = QPushButton("Save race…")
        export_row.addWidget(self.save_view)
        export_row.addWidget(self.save_race)
        form.addLayout(export_row)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        show_as_error(self.status)
        form.addWidget(self.status)
        form.addStretch(1)

    def _surface_box(self, state: LabState) -> QGroupBox:
        box = QGroupBox("Surface")
        surface_form = QFormLayout(box)
        self.surface = QComboBox()
        for key, title in SURFACES:
            self.surface.addItem(title, key)
        self.surface.setAccessibleName("Surface")
        shrinkable(self.surface)
        self.function = QLineEdit(state.function_source)
        self.function.setPlaceholderText("f(x, y) in the gradviz language, e.g. x**2 + 10*y**2")
        self.function.setVisible(False)
        self.condition = QDoubleSpinBox()
        self.condition.setRange(1.0, 1000.0)
        self.condition.setValue(10.0)
        self.condition.setPrefix("κ = ")
        self.condition.setToolTip("condition number: how much narrower the bowl is one way")
        self.angle = QDoubleSpinBox()
        self.angle.setRange(-90.0, 90.0)
        self.angle.setValue(30.0)
        self.angle.setSuffix("°")
        self.angle.setToolTip("rotation of the bowl")
        for spin in (self.condition, self.angle):
            spin.setVisible(False)
        self.steps = QSpinBox()
        self.steps.setRange(1, 5000)
        self.steps.setValue(state.steps)
        self.start_label = QLabel("start: the surface's usual one — click the surface or drag ✚")
        self.start_label.setWordWrap(True)
        surface_form.addRow(self.surface)
        surface_form.addRow(self.function)
        bowl = QHBoxLayout()
        bowl.addWidget(self.condition)
        bowl.addWidget(self.angle)
        surface_form.addRow(bowl)
        surface_form.addRow("steps", self.steps)
        surface_form.addRow(self.start_label)
        return box

    def _device_box(self) -> QGroupBox:
        box = QGroupBox("Device")
        device_form = QFormLayout(box)
        self.device = QComboBox()
        self.device.addItems(["CPU", "CUDA"])
        self.device.setAccessibleName("Lab device")
        self.timing = QLabel("")
        self.timing.setWordWrap(True)
        device_form.addRow(self.device)
        device_form.addRow(self.timing)
        return box

    def _basin_box(self) -> QGroupBox:
        box = QGroupBox("Basin map")
        basin_form = QFormLayout(box)
        self.basin_resolution = QSpinBox()
        self.basin_resolution.setRange(16, 1024)
        self.basin_resolution.setValue(128)
        self.basin_steps = QSpinBox()
        self.basin_steps.setRange(10, 5000)
        self.basin_steps.setValue(300)
        self.basin_button = QPushButton("Colour starts by where they end")
        self.basin_button.setToolTip("Runs the first optimizer from every start of a grid at once")
        self.basin_clear = QPushButton("Clear")
        self.basin_label = QLabel("")
        self.basin_label.setWordWrap(True)
        basin_form.addRow("starts per side", self.basin_resolution)
        basin_form.addRow("steps", self.basin_steps)
        row = QHBoxLayout()
        row.addWidget(self.basin_button)
        row.addWidget(self.basin_clear)
        basin_form.addRow(row)
        basin_form.addRow(self.basin_label)
        return box


class TransportBar(QWidget):
    """Play/pause, step, reset, speed (steps per frame), the 3D switch and the step shown."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.play_button = QPushButton("Pause")
        self.play_button.setCheckable(True)
        self.step = QPushButton("Step")
        self.reset = QPushButton("Reset")
        self.speed = QSlider(Qt.Orientation.Horizontal)
        self.speed.setRange(1, 20)
        self.speed.setValue(2)
        self.speed.setToolTip("steps per frame")
        self.three_d = QCheckBox("3D")
        self.step_label = QLabel("step 0")
        shown = (self.play_button, self.step, self.reset, QLabel("speed"), self.speed)
        for widget in (*shown, self.three_d, self.step_label):
            row.addWidget(widget)
