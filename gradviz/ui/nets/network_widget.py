"""The Network tab: the builder beside the live training views. The builder and the editor's
program are one: a change here rewrites the program; an edit there comes back here."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from gradviz.nets.codegen import program
from gradviz.nets.read_back import NotBuilderForm, read_back
from gradviz.nets.spec import NetworkSpec, NetworkSpecError
from gradviz.nets.trainer import MAX_ASPECT, Trainer
from gradviz.ui.appearance import show_as_error
from gradviz.ui.lab.export_view import ask_and_save, save_widget
from gradviz.ui.lab.worker import LabWorker
from gradviz.ui.nets.builder import BuilderPanel
from gradviz.ui.nets.landscape_view import LandscapePanel
from gradviz.ui.nets.neurons import NeuronView
from gradviz.ui.nets.tasks import Snapshot, setup_task, train_task
from gradviz.ui.nets.views import DecisionView, TrainingPlots
from gradviz.ui.type_size import fit_to_contents

READ_BACK_MS = 400  # after the last keystroke in the editor
RESHAPE_MS = 250  # after the last resize of the decision view
RESHAPE_TOLERANCE = 0.05  # (log of) the view's shape over the picture's: 5 % is left as it is
NO_BREAK = "\N{NO-BREAK SPACE}"  # the status wraps between its parts, not inside one


class NetworkWidget(QWidget):
    program_written = Signal(str)  # the builder's program, for the editor
    snapshot_shown = Signal()  # after each picture of the training (tests, screenshots)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec = NetworkSpec()
        self.holder: dict[str, Trainer] = {}
        self.shot: Snapshot | None = None
        self.playing = False
        self.worker = LabWorker(self)
        self.worker.done.connect(self._on_done)
        self.worker.failed.connect(self._on_failed)
        self._pending_text: str | None = None
        self._read_timer = QTimer(self, singleShot=True, interval=READ_BACK_MS)
        self._read_timer.timeout.connect(self._read_back)
        self._build()
        self.reset()

    # -- layout ----------------------------------------------------------------------------------
    def _build(self) -> None:
        self.builder = BuilderPanel()
        self.builder.changed.connect(self._builder_changed)
        self.builder.open_csv.connect(self.open_csv_dialog)
        scroll = QScrollArea()
        scroll.setWidget(self.builder)
        scroll.setWidgetResizable(True)
        fit_to_contents(scroll)

        self.banner = QLabel("")
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet("background: #fff3cd; color: #5c4400; padding: 6px;")
        self.banner.hide()
        self.use_builder = QPushButton("Write the builder's network into the editor")
        self.use_builder.clicked.connect(self.write_program)
        self.use_builder.hide()

        self.play_button = QPushButton("Play")
        self.play_button.setToolTip("Train continuously (Space)")
        self.play_button.clicked.connect(self.toggle_play)
        self.step_button = QPushButton("Step")
        self.step_button.setToolTip("One training step: zero_grad, forward, loss, backward, step")
        self.step_button.clicked.connect(lambda: self.train(1))
        self.epoch_button = QPushButton("+ epoch")
        self.epoch_button.setToolTip("As many steps as one pass over the training set")
        self.epoch_button.clicked.connect(self.train_epoch)
        self.reset_button = QPushButton("Reset")
        self.reset_button.setToolTip("New weights from the seed; step 0")
        self.reset_button.clicked.connect(self.reset)
        self.save_button = QPushButton("Save picture…")
        self.save_button.setToolTip(
            "The view and the training plots beside it, as PNG or SVG (for slides)"
        )
        self.save_button.clicked.connect(lambda: ask_and_save(self, "training", self.save_picture))
        self.status = QLabel("")
        self.status.setAccessibleName("Training status")
        # A line of its own under the buttons, wrapped at its " · " where narrow: beside them
        # the status (step, epoch, losses, accuracy, speed) was the tab's minimum width, 1,670
        # px in the projector's type, wider than a 1280 or even a 1920 px projector.
        self.status.setWordWrap(True)
        controls = QHBoxLayout()
        for widget in (self.play_button, self.step_button, self.epoch_button, self.reset_button):
            controls.addWidget(widget)
        controls.addStretch(1)
        controls.addWidget(self.save_button)

        self.decision = DecisionView()
        self._reshaped = QTimer(self)  # a resized view: a picture of its new shape, once settled
        self._reshaped.setSingleShot(True)
        self._reshaped.setInterval(RESHAPE_MS)
        self._reshaped.timeout.connect(self._decision_reshaped)
        self.decision.reshaped.connect(self._reshaped.start)
        self._landscape: LandscapePanel | None = None  # built when first wanted (see landscape)
        self._landscape_page = QWidget()
        self.views = QTabWidget()
        # narrow (a 1280 px projector): each name shortened, not the first one scrolled away
        self.views.setElideMode(Qt.TextElideMode.ElideRight)
        self.views.setUsesScrollButtons(False)
        self.views.addTab(self.decision, "Decision boundary")
        self.views.addTab(self._landscape_page, "Loss landscape")
        self.neurons = NeuronView()
        self.views.addTab(self.neurons, "Hidden units")
        self.views.currentChanged.connect(self._view_changed)
        self.plots = TrainingPlots()

        centre = QWidget()
        column = QVBoxLayout(centre)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.banner)
        column.addWidget(self.use_builder)
        column.addLayout(controls)
        column.addWidget(self.status)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.views)
        split.addWidget(self.plots)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        column.addWidget(split, 1)

        outer = QSplitter(Qt.Orientation.Horizontal)
        outer.addWidget(scroll)
        outer.addWidget(centre)
        outer.setStretchFactor(1, 1)
        outer.setSizes([400, 1300])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(outer)
        shortcut = QShortcut(QKeySequence(Qt.Key.Key_Space), self)
        shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        shortcut.activated.connect(self.toggle_play)

    @property
    def landscape(self) -> LandscapePanel:
        """The loss-landscape view, built the first time it is wanted: its surface view is a
        third of what opening the tab cost, and most visits never look at it."""
        if self._landscape is None:
            self._landscape = LandscapePanel(self)
            index = self.views.indexOf(self._landscape_page)
            current = self.views.currentIndex()
            self.views.blockSignals(True)  # (a swap, not the user's choice of view)
            self.views.removeTab(index)
            self.views.insertTab(index, self._landscape, "Loss landscape")
            self.views.setCurrentIndex(current)
            self.views.blockSignals(False)
            self._landscape_page.deleteLater()
        return self._landscape

    def _landscape_shown(self) -> bool:
        page = self.views.currentWidget()
        return page is not None and page in (self._landscape, self._landscape_page)

    def save_picture(self, path: str) -> None:
        """The current view (decision boundary, landscape or hidden units) with the loss and
        gradient-norm plots, as on screen: PNG, or SVG with the plots as vectors."""
        save_widget(self.picture(), path, "gradviz network training")

    def picture(self) -> list[QWidget]:
        """What "Save picture…" saves: the view shown (without the tabs) and the plots."""
        page = self.views.currentWidget()
        return [page, self.plots] if page is not None else [self.plots]

    # -- builder ↔ program -----------------------------------------------------------------------
    def _builder_changed(self) -> None:
        spec = self.builder.spec()
        try:
            spec.check()
        except NetworkSpecError as exc:
            self._show_status(str(exc), error=True)
            return
        self.spec = spec
        self.write_program()
        self.reset()

    def write_program(self) -> None:
        self._hide_banner()
        self.program_written.emit(program(self.spec))

    def program_edited(self, text: str) -> None:
        """The editor's program changed: read it back once typing pauses."""
        self._pending_text = text
        self._read_timer.start()

    def read_back_now(self, text: str) -> None:
        self._pending_text = text
        self._read_back()

    def _read_back(self) -> None:
        text, self._pending_text = self._pending_text, None
        if text is None:
            return
        try:
            spec = read_back(text)
        except NotBuilderForm as exc:
            self.banner.setText(
                "The program in the editor is not a network the builder can show, so the "
                f"builder keeps its own — {exc}"
            )
            self.banner.show()
            self.use_builder.show()
            return
        self._hide_banner()
        if program(spec) == program(self.spec):
            return  # the builder's own program, come back
        self.spec = spec
        self.builder.set_spec(spec)
        self.reset()

    def _hide_banner(self) -> None:
        self.banner.hide()
        self.use_builder.hide()

    def open_csv_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open points", "", "CSV (*.csv *.tsv *.txt)")
        if not path:
            self.builder.set_spec(self.spec)  # back to the dataset it had
            return
        self.load_csv(path)

    def load_csv(self, path: str) -> bool:
        """Points from a CSV file (x, y, target per row); a bad file is reported, not loaded."""
        from gradviz.nets.csv_data import CsvError, read_csv

        try:
            rows = read_csv(path)
        except (CsvError, OSError) as exc:
            self._show_status(f"{path}: {exc}", error=True)
            self.builder.set_spec(self.spec)
            return False
        self.builder.set_csv(rows)
        return True

    # -- training ------------------------------------------------------------------------------
    def reset(self) -> None:
        self.pause()
        self.holder = {}
        self.plots.clear()
        if self._landscape is not None:
            self._landscape.forget()
        self._show_status("building the network…")
        self._stop_landscape()
        aspect = self.decision.aspect()
        self.worker.submit(
            "train", setup_task(self.spec, self.holder, self._want_neurons(), aspect)
        )

    def train(self, steps: int | None, playing_on: bool = False) -> None:
        """`steps` more steps (None: a chunk of Play). A user's Play, Step or epoch first stops
        a landscape being computed (its weights are about to move); Play's next chunk
        (`playing_on`) leaves one requested meanwhile (the tab opened while training) to run."""
        if "trainer" not in self.holder:
            return
        if steps != 0 and not playing_on:
            self._stop_landscape()
        task = train_task(self.holder, steps, self._want_neurons(), self.decision.aspect())
        self.worker.submit("train", task)

    def _stop_landscape(self) -> None:
        """Training waits for no landscape (one of a big network takes seconds): it is
        computed again when training stops."""
        if self.worker.busy("landscape"):
            self.worker.cancel("landscape")
            if self._landscape is not None:
                self._landscape.stopped()

    def _want_neurons(self) -> bool:
        return self.views.currentWidget() is self.neurons

    def _decision_reshaped(self) -> None:
        """A fresh picture (no step) where the shown view's shape no longer matches the
        picture's by more than a sliver (a status line wrapping anew is no reason); Play's
        next chunk takes the new shape by itself, a hidden view its own when shown again."""
        shot = self.shot
        if shot is None or self.playing or "trainer" not in self.holder:
            return
        if self.views.currentWidget() is not self.decision:
            return
        x0, x1, y0, y1 = shot.extent
        wanted = min(MAX_ASPECT, max(1 / MAX_ASPECT, self.decision.aspect()))
        if abs(math.log((x1 - x0) / (y1 - y0) / wanted)) > RESHAPE_TOLERANCE:
            self.train(0)

    def _view_changed(self) -> None:
        if self._want_neurons() and not self.playing and "trainer" in self.holder:
            self.train(0)  # a picture of the units as they are now
        if self.views.currentWidget() is self.decision:
            self._reshaped.start()  # resized while hidden: a picture of its shape now
        self._refresh_landscape()

    def _refresh_landscape(self) -> None:
        """The landscape tab, when shown, at the weights as they are: on opening it, and
        whenever training stops (pause, a step, an epoch) with other weights than it shows."""
        if not self._landscape_shown() or "trainer" not in self.holder:
            return
        panel = self.landscape
        step = self.shot.step if self.shot is not None else 0
        if panel.result is None or (not self.playing and panel.computed_at != step):
            panel.request(pause=False)

    def train_epoch(self) -> None:
        trainer = self.holder.get("trainer")
        if trainer is not None:
            self.train(max(1, -(-len(trainer.X_train) // trainer.batch_size)))

    def toggle_play(self) -> None:
        if self.playing:
            self.pause()
        else:
            self.playing = True
            self.play_button.setText("Pause")
            self.train(None)

    def pause(self) -> None:
        self.playing = False
        self.play_button.setText("Play")

    def _on_done(self, channel: str, result: object) -> None:
        if channel == "train":
            assert isinstance(result, Snapshot)
            self.shot = result
            self.decision.show_snapshot(result)
            self.plots.show_snapshot(result)
            self.neurons.show_snapshot(result)
            if self._landscape is not None:
                self._landscape.note_step(self.holder, result.step)
            self._show_status(self._describe(result))
            self.snapshot_shown.emit()
            if self.playing:
                self.train(None, playing_on=True)
            else:
                self._refresh_landscape()
        else:
            self.landscape.on_done(channel, result)

    def _on_failed(self, channel: str, message: str) -> None:
        self.pause()
        self._show_status(message, error=True)
        if channel != "train":
            self.landscape.on_failed(message)

    @staticmethod
    def _describe(shot: Snapshot) -> str:
        m = shot.metrics
        parts = [f"step {shot.step}", f"epoch {shot.epoch:.1f}"]
        if len(m.train_loss):
            parts.append(f"training loss {m.train_loss[-1]:.4g}")
        if len(m.test_loss) and not math.isnan(m.test_loss[-1]):
            parts.append(f"test loss {m.test_loss[-1]:.4g}")
        tested = len(m.test_accuracy) and not math.isnan(m.test_accuracy[-1])
        if shot.classification and tested:
            parts.append(f"test accuracy {m.test_accuracy[-1]:.0%}")
        measured = int(m.eval_steps[-1]) if len(m.eval_steps) else shot.step
        if len(parts) > 2 and measured != shot.step:
            parts[-1] += f" (at step {measured})"  # measured once an epoch while playing
        if shot.ms_per_step:
            parts.append(f"{shot.ms_per_step:.2f} ms per step on {shot.device.upper()}")
        return " · ".join(part.replace(" ", NO_BREAK) for part in parts)

    def _show_status(self, text: str, error: bool = False) -> None:
        self.status.setText(text)
        show_as_error(self.status, error)

    def set_cuda(self, available: bool, reason: str) -> None:
        self.builder.set_cuda(available, reason)

    def shutdown(self) -> None:
        self.pause()
        self.worker.shutdown()
