"""The main window: editor and inputs on the left, the graph in the centre, the inspector docked."""

from __future__ import annotations

import logging
import time
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QLabel,
    QPlainTextEdit,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from gradviz.resources import Example, examples
from gradviz.ui import appearance
from gradviz.ui.autosave import Autosaver
from gradviz.ui.canvas import GraphCanvas
from gradviz.ui.document import Document
from gradviz.ui.editor import CodeEditor, monospace
from gradviz.ui.error_fix import ErrorFix
from gradviz.ui.graph_keys import move_selection
from gradviz.ui.inspector import Inspector
from gradviz.ui.menus import build_menus
from gradviz.ui.node_menu import show_canvas_menu
from gradviz.ui.run_status import RunStatus
from gradviz.ui.settings import Preferences
from gradviz.ui.trace_service import TraceOutcome, TraceRequest, TraceService, ViewSettings
from gradviz.ui.type_size import follow_type_size_in_title
from gradviz.ui.variables import VariablePanel
from gradviz.ui.window_files import DocumentWindow
from gradviz.ui.window_outcome import OutcomeWindow
from gradviz.ui.window_tabs import TabbedWindow, import_plotting_in_background
from gradviz.ui.window_view import ViewWindow

if TYPE_CHECKING:
    from gradviz.autograd.graph import Graph
    from gradviz.ui.lab.lab_widget import LabWidget
    from gradviz.ui.nets.network_widget import NetworkWidget

log = logging.getLogger(__name__)
EDIT_DELAY_MS = 150  # typing pauses this long before the program is traced again
AUTOSAVE_MS = 3000
WELCOME = "01_lecture_backprop.py"


class MainWindow(TabbedWindow, DocumentWindow, ViewWindow, OutcomeWindow):
    """One document, its live graph, and everything around it."""

    graph_shown = Signal()  # after each trace result is on screen (tests, screenshots)
    torch_ready = Signal()

    def __init__(
        self, prefs: Preferences | None = None, autosaver: Autosaver | None = None
    ) -> None:
        super().__init__()
        self.prefs = prefs or Preferences()
        self.autosaver = autosaver or Autosaver()
        self.document = Document()
        self.settings = ViewSettings(theme=self.prefs.theme, font_scale=self.prefs.font_scale)
        self.device = "cpu"
        self.cuda_available = False
        self.cuda_reason = "PyTorch is still loading"
        self.graph: Graph | None = None  # the last good graph
        self.graph_source: str | None = None  # the program text it is of
        self.outcome: TraceOutcome | None = None
        self.error: tuple[str, int | None, int | None] | None = None
        self.latency_ms: float | None = None  # keystroke (or slider) to graph on screen
        self._changed_at: float | None = None
        self._caret_line = 0  # the editor's caret line while it has the focus (0: it has not)
        self._loading = True
        self._building = False
        self.setAcceptDrops(True)
        self._build()
        self.service = TraceService(self)
        self.service.finished.connect(self.show_outcome)
        self.service.ready.connect(self._on_torch_ready)
        assert self.actions_.stop_run is not None
        self.run_status = RunStatus(self.service, self.statusBar(), self.actions_.stop_run)
        self._edit_timer = QTimer(self, singleShot=True, interval=EDIT_DELAY_MS)
        self._edit_timer.timeout.connect(lambda: self.retrace(interrupt=True))
        self._autosave_timer = QTimer(self, interval=AUTOSAVE_MS)
        self._autosave_timer.timeout.connect(self._autosave)
        self._autosave_timer.start()
        self.apply_theme(self.settings.theme, self.settings.font_scale, retrace=False)
        self._restore_window()

    # -- construction ----------------------------------------------------------------------------
    def _build(self) -> None:
        self.editor = CodeEditor()
        self.editor.textChanged.connect(self._on_text_changed)
        self.editor.run_requested.connect(lambda: self.retrace(interrupt=True))
        self.editor.caret_line.connect(self.show_line_nodes)
        self.editor.name_tooltip = self.name_tooltip
        self.error_label = QLabel("")
        self.error_label.setWordWrap(True)
        appearance.show_as_error(self.error_label)
        self.error_label.setAccessibleName("Error message")
        self.error_label.hide()
        self.error_fix = ErrorFix(self.error_label, self.editor)  # "did you mean": a link
        self.variables = VariablePanel()
        self.variables.changed.connect(self._on_input_changed)
        self.console = QPlainTextEdit()
        self.console.setReadOnly(True)
        self.console.setPlaceholderText("print(...) output appears here")
        self.console.setAccessibleName("Console")
        self.console.setFont(monospace(10))
        self.console.setMaximumBlockCount(5000)

        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.editor, 1)
        top_layout.addWidget(self.error_label)
        left = self.side_splitter = QSplitter(Qt.Orientation.Vertical)
        left.addWidget(top)
        left.addWidget(self.variables)
        left.addWidget(self.console)
        left.setStretchFactor(0, 5)
        left.setStretchFactor(1, 1)
        left.setStretchFactor(2, 2)

        self.canvas = GraphCanvas()
        self.canvas.node_selected.connect(self.select_node)
        self.canvas.module_toggled.connect(self.toggle_module)
        self.canvas.context_requested.connect(partial(show_canvas_menu, self))
        self.canvas.arrow_pressed.connect(partial(move_selection, self))
        self.canvas.set_message("Loading PyTorch…")
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.canvas)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 5)
        self.splitter.setSizes([520, 1100])
        left.setSizes([520, 110, 160])
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.splitter, "Autograd graph")
        self._lab_placeholder = QLabel("The optimizer lab loads when you open this tab.")
        self.tabs.addTab(self._lab_placeholder, "Optimizer lab")
        self._network_placeholder = QLabel("The network builder loads when you open this tab.")
        self.tabs.addTab(self._network_placeholder, "Network")
        for placeholder in (self._lab_placeholder, self._network_placeholder):
            placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)  # (it may say "Loading…")
        self.tabs.currentChanged.connect(self._tab_changed)
        self.lab: LabWidget | None = None
        self.network: NetworkWidget | None = None
        self._inspector_was_visible = True
        self._plots_imported = False
        self.setCentralWidget(self.tabs)

        self.inspector = Inspector()
        self.inspector.node_requested.connect(lambda key: self.canvas.select(key))
        self.inspector.clear()
        self.inspector_dock = QDockWidget("Inspector", self)
        self.inspector_dock.setObjectName("inspector")
        self.inspector_dock.setWidget(self.inspector)
        follow_type_size_in_title(self.inspector_dock)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.inspector_dock)
        self.resizeDocks([self.inspector_dock], [360], Qt.Orientation.Horizontal)

        self.device_label = QLabel("device: cpu")
        self.statusBar().addPermanentWidget(self.device_label)
        self.statusBar().showMessage("Loading PyTorch…")
        from gradviz.ui.walkthrough import Walkthrough

        self.walkthrough = Walkthrough(self)
        self.actions_ = build_menus(self)
        self.setWindowTitle(self.document.title)
        self.resize(1500, 900)

    def _restore_window(self) -> None:
        geometry, state = self.prefs.window_state()
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state)
        for name, splitter in self._splitters().items():  # where the user dragged them
            divided = self.prefs.splitter_state(name)
            if divided is not None:
                splitter.restoreState(divided)

    def _splitters(self) -> dict[str, QSplitter]:
        return {"graph": self.splitter, "side": self.side_splitter}

    # -- startup ---------------------------------------------------------------------------------
    def start(self, path: str | None = None) -> None:
        """Load torch in the background; meanwhile show `path`, the last session or a welcome."""
        self.service.load_torch()
        recovered = self.offer_recovery()
        if recovered:
            return
        if path and self.open_path(path):
            return
        if self.prefs.last_source is not None and self.prefs.last_source.strip():
            self.set_document(Document(self.prefs.last_source, self.prefs.last_path))
        else:
            self.load_example(next(e for e in examples() if e.name == WELCOME))

    def _on_torch_ready(self, cuda: bool, reason: str) -> None:
        self._loading = False
        self.editor.completion.enabled = True  # its names are read from torch's whitelists
        self.cuda_available = cuda
        self.cuda_reason = reason
        self.actions_.set_cuda(cuda, reason)
        if self.lab is not None:
            self.lab.set_cuda(cuda, reason)
        if self.network is not None:
            self.network.set_cuda(cuda, reason)
        if not self.graph and not self.error:
            self.canvas.set_message("Tracing…")
        self.statusBar().showMessage("PyTorch loaded", 3000)
        self.torch_ready.emit()
        import_plotting_in_background(self.plots_imported)

    # -- the document ----------------------------------------------------------------------------
    def set_document(self, document: Document) -> None:
        from dataclasses import replace

        self.document = document
        self.settings = replace(self.settings, **self.session_view(document.view))  # type: ignore[arg-type]
        self.sync_view_actions()
        self._building = True
        self.editor.setPlainText(document.source)
        self._building = False
        self.setWindowTitle(document.title)
        self.graph = None
        self.canvas.clear()
        self.inspector.clear()
        self.retrace(interrupt=True, keep_layout=False)
        if self.network is not None:
            self.network.program_edited(document.source)

    def new_document(self) -> None:
        if self.maybe_save():
            self.set_document(Document("x = 2.0\ny = 3.0\nx*y + exp(x*y)\n"))

    def load_example(self, example: Example) -> None:
        if not self.maybe_save():
            return
        self.set_document(Document(example.source, None))

    def _on_text_changed(self) -> None:
        text = self.editor.toPlainText()
        if self._building or text == self.document.source:
            return  # re-highlighting also signals textChanged: only real edits count
        self.document.source = text
        self.mark_dirty()
        self._changed_at = time.perf_counter()
        self._edit_timer.start()
        if self.network is not None:
            self.network.program_edited(text)

    def mark_dirty(self) -> None:
        if not self.document.dirty:
            self.document.dirty = True
            self.setWindowTitle(self.document.title)

    def _on_input_changed(self, name: str, value: float) -> None:
        self.document.overrides[name] = value
        self.mark_dirty()
        self._changed_at = time.perf_counter()
        self.retrace(interrupt=False)

    # -- tracing ---------------------------------------------------------------------------------
    def retrace(self, interrupt: bool = True, keep_layout: bool = True) -> None:
        self._edit_timer.stop()
        request = TraceRequest(
            self.document.source,
            dict(self.document.overrides),
            self.device,
            self.settings,
            keep_layout=keep_layout,
            interrupt=interrupt,
        )
        self.service.request(request)

    def stop_run(self) -> None:
        """Stop the program's run (Edit → Stop the run); the graph shown stays."""
        if self.run_status.stop() and self.graph is None and self.error is None:
            self.canvas.set_message(  # (it said "Tracing…")
                "Stopped before a graph was drawn: an edit, or Ctrl+Return, runs it again"
            )

    def select_node(self, key: str) -> None:
        if self.graph is None:
            return
        try:
            node = self.graph.node(key)
        except KeyError:
            return
        self.inspector.show_node(self.graph, node)
        self.inspector_dock.show()
        self.editor.mark_line(node.line)  # the line that made it

    # -- closing -------------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.maybe_save():
            event.ignore()
            return
        self.prefs.save_window_state(self.saveGeometry(), self.saveState())
        if not self.walkthrough.presenting:  # (presenting hides the editor's side)
            for name, splitter in self._splitters().items():
                self.prefs.save_splitter_state(name, splitter.saveState())
        self.prefs.remember_session(self.document.source, self.document.path)
        self.prefs.sync()
        self.service.shutdown()
        if self.lab is not None:
            self.lab.shutdown()
        if self.network is not None:
            self.network.shutdown()
        self.autosaver.discard()
        event.accept()
