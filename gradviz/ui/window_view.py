"""The main window's view settings: folding modules, theme, device and node search (each a
change of ViewSettings and a new trace, or a highlight on the canvas)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QApplication, QMainWindow, QPlainTextEdit

from gradviz.ui import appearance
from gradviz.ui.canvas import GraphCanvas
from gradviz.ui.editor import CodeEditor, monospace
from gradviz.ui.settings import Preferences
from gradviz.ui.trace_service import ViewSettings

if TYPE_CHECKING:
    from gradviz.autograd.graph import Graph, GraphNode
    from gradviz.ui.menus import Actions


class ViewWindow(QMainWindow):
    """How the graph is shown (mixed into the main window, which owns these attributes)."""

    settings: ViewSettings
    graph: Graph | None
    canvas: GraphCanvas
    editor: CodeEditor
    console: QPlainTextEdit
    prefs: Preferences
    actions_: Actions
    device: str
    cuda_available: bool
    cuda_reason: str
    graph_source: str | None  # the program text the graph shown is of
    _loading: bool  # PyTorch still loading
    _caret_line: int

    def retrace(self, interrupt: bool = True, keep_layout: bool = True) -> None:
        raise NotImplementedError  # the main window's

    def toggle_module(self, path: str) -> None:
        """Fold an nn.Module's part of the graph into one node, or unfold it."""
        self._fold(self.settings.folded ^ {path})

    def fold_all_modules(self, fold: bool) -> None:
        self._fold(frozenset(self.graph.modules if fold and self.graph is not None else ()))

    def _fold(self, paths: frozenset[str]) -> None:
        if self.actions_.group_modules is not None:
            self.actions_.group_modules.setChecked(True)  # folding needs the module boxes on
        self.update_settings(folded=paths, modules=True)

    def update_settings(self, **changes: object) -> None:
        from dataclasses import replace

        self.settings = replace(self.settings, **changes)  # type: ignore[arg-type]
        self.sync_view_actions()
        self.retrace(interrupt=True)

    def sync_view_actions(self) -> None:
        """The View menu's switches (G, O, M) as the settings are, whoever changed them (the
        walk-through turns gradients on; a session opened brings its own)."""
        actions = getattr(self, "actions_", None)
        if actions is None:
            return
        for action, on in (
            (actions.view_backward, self.settings.view == "backward"),
            (actions.orientation_lr, self.settings.orientation == "LR"),
            (actions.group_modules, self.settings.modules),
        ):
            if action is not None and action.isChecked() != on:
                action.setChecked(on)  # (toggled, not triggered: no second change)

    def session_view(self, saved: dict[str, str | float | bool]) -> dict[str, object]:
        """The view settings a document brings: a session's own (how its graph was drawn:
        orientation, backward or forward view, module boxes and the modules folded), and no
        module of another program left folded. The theme stays the user's."""
        changes: dict[str, object] = {"folded": frozenset()}
        if saved.get("orientation") in ("TB", "LR"):
            changes["orientation"] = saved["orientation"]
        if saved.get("view") in ("backward", "forward"):
            changes["view"] = saved["view"]
        if isinstance(saved.get("modules"), bool):
            changes["modules"] = saved["modules"]
        folded = saved.get("folded")
        if isinstance(folded, str):
            changes["folded"] = frozenset(path for path in folded.split(",") if path)
        return changes

    def apply_theme(
        self, theme: str, font_scale: float | None = None, retrace: bool = True
    ) -> None:
        scale = self.settings.font_scale if font_scale is None else font_scale
        app = QApplication.instance()
        if isinstance(app, QApplication):
            appearance.apply(app, theme, scale)
        self.editor.set_theme(theme)
        code_scale = scale * (1.4 if theme == "projector" else 1.0)
        self.editor.set_font_scale(code_scale)
        self.console.setFont(monospace(10 * code_scale))  # printed output, as legible as code
        self.prefs.theme = theme
        self.prefs.font_scale = scale
        if retrace:
            self.update_settings(theme=theme, font_scale=scale)
        else:
            from dataclasses import replace

            self.settings = replace(self.settings, theme=theme, font_scale=scale)

    def set_device(self, device: str) -> None:
        if device == "cuda" and not self.cuda_available:
            self.statusBar().showMessage(self.cuda_reason, 5000)
            return
        self.device = device
        self.retrace(interrupt=True)

    def show_line_nodes(self, line: int) -> None:
        """Outline the nodes made by program line `line` (the editor's caret is on it; 0: none)
        while the graph is this very text's and no search is typed (its matches come first)."""
        self._caret_line = line
        search = self.actions_.search
        if search is not None and search.text().strip():
            return
        graph = self.graph
        text = self.editor.toPlainText()
        traced = self.graph_source == text  # (an error keeps an older graph)
        made: set[str] = set()
        if graph is not None and line and traced:
            assigned = _assigned_on(text, line)
            made = {n.id for n in graph.nodes if n.line == line or _leaf_of(n, assigned)}
        self.canvas.highlight(made)

    def name_tooltip(self, name: str, line: int, column: int) -> str | None:
        """For the editor's tooltip: what `name` holds in the graph shown (its node's value and
        gradient: the node made on `line` under that name, else the last one so named), else
        what the function or method ending at `column` does, in PyTorch's words."""
        graph = self.graph
        text = self.editor.toPlainText()
        if graph is not None and self.graph_source == text:
            named = [n for n in graph.nodes if n.name == name or name in n.aliases]
            if named:
                here = [n for n in named if n.line == line]
                return self.canvas.tooltips.get((here or named)[-1].id)
        if self._loading:
            return None  # (torch's docs: once it has loaded)
        from gradviz.lang.docs import doc_at

        return doc_at(text, line, column)

    def refresh_highlight(self) -> None:
        """After a new graph: the search's matches again, else the caret line's nodes."""
        search = self.actions_.search
        if search is not None and search.text().strip():
            self.search(search.text())
        else:
            self.show_line_nodes(self._caret_line)

    def search(self, text: str, jump: bool = False) -> list[str]:
        """Highlight nodes whose name contains `text`; with `jump`, select the first."""
        if self.graph is None or not text.strip():
            self.canvas.highlight(set())
            self.show_line_nodes(self._caret_line)  # a search cleared: the caret's line again
            return []
        needle = text.strip().lower()
        matches = [
            n.id for n in self.graph.nodes
            if needle in (n.name or "").lower() or needle in (n.op or "").lower()
        ]  # fmt: skip
        self.canvas.highlight(set(matches))
        if jump and matches:
            self.canvas.select(matches[0])
            self.canvas.center_on(matches[0])
        return matches


_TARGETS = re.compile(r"^\s*([A-Za-z_][\w\s,]*?)\s*=(?!=)")


def _assigned_on(source: str, line: int) -> set[str]:
    """The names a top-level assignment on `line` binds (`w = …`, `a, b = …`)."""
    lines = source.split("\n")
    found = _TARGETS.match(lines[line - 1]) if 1 <= line <= len(lines) else None
    return {name.strip() for name in found.group(1).split(",")} if found else set()


def _leaf_of(node: GraphNode, assigned: set[str]) -> bool:
    """A leaf the line made: `w = …` (an input), or a parameter of the model built there."""
    if node.kind not in ("input", "param"):
        return False
    return node.name in assigned or (node.param_path or ".").split(".")[0] in assigned
