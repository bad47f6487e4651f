"""The optimizer lab tab: choose a surface, click a start, watch torch.optim optimizers race."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from gradviz.optim.framing import covering_window
from gradviz.ui.lab.controls import LabControls, TransportBar
from gradviz.ui.lab.model import LabState
from gradviz.ui.lab.plots import RacePlots
from gradviz.ui.lab.surface_view import GridImage, SurfaceView
from gradviz.ui.lab.tasks import BasinResult, RaceResult, basins_task, grid_task, race_task
from gradviz.ui.lab.worker import LabWorker
from gradviz.ui.type_size import fit_to_contents

if TYPE_CHECKING:
    from gradviz.ui.lab.surface3d import Surface3D

FRAME_MS = 16  # about 60 frames per second


class LabWidget(QWidget):
    """Everything of the lab; signals let tests and exports know when results are on screen."""

    race_shown = Signal()
    grid_shown = Signal()
    basins_shown = Signal()
    failure_shown = Signal(str)  # a task's error, in the status line

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = LabState()
        self.worker = LabWorker(self)
        self.worker.done.connect(self._on_done)
        self.worker.failed.connect(self._on_failed)
        self.race: RaceResult | None = None
        self.basins: BasinResult | None = None
        self.frame = 0
        self.timings: dict[str, str] = {}
        self.view3d: Surface3D | None = None
        self._reset_view = False  # the grid on its way resets the view to its window
        self._timer = QTimer(self, interval=FRAME_MS, timerType=Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._tick)
        self._build()
        self._request_grid(reset_view=True)
        self.request_race()

    # -- layout ----------------------------------------------------------------------------------
    def _build(self) -> None:
        controls = LabControls(self.state)
        self.surface, self.function = controls.surface, controls.function
        self.condition, self.angle = controls.condition, controls.angle
        self.steps, self.start_label, self.racers = (
            controls.steps,
            controls.start_label,
            controls.racers,
        )
        self.device, self.timing, self.status = controls.device, controls.timing, controls.status
        self.basin_resolution, self.basin_steps = controls.basin_resolution, controls.basin_steps
        self.basin_button, self.basin_label = controls.basin_button, controls.basin_label
        self.surface.currentIndexChanged.connect(self._surface_changed)
        self.function.editingFinished.connect(self._function_changed)
        for box in (self.condition, self.angle):
            box.editingFinished.connect(self._surface_changed)
        self.steps.valueChanged.connect(self._steps_changed)
        self.racers.changed.connect(self._racers_changed)
        self.device.currentIndexChanged.connect(self._device_changed)
        self.set_cuda(False, "checking for CUDA…")
        self.basin_button.clicked.connect(self.request_basins)
        controls.basin_clear.clicked.connect(self.clear_basins)
        controls.save_view.clicked.connect(lambda: self._ask_and_save("view"))
        controls.save_race.clicked.connect(lambda: self._ask_and_save("race"))
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(controls)
        fit_to_contents(scroll)

        self.view = SurfaceView()
        self.view.start_chosen.connect(self.set_start)
        self.view.start_moved.connect(self.preview_start)
        self.view.window_changed.connect(lambda *w: self._request_grid(window=w))
        self.stack = QStackedWidget()
        self.stack.addWidget(self.view)
        centre = QWidget()
        centre_layout = QVBoxLayout(centre)
        centre_layout.setContentsMargins(0, 0, 0, 0)
        centre_layout.addWidget(self._transport())
        centre_layout.addWidget(self.stack, 1)
        self.plots = RacePlots()
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(scroll)
        splitter.addWidget(centre)
        splitter.addWidget(self.plots)
        splitter.setSizes([440, 860, 400])
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

    def _transport(self) -> QWidget:
        bar = TransportBar()
        self.play_button, self.speed = bar.play_button, bar.speed
        self.three_d, self.step_label = bar.three_d, bar.step_label
        self.play_button.toggled.connect(lambda on: self.play() if not on else self.pause())
        bar.step.clicked.connect(self.step_once)
        bar.reset.clicked.connect(self.reset)
        self.three_d.toggled.connect(self.show_3d)
        return bar

    # -- requests --------------------------------------------------------------------------------
    def _surface_key(self) -> str:
        key = str(self.surface.currentData())
        if key == "quadratic":
            return f"quadratic:condition={self.condition.value():g},angle={self.angle.value():g}"
        return key

    def _source(self) -> str:
        """What the surface is made from: the typed f(x, y), or the Graph tab's program."""
        if self._surface_key() == "network":
            return self.state.network_source
        return self.state.function_source

    def set_program(self, source: str) -> None:
        """The Graph tab's program, whose network the "network" surface shows."""
        if source == self.state.network_source:
            return
        self.state.network_source = source
        if self._surface_key() == "network":
            self._surface_changed()

    def _request_grid(
        self, window: tuple[float, float, float, float] | None = None, reset_view: bool = False
    ) -> None:
        width = max(64, min(1024, self.view.width()))
        task = grid_task(self._surface_key(), self._source(), window, width, self.state.device)
        self._reset_view = reset_view
        self.worker.submit("grid", task)

    def request_race(self) -> None:
        self.pause()  # the race on screen is about to be replaced; frames would slow the work
        specs = [(r.spec, r.colour) for r in self.racers.racers() if r.enabled]
        task = race_task(
            self._surface_key(),
            self._source(),
            specs,
            self.state.start,
            self.state.steps,
            self.state.device,
        )
        self.worker.submit("race", task)

    def request_basins(self) -> None:
        enabled = [r for r in self.racers.racers() if r.enabled]
        if not enabled:
            self.status.setText("Switch on an optimizer for the basin map.")
            return
        window = self.view.visible_window()
        task = basins_task(
            self._surface_key(), self._source(), enabled[0].spec, window,
            self.basin_resolution.value(), self.basin_steps.value(), self.state.device,
        )  # fmt: skip
        self.basin_label.setText("computing…")
        self.worker.submit("basins", task)

    def clear_basins(self) -> None:
        """No basin map: the one shown, and the one being computed (of another surface)."""
        self.worker.cancel("basins")
        self.basins = None
        self.view.set_basins(None, (0, 1, 0, 1))
        self.basin_label.setText("")

    # -- results ---------------------------------------------------------------------------------
    def _on_done(self, channel: str, result: object) -> None:
        if channel == "grid":
            image: GridImage = result[0]  # type: ignore[index]
            minima: list[tuple[float, float]] = result[1]  # type: ignore[index]
            network = getattr(result[2], "name", "") == "network"  # type: ignore[index]
            self.view.setLabel("bottom", "α (along d₁)" if network else "x")
            self.view.setLabel("left", "β (along d₂)" if network else "y")
            self.view.set_grid(image, minima, reset_view=self._reset_view)
            self._reset_view = False
            if self.view3d is not None:
                self.view3d.set_grid(image)
                self.view3d.show_step(self.frame)
            rows, columns = image.values.shape
            self.timings["grid"] = f"surface {columns}×{rows} in {image.seconds * 1000:.1f} ms"
            self._show_timing()
            self.grid_shown.emit()
        elif channel == "race":
            assert isinstance(result, RaceResult)
            self.race = result
            self.status.setText("")
            self.view.set_paths(result.paths)
            self.view.set_start(*result.start)
            self.plots.set_paths(result.paths, result.minima)
            if self.view3d is not None:
                from gradviz.ui.lab.surface3d import START_COLOUR

                self.view3d.set_paths(result.paths)
                self.view3d.set_marker(*result.start, START_COLOUR)
            steps = self.state.steps
            self.timings["race"] = (
                f"{len(result.paths)} optimizers × {steps} steps in {result.seconds * 1000:.0f} ms"
            )
            self._show_timing()
            if getattr(self, "_preview", False):
                self.show_frame(self.max_steps())  # mid-drag: the whole paths, at once
            else:
                self._follow(result)
                self.reset()
                self.play()
            self.race_shown.emit()
        elif channel == "basins":
            assert isinstance(result, BasinResult)
            self.basins = result
            self.view.set_basins(result.rgba, result.window)
            self.basin_label.setText(result.summary())
            self.basins_shown.emit()

    def _follow(self, race: RaceResult) -> None:
        """Where the surface's window is only a guess (a network's landscape, a typed f), grow
        the view to show where the optimizers went (a race that left it showed no minimum)."""
        if self._surface_key() in ("network", "function"):
            shown = self.view.window is not None and not self._reset_view  # else: on its way
            window = self.view.visible_window() if shown else race.domain
            grown = covering_window(window, [p.points for p in race.paths], race.domain)
            if grown is not None:
                self._request_grid(window=grown, reset_view=True)

    def _on_failed(self, channel: str, message: str) -> None:
        self.status.setText(message)
        if channel == "basins":
            self.basin_label.setText("")
        self.failure_shown.emit(message)

    def _show_timing(self) -> None:
        device = self.state.device.upper()
        self.timing.setText(f"on {device}: " + " · ".join(self.timings.values()))

    # -- user actions ----------------------------------------------------------------------------
    def _surface_changed(self) -> None:
        self.function.setVisible(self._surface_key() == "function")
        network = self._surface_key() == "network"
        self.basin_button.setEnabled(not network)
        self.basin_button.setToolTip(
            "A basin map of a network would need a training run from every start"
            if network
            else "Runs the first optimizer from every start of a grid at once"
        )
        for box in (self.condition, self.angle):
            box.setVisible(self._surface_key().startswith("quadratic"))
        self.state.surface = self._surface_key()
        self.state.start = None
        self.start_label.setText("start: the surface's usual one — click the surface to choose")
        self.clear_basins()
        self._request_grid(reset_view=True)
        self.request_race()

    def _function_changed(self) -> None:
        self.state.function_source = self.function.text()
        if self._surface_key() == "function":
            self.clear_basins()  # of the function as it was
            self._request_grid(reset_view=True)
            self.request_race()

    def _steps_changed(self, value: int) -> None:
        self.state.steps = value
        self.request_race()

    def _racers_changed(self) -> None:
        self.state.racers = self.racers.racers()
        self.request_race()

    def set_start(self, x: float, y: float) -> None:
        self.state.start = (x, y)
        self.start_label.setText(f"start: ({x:.3f}, {y:.3f})")
        self.view.set_start(x, y)
        self._preview = False
        self.request_race()

    def preview_start(self, x: float, y: float) -> None:
        """The start is being dragged: race from each position, shown whole (no animation),
        until the drag ends and set_start races from where it was let go."""
        self.state.start = (x, y)
        self.start_label.setText(f"start: ({x:.3f}, {y:.3f})  — dragging")
        self.view.set_start(x, y)
        self._preview = True
        self.request_race()

    def set_cuda(self, available: bool, reason: str) -> None:
        item = self.device.model().item(1)  # type: ignore[attr-defined]
        item.setEnabled(available)
        self.device.setToolTip(
            "CPU or CUDA for grids and races" if available else f"CUDA unavailable: {reason}"
        )

    def _device_changed(self, index: int) -> None:
        self.state.device = "cuda" if index == 1 else "cpu"
        self._request_grid(window=self.view.visible_window())
        self.request_race()

    # -- animation -------------------------------------------------------------------------------
    def max_steps(self) -> int:
        if self.race is None or not self.race.paths:
            return 0
        return max(len(p.points) for p in self.race.paths) - 1

    def show_frame(self, frame: int) -> None:
        self.frame = max(0, min(frame, self.max_steps()))
        self.view.show_step(self.frame)
        self._frames_drawn = getattr(self, "_frames_drawn", 0) + 1
        playing = self._timer.isActive() and self.frame < self.max_steps()
        if not playing or self._frames_drawn % 3 == 0:  # the side plots need no 60 fps
            self.plots.show_step(self.frame)
        view3d = self.view3d
        if view3d is not None and self.stack.currentIndex() == self.stack.indexOf(view3d):
            view3d.show_step(self.frame)
        self.step_label.setText(f"step {self.frame}")

    def _tick(self) -> None:
        if self.frame >= self.max_steps():
            self.pause()
            return
        self.show_frame(self.frame + self.speed.value())

    def play(self) -> None:
        if self.frame >= self.max_steps():
            self.frame = 0
        self._timer.start()
        self.play_button.blockSignals(True)
        self.play_button.setChecked(False)
        self.play_button.setText("Pause")
        self.play_button.blockSignals(False)

    def pause(self) -> None:
        self._timer.stop()
        self.play_button.blockSignals(True)
        self.play_button.setChecked(True)
        self.play_button.setText("Play")
        self.play_button.blockSignals(False)

    @property
    def playing(self) -> bool:
        return self._timer.isActive()

    def step_once(self) -> None:
        self.pause()
        self.show_frame(self.frame + 1)

    def reset(self) -> None:
        self.show_frame(0)

    def show_3d(self, on: bool) -> None:
        if on and self.view3d is None:
            from gradviz.ui.lab.surface3d import START_COLOUR, Surface3D

            self.view3d = Surface3D()
            self.stack.addWidget(self.view3d)
            if self.view.window is not None:
                self._request_grid(window=self.view.visible_window())
            if self.race is not None:
                self.view3d.set_paths(self.race.paths)
                self.view3d.set_marker(*self.race.start, START_COLOUR)
        self.stack.setCurrentWidget(self.view3d if on else self.view)  # type: ignore[arg-type]
        self.show_frame(self.frame)

    # -- export ----------------------------------------------------------------------------------
    def _ask_and_save(self, what: str) -> None:
        from gradviz.ui.lab.export_view import ask_and_save

        ask_and_save(self, what, self.save_view if what == "view" else self.save_race)

    def save_view(self, path: str) -> None:
        from gradviz.ui.lab.export_view import save_widget

        widget = self.stack.currentWidget()
        if widget is not None:
            save_widget(widget, path)

    def save_race(self, path: str) -> None:
        from gradviz.ui.lab.export_view import RaceRecorder

        self.pause()
        self._recorder = RaceRecorder(self, path)
        self._recorder.start()

    def shutdown(self) -> None:
        self._timer.stop()
        self.worker.shutdown()
