"""Tracing and layout off the UI thread: latest request wins, older work is cancelled or dropped."""

from __future__ import annotations

import logging
import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, QObject, QThread, QTimer, Signal, Slot

from gradviz.deep_stack import DEEP_STACK_BYTES

if TYPE_CHECKING:
    from gradviz.autograd.graph import Graph
    from gradviz.lang.parser import ScalarInput
    from gradviz.render.drawing import Scene

log = logging.getLogger(__name__)
BUSY_AFTER_MS = 500  # a run longer than this is said to be on (a usual one ends well before)


@dataclass(frozen=True)
class ViewSettings:
    """How the graph is drawn (turned into RenderOptions in the worker, where torch lives)."""

    theme: str = "light"
    font_scale: float = 1.0
    orientation: str = "TB"
    view: str = "backward"
    modules: bool = True  # boxes around each nn.Module's nodes
    folded: frozenset[str] = frozenset()  # module paths shown as one node each


@dataclass(frozen=True)
class TraceRequest:
    source: str
    overrides: dict[str, float]
    device: str
    settings: ViewSettings
    generation: int = 0
    keep_layout: bool = True  # reuse the last layout when only numbers changed
    interrupt: bool = True  # cancel work in flight (an edit); a slider lets it finish


@dataclass
class TraceOutcome:
    """What the worker sends back: a graph and its scene, or the error."""

    generation: int
    request: TraceRequest
    graph: Graph | None = None
    scene: Scene | None = None
    printed: str = ""
    inputs: list[ScalarInput] = field(default_factory=list)
    error: tuple[str, int | None, int | None] | None = None  # message, line, col
    relayout: bool = True
    timings: dict[str, float] = field(default_factory=dict)
    tooltips: dict[str, str] = field(default_factory=dict)
    warnings: list[tuple[int | None, str]] = field(default_factory=list)  # torch's, by line


@dataclass
class _Job:
    request: TraceRequest
    cancel: threading.Event


def render_options(settings: ViewSettings) -> Any:
    """RenderOptions for `settings` (imports torch-backed modules: call in the worker)."""
    import dataclasses

    from gradviz.render.dot import RenderOptions
    from gradviz.render.theme import get_theme

    theme = get_theme(settings.theme)
    if settings.font_scale != 1.0:
        theme = dataclasses.replace(
            theme,
            font_size=theme.font_size * settings.font_scale,
            small_size=theme.small_size * settings.font_scale,
        )
    return RenderOptions(
        theme=theme, orientation=settings.orientation, view=settings.view, modules=settings.modules
    )


class _Worker(QObject):
    finished = Signal(object)  # TraceOutcome
    ready = Signal(bool, str)  # CUDA available, and why not
    wake = Signal()

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._pending: _Job | None = None
        self._running: _Job | None = None
        self._scene: Any = None
        self.wake.connect(self._process)

    def submit(self, job: _Job) -> None:
        with self._lock:
            if self._running is not None and job.request.interrupt:
                self._running.cancel.set()
            if self._pending is not None:
                self._pending.cancel.set()
            self._pending = job
        self.wake.emit()

    def cancel_all(self) -> None:
        with self._lock:
            for job in (self._pending, self._running):
                if job is not None:
                    job.cancel.set()
            self._pending = None

    @Slot()
    def load_torch(self) -> None:
        """Import torch and the core once, so the first trace is quick; report CUDA."""
        try:
            from gradviz import collection

            with collection.start_up("torch"):
                import torch

                import gradviz.autograd.tracer
                import gradviz.render.scene  # noqa: F401

            if torch.cuda.is_available():
                self.ready.emit(True, f"CUDA: {torch.cuda.get_device_name(0)}")
            else:
                reason = (
                    "This PyTorch build has no CUDA support"
                    if torch.version.cuda is None
                    else "No CUDA device is available (torch.cuda.is_available() is False)"
                )
                self.ready.emit(False, reason)
        except Exception as exc:  # pragma: no cover - a broken install
            log.exception("loading torch failed")
            self.ready.emit(False, f"PyTorch could not be loaded: {exc}")

    @Slot()
    def _process(self) -> None:
        with self._lock:
            job, self._pending = self._pending, None
            self._running = job
        if job is None:
            return
        try:
            outcome = self._run(job)
        finally:
            with self._lock:
                self._running = None
        if not job.cancel.is_set():
            self.finished.emit(outcome)

    def _run(self, job: _Job) -> TraceOutcome:
        from gradviz.autograd.failed_pass import BackwardFailed
        from gradviz.autograd.tracer import trace
        from gradviz.lang.errors import ProgramError
        from gradviz.lang.parser import parse_cached

        request = job.request
        outcome = TraceOutcome(request.generation, request)
        printed: list[str] = []
        failed: Graph | None = None  # the graph of a backward pass that raised
        start = time.perf_counter()
        try:
            program = parse_cached(request.source)
            names = set(program.input_names())  # (a slider's input whose line was deleted)
            result = trace(
                program,
                device=request.device,
                overrides={k: v for k, v in request.overrides.items() if k in names},
                cancel=job.cancel,
                on_print=printed.append,
            )
            outcome.warnings = result.warnings
            outcome.inputs = list(result.program.inputs)
            self._draw(outcome, result.graph, start)
        except BackwardFailed as exc:  # the error, and the graph of the pass that raised
            outcome.error = (exc.message, exc.line, exc.col)
            outcome.warnings = list(exc.related)
            outcome.inputs = list(exc.inputs)
            failed = exc.graph
        except ProgramError as exc:
            outcome.error = (exc.message, exc.line, exc.col)
            outcome.warnings = list(exc.related)  # the other lines it is about
        except Exception as exc:
            log.error("trace failed:\n%s", traceback.format_exc())
            outcome.error = (f"internal error: {type(exc).__name__}: {exc}", None, None)
        if failed is not None:
            try:
                self._draw(outcome, failed, start)
            except Exception:  # (the program's error is what matters: shown without it)
                log.error("drawing a failed pass's graph failed:\n%s", traceback.format_exc())
                outcome.graph = outcome.scene = None
        outcome.printed = "".join(printed)
        return outcome

    def _draw(self, outcome: TraceOutcome, graph: Graph, start: float) -> None:
        """Fold and lay out the traced graph (reusing the last layout where only numbers
        changed) into the outcome."""
        from gradviz.render.scene import layout_scene, patch_scene

        request = outcome.request
        traced = time.perf_counter()
        if request.settings.modules and request.settings.folded:
            from gradviz.autograd.collapse import fold_modules

            graph = fold_modules(graph, request.settings.folded)
        options = render_options(request.settings)
        scene = None
        if request.keep_layout and self._scene is not None:
            scene = patch_scene(self._scene, graph, options)
        outcome.relayout = scene is None
        if scene is None:
            scene = layout_scene(graph, options)
        self._scene = scene
        outcome.graph, outcome.scene = graph, scene
        outcome.tooltips = _tooltips(graph)
        outcome.timings = {"trace": traced - start, "layout": time.perf_counter() - traced}


def _tooltips(graph: Graph) -> dict[str, str]:
    from gradviz.render.tooltips import node_tooltip

    return {node.id: node_tooltip(graph, node) for node in graph.nodes}


class TraceService(QObject):
    """Owns the worker thread. `request()` from the UI; `finished` with the newest outcome."""

    finished = Signal(object)
    ready = Signal(bool, str)
    # the newest request has run BUSY_AFTER_MS without an outcome (True); it ended or was
    # stopped (False): the window says a run is on, and how to stop it
    busy = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._busy = False
        self._busy_timer = QTimer(self, singleShot=True, interval=BUSY_AFTER_MS)
        self._busy_timer.timeout.connect(self._check_busy)
        self._thread = QThread()
        self._thread.setObjectName("gradviz-trace")
        # a program's long autograd chain is freed here: room for it (see gradviz.deep_stack)
        self._thread.setStackSize(DEEP_STACK_BYTES)
        self._worker = _Worker()
        self._worker.moveToThread(self._thread)
        self._worker.finished.connect(self._on_finished)
        self._worker.ready.connect(self.ready)
        self._generation = 0
        self._barrier = 0  # outcomes older than the last interrupting request are stale
        self._shown = 0
        self._thread.start()
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)

    def load_torch(self) -> None:
        from PySide6.QtCore import QMetaObject, Qt

        QMetaObject.invokeMethod(self._worker, "load_torch", Qt.ConnectionType.QueuedConnection)

    def request(self, request: TraceRequest) -> int:
        self._generation += 1
        if request.interrupt:
            self._barrier = self._generation
        stamped = TraceRequest(
            request.source, dict(request.overrides), request.device, request.settings,
            self._generation, request.keep_layout, request.interrupt,
        )  # fmt: skip
        self._worker.submit(_Job(stamped, threading.Event()))
        if not self._busy:
            self._busy_timer.start()
        return self._generation

    @property
    def is_busy(self) -> bool:
        return self._busy

    def stop(self) -> bool:
        """Stop the run in progress and any waiting (the outcome shown stays); False where
        nothing was running."""
        running = self._shown < self._generation
        self._worker.cancel_all()
        self._shown = self._barrier = self._generation  # (an outcome on its way is stale)
        self._set_busy(False)
        return running

    def _check_busy(self) -> None:
        if self._shown < self._generation:
            self._set_busy(True)

    def _set_busy(self, busy: bool) -> None:
        self._busy_timer.stop()
        if busy != self._busy:
            self._busy = busy
            self.busy.emit(busy)

    @property
    def generation(self) -> int:
        return self._generation

    def _on_finished(self, outcome: TraceOutcome) -> None:
        if outcome.generation >= self._barrier and outcome.generation > self._shown:
            self._shown = outcome.generation
            self.finished.emit(outcome)
        if self._shown >= self._generation:
            self._set_busy(False)

    def shutdown(self, timeout_ms: int = 5000) -> None:
        self._worker.cancel_all()
        self._thread.quit()
        self._thread.wait(timeout_ms)
