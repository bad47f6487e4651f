"""The main window's side of a finished trace: the graph drawn, or the error marked (with the
graph of a backward pass that failed, where there is one)."""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QMainWindow, QPlainTextEdit

from gradviz.ui.canvas import GraphCanvas
from gradviz.ui.document import Document
from gradviz.ui.editor import CodeEditor
from gradviz.ui.error_fix import ErrorFix
from gradviz.ui.inspector import Inspector
from gradviz.ui.trace_service import TraceOutcome
from gradviz.ui.variables import InputSpec, VariablePanel

if TYPE_CHECKING:
    from gradviz.autograd.graph import Graph
    from gradviz.ui.walkthrough import Walkthrough


class OutcomeWindow(QMainWindow):
    """Shows each trace's outcome (mixed into the main window, which owns these attributes)."""

    graph_shown: Signal
    document: Document
    graph: Graph | None
    graph_source: str | None
    outcome: TraceOutcome | None
    error: tuple[str, int | None, int | None] | None
    latency_ms: float | None
    _changed_at: float | None
    editor: CodeEditor
    error_label: QLabel
    error_fix: ErrorFix
    canvas: GraphCanvas
    inspector: Inspector
    variables: VariablePanel
    console: QPlainTextEdit
    device_label: QLabel
    walkthrough: Walkthrough

    def refresh_highlight(self) -> None:
        raise NotImplementedError  # ViewWindow's

    def show_outcome(self, outcome: TraceOutcome) -> None:
        """A trace finished: draw it, or mark the error and keep the last good graph dimmed
        (a failed backward pass: draw the graph of its forward, and mark the error)."""
        self.outcome = outcome
        self.console.setPlainText(outcome.printed)
        if outcome.error is None or outcome.graph is not None:  # (the run knew its inputs)
            known = {i.name for i in outcome.inputs}
            overrides = self.document.overrides
            self.document.overrides = {k: v for k, v in overrides.items() if k in known}
        if outcome.error is not None and outcome.graph is not None:
            self._show_graph(outcome)
            self._show_error(outcome.error, outcome.request.source, drawn=True)
        elif outcome.error is not None:
            self._show_error(outcome.error, outcome.request.source, drawn=False)
            self.editor.set_warnings(outcome.warnings)  # (the last run's lines may have moved)
        else:
            self._show_graph(outcome)
        if self._changed_at is not None:
            self.latency_ms = (time.perf_counter() - self._changed_at) * 1000
            self._changed_at = None
        self.graph_shown.emit()

    def _show_error(
        self, error: tuple[str, int | None, int | None], source: str, drawn: bool
    ) -> None:
        """Mark the error in the editor and under it; `drawn`: the graph on the canvas is this
        program's (of the backward pass that failed), else the last good one, dimmed."""
        self.error = error
        message, line, col = error
        where = f"line {line}, col {col}: " if line is not None and col is not None else ""
        where = where or (f"line {line}: " if line is not None else "")
        self.error_fix.show(where + message, source, error)
        self.editor.set_error(line, col, message)
        if drawn:  # (_show_graph marked the lines it is about)
            self.statusBar().showMessage(
                "backward() failed: the graph shows the forward values, and gradients only "
                "where backward reached (the error is marked in the editor)."
            )
            return
        self.canvas.set_dimmed(True)
        self.canvas.set_message("" if self.graph else where + message)
        self.statusBar().showMessage(
            "The program has an error; the last good graph is shown dimmed."
            if self.graph
            else "The program has an error (see the line marked in the editor)."
            if line is not None
            else "The graph cannot be shown (the message says why)."
        )

    def _show_graph(self, outcome: TraceOutcome) -> None:
        assert outcome.graph is not None and outcome.scene is not None
        first = self.graph is None
        previous = self.graph
        self.graph = outcome.graph
        self.graph_source = outcome.request.source
        self.error = None
        self.error_label.hide()
        self.editor.clear_error()
        self.editor.set_warnings(outcome.warnings)
        relayout = (
            self.canvas.current is None or self.canvas.current.structure != outcome.scene.structure
        )
        self.canvas.show_scene(outcome.scene, outcome.tooltips, fit=first or relayout)
        self.refresh_highlight()
        self.canvas.set_dimmed(False)
        self.refresh_banner()
        specs = [InputSpec(i.name, i.value) for i in outcome.inputs]
        self.variables.set_inputs(specs, self.document.overrides)
        self.device_label.setText(f"device: {outcome.graph.device}")
        if outcome.error is not None:
            self.inspector.node_id = _stopped_at(outcome.graph) or self.inspector.node_id
        if self.inspector.node_id is None and outcome.graph.output is not None:
            self.inspector.node_id = outcome.graph.output  # show the output until a click
        self._reselect(previous)
        self.walkthrough.graph_changed()
        trace_ms = outcome.timings.get("trace", 0) * 1000
        layout_ms = outcome.timings.get("layout", 0) * 1000
        action = "laid out" if outcome.relayout else "updated"
        self.statusBar().showMessage(
            f"{len(outcome.graph.nodes)} nodes · traced in {trace_ms:.1f} ms · "
            f"{action} in {layout_ms:.1f} ms"
        )

    def refresh_banner(self) -> None:
        """The notes over the canvas for the graph shown, as the editor's side is shown or not
        (presenting hides it: the error's words then stand in the banner)."""
        shown = self.outcome.graph if self.outcome is not None else None
        if self.graph is not None and shown is self.graph:  # (not the last good one, dimmed)
            notes, drawn = self.graph.notes, bool(self.graph.nodes)
            self.canvas.set_message(_banner(notes, drawn, not self.walkthrough.presenting))

    def _reselect(self, previous: object) -> None:
        key = self.inspector.node_id
        graph = self.graph
        if key is None or graph is None:
            return
        try:
            node = graph.node(key)
        except KeyError:
            self.inspector.clear()
            return
        self.canvas.select(key, notify=False)
        self.inspector.show_node(graph, node)


def _stopped_at(graph: Graph) -> str | None:
    """The node a failed backward pass stopped at, where it is one node (selected, so that the
    inspector shows it)."""
    from gradviz.autograd.failed_pass import stopped_at

    stopped = stopped_at(graph)
    return stopped[0].id if len(stopped) == 1 else None


def _banner(notes: list[str], drawn: bool, editor: bool = True) -> str:
    """The notes over the top of the canvas. Under a drawn graph its legend holds them whole, so
    the banner only points at a warning there (three lines of it covered the graph's top). A
    failed pass's error is the editor's to show, marked at its line; without the editor (in
    presentation mode) the banner says it, after the node the pass stopped at."""
    from gradviz.autograd.failed_pass import ERROR_PREFIX, FAILED_PREFIXES
    from gradviz.lang.program_warnings import NOTE_PREFIX, REMARK_PREFIX

    if not drawn:
        return "\n".join(notes)
    shown = []
    for note in notes:
        if note.startswith(ERROR_PREFIX):
            if not editor:  # (torch's own words stay in the note under the graph)
                shown.append(re.sub(r" \(torch: .*\)$", "", note, flags=re.DOTALL))
            continue  # (the editor shows the error, marked at its line)
        if note.startswith(FAILED_PREFIXES) and not editor:
            note = note.split(":", 1)[0]  # ("… with an error", its words on the next line)
        elif note.startswith((NOTE_PREFIX, REMARK_PREFIX, *FAILED_PREFIXES)):
            note = note.split(":", 1)[0] + ": see the note under the graph"
        shown.append(note)
    return "\n".join(shown)
