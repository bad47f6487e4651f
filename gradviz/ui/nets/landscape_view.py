"""The trained network's real loss landscape (Li et al. 2018), in the optimizer lab's surface
view: two filter-normalised random directions around the current weights, or the plane of the
training trajectory's top two PCA directions with the trajectory drawn on it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from gradviz.nets.landscape import Landscape, pca_landscape, random_landscape
from gradviz.nets.trainer import Trainer, state_of
from gradviz.ui.lab.surface_view import GridImage, Path, SurfaceView
from gradviz.ui.type_size import shrinkable

if TYPE_CHECKING:
    from gradviz.ui.lab.surface3d import Surface3D
    from gradviz.ui.nets.network_widget import NetworkWidget

TRAJECTORY_COLOUR = "#D55E00"


def landscape_task(
    holder: dict[str, Trainer], mode: str, grid: int, span: float
) -> Callable[[threading.Event], tuple[Landscape, int]]:
    def run(cancel: threading.Event) -> tuple[Landscape, int]:
        trainer = holder["trainer"]
        loss = trainer.loss_function()
        trainer.model.eval()  # dropout off: the landscape of the network as it predicts
        try:
            if mode == "pca":
                checkpoints = [*trainer.checkpoints, state_of(trainer)]
                return pca_landscape(loss, checkpoints, grid, cancel=cancel), trainer.step_count
            base = state_of(trainer)
            result = random_landscape(loss, base, grid, span, trainer.spec.seed, cancel)
            return result, trainer.step_count
        finally:
            trainer.model.train()

    return run


def image_of(landscape: Landscape) -> GridImage:
    """log₁₀ of the losses (they span decades away from a minimum)."""
    losses = landscape.losses.double().numpy()
    finite = losses[np.isfinite(losses)]
    floor = max(float(finite.min()) if finite.size else 1e-12, 1e-12)
    values = np.log10(np.clip(losses, floor, None))
    values[~np.isfinite(losses)] = np.nan
    a, b = landscape.alphas, landscape.betas
    window = (float(a[0]), float(a[-1]), float(b[0]), float(b[-1]))
    blank = float((~np.isfinite(losses)).mean()) if losses.size else 0.0
    return GridImage(values, window, True, landscape.seconds, landscape.device, blank=blank)


def _away(end: np.ndarray, inward: np.ndarray) -> tuple[float, float]:
    """A text anchor that puts a label beside `end` on the far side from `inward` (a point
    along the line): pyqtgraph's (0, 0) puts the text's top-left corner at the point."""
    dx, dy = (float(v) for v in end - inward)
    return (-0.15 if dx >= 0 else 1.15, 1.3 if dy >= 0 else -0.3)  # y: the view's y is up


class LandscapePanel(QWidget):
    def __init__(self, owner: NetworkWidget) -> None:
        super().__init__()
        self.owner = owner
        self.result: Landscape | None = None
        self.computed_at: int | None = None
        self.mode = QComboBox()
        self.mode.addItem("Random directions around the weights", "random")
        self.mode.addItem("PCA of the training trajectory", "pca")
        self.mode.setAccessibleName("Landscape directions")
        shrinkable(self.mode)  # its longest name made the tab 1,360 px wide in 14 pt type
        self.grid = QSpinBox()
        self.grid.setRange(5, 201)
        self.grid.setValue(61)  # as the lab's network surface (the default net: 10–90 ms)
        self.grid.setPrefix("grid ")
        self.span = QDoubleSpinBox()
        self.span.setRange(0.05, 10.0)
        self.span.setValue(1.0)
        self.span.setPrefix("span ±")
        self.compute = QPushButton("Compute")
        self.compute.clicked.connect(lambda: self.request())
        self.label = QLabel("Compute the loss over the whole training set around the weights.")
        self.label.setWordWrap(True)
        self.view = SurfaceView()
        self.view.setLabel("bottom", "α (along d₁)")
        self.view.setLabel("left", "β (along d₂)")
        self.view3d: Surface3D | None = None  # made when first asked for: it needs OpenGL
        self._ends: list[pg.TextItem] = []  # the trajectory's labelled ends (PCA directions)
        self.three_d = QCheckBox("3D")
        self.three_d.toggled.connect(self.show_3d)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.view)
        # two rows, what and how: in one the controls made the tab too wide for a 1280 px
        # projector in the projector's type
        what, how = QHBoxLayout(), QHBoxLayout()
        what.addWidget(self.mode, 1)
        what.addWidget(self.compute)
        for widget in (self.grid, self.span, self.three_d):
            how.addWidget(widget)
        how.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(what)
        layout.addLayout(how)
        layout.addWidget(self.label)
        layout.addWidget(self.stack, 1)
        self.mode.currentIndexChanged.connect(self._mode_changed)

    def show_3d(self, on: bool) -> None:
        """The same landscape as an orbitable mesh (with the trajectory on it)."""
        if on and self.view3d is None:
            from gradviz.ui.lab.surface3d import Surface3D

            self.view3d = Surface3D()
            self.stack.addWidget(self.view3d)
            self._show_3d()
        self.stack.setCurrentWidget(self.view3d if on else self.view)  # type: ignore[arg-type]

    def _show_3d(self) -> None:
        if self.view3d is None or self.result is None:
            return
        self.view3d.set_grid(image_of(self.result))
        self.view3d.set_marker(0.0, 0.0)  # the weights the landscape is around
        self.view3d.set_paths(self.view.paths)
        self.view3d.show_step(max((len(p.points) for p in self.view.paths), default=1) - 1)

    def _mode_changed(self) -> None:
        self.span.setEnabled(self.mode.currentData() == "random")

    def request(self, pause: bool = True) -> None:
        """Compute the landscape at the current weights (pausing training: Compute's click;
        opening the tab computes without stopping it)."""
        if "trainer" not in self.owner.holder:
            return
        if pause:
            self.owner.pause()
        self.label.setText("computing…")
        task = landscape_task(
            self.owner.holder, str(self.mode.currentData()), self.grid.value(), self.span.value()
        )
        self.owner.worker.submit("landscape", task)

    def on_done(self, channel: str, result: object) -> None:
        if channel != "landscape":
            return
        assert isinstance(result, tuple)
        landscape: Landscape = result[0]
        step: int = result[1]
        self.result, self.computed_at = landscape, step
        self.view.set_grid(image_of(landscape), [], reset_view=True)
        self.view.bar.axis.setLabel("log₁₀ loss")
        pca = landscape.directions.startswith("PCA")
        self.view.setLabel("bottom", "1st principal direction" if pca else "α (along d₁)")
        self.view.setLabel("left", "2nd principal direction" if pca else "β (along d₂)")
        if landscape.path:
            points = np.array(landscape.path, dtype=np.float64)
            path = Path(
                "training trajectory", TRAJECTORY_COLOUR, points, np.zeros(len(points)),
                np.zeros_like(points), None, "o",
            )  # fmt: skip
            self.view.set_paths([path])
            self.view.show_step(len(points) - 1)
            self.view.legend.setVisible(True)
            self._label_ends(points, step)
        else:
            self.view.set_paths([])
            self.view.legend.setVisible(False)
            self.view.set_start(0.0, 0.0)  # the weights themselves
            self._label_ends(None, step)
        self._show_3d()  # the 3D view, where it is on, shows the new landscape too
        self._describe(step)

    def _label_ends(self, points: np.ndarray | None, step: int) -> None:
        """Where training began and where it is now, written at the trajectory's two ends
        (a line alone does not say which way time ran), each on the side away from the line."""
        for label in self._ends:
            self.view.removeItem(label)
        self._ends.clear()
        if points is None or len(points) < 2:
            return
        font = self.font()
        font.setBold(True)
        for end, inward, text in (
            (points[0], points[min(len(points) - 1, 3)], "step 0"),
            (points[-1], points[max(0, len(points) - 4)], f"step {step}"),
        ):
            label = pg.TextItem(
                text, color=TRAJECTORY_COLOUR, anchor=_away(end, inward),
                fill=pg.mkBrush(255, 255, 255, 215), border=pg.mkPen(TRAJECTORY_COLOUR),
            )  # fmt: skip
            label.setFont(font)
            label.setPos(float(end[0]), float(end[1]))
            label.setZValue(30)  # over the start marker and the path
            self.view.addItem(label)
            self._ends.append(label)

    def _describe(self, now: int) -> None:
        if self.result is None or self.computed_at is None:
            return
        r = self.result
        grid = f"{len(r.alphas)}×{len(r.betas)}"
        text = (
            f"{r.directions}: loss {r.center:.4g} at the weights of step {self.computed_at}; "
            f"{grid} grid in {r.seconds * 1000:.0f} ms on {r.device.upper()} ({r.method})"
        )
        if now != self.computed_at:
            text += f" — training is now at step {now}: Compute again for the current weights"
        self.label.setText(text)

    def on_failed(self, message: str) -> None:
        self.label.setText(message)

    def stopped(self) -> None:
        """The computation was cancelled (training moved the weights): the last landscape's
        description again, or what will happen."""
        if self.result is None:
            self.label.setText("The landscape is computed when training stops.")
        else:
            self._describe(self.computed_at or 0)

    def note_step(self, holder: dict[str, Trainer], step: int) -> None:
        self._describe(step)

    def forget(self) -> None:
        self.result, self.computed_at = None, None
        self.label.setText("Compute the loss over the whole training set around the weights.")
