"""The main window's tabs: the optimizer lab and the Network tab, each built the first time it
is shown (they need pyqtgraph), and what follows a change of tab."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QSplitter, QTabWidget, QWidget

from gradviz.ui.editor import CodeEditor

if TYPE_CHECKING:
    from gradviz.ui.lab.lab_widget import LabWidget
    from gradviz.ui.nets.network_widget import NetworkWidget


class TabbedWindow(QMainWindow):
    """The tab side of the main window (which builds the tabs and the placeholders)."""

    tabs: QTabWidget
    splitter: QSplitter
    editor: CodeEditor
    inspector_dock: QDockWidget
    lab: LabWidget | None
    network: NetworkWidget | None
    cuda_available: bool
    cuda_reason: str
    _lab_placeholder: QLabel
    _network_placeholder: QLabel
    _inspector_was_visible: bool
    _was_on_graph = True  # the tab on screen is the graph's (the window starts on it)
    _plots_imported: bool  # the background import of pyqtgraph and the tabs' modules is done

    def _swap_in(self, placeholder: QWidget, widget: QWidget, title: str) -> None:
        index = self.tabs.indexOf(placeholder)
        self.tabs.blockSignals(True)
        self.tabs.removeTab(index)
        self.tabs.insertTab(index, widget, title)
        self.tabs.blockSignals(False)

    def _show_tab(self, widget: QWidget) -> None:
        self.tabs.setCurrentWidget(widget)
        self._tab_changed(self.tabs.currentIndex())

    def open_lab(self) -> LabWidget:
        """The optimizer lab tab."""
        if self.lab is None:
            from gradviz.ui.lab.lab_widget import LabWidget

            self.lab = LabWidget()
            self.lab.set_cuda(self.cuda_available, self.cuda_reason)
            self._swap_in(self._lab_placeholder, self.lab, "Optimizer lab")
        self._show_tab(self.lab)
        return self.lab

    def open_network(self) -> NetworkWidget:
        """The Network tab, reading the editor's program."""
        if self.network is None:
            from gradviz.ui.nets.network_widget import NetworkWidget

            self.network = NetworkWidget()
            self.network.set_cuda(self.cuda_available, self.cuda_reason)
            self.network.program_written.connect(self._write_program)
            self._swap_in(self._network_placeholder, self.network, "Network")
            self.network.read_back_now(self.editor.toPlainText())
        self._show_tab(self.network)
        return self.network

    def _write_program(self, text: str) -> None:
        """The builder's program replaces the editor's (one undoable edit)."""
        cursor = self.editor.textCursor()
        cursor.beginEditBlock()
        cursor.select(cursor.SelectionType.Document)
        cursor.insertText(text)
        cursor.endEditBlock()

    def _tab_changed(self, index: int) -> None:
        shown = self.tabs.widget(index)
        placeholder = shown in (self._lab_placeholder, self._network_placeholder)
        if placeholder and not (self._plots_imported or _tabs_imported()):
            # Opened in the first seconds, while PyTorch (then pyqtgraph, in the background)
            # still loads: importing them here froze the whole window for 1–2 s. The tab says
            # what it waits for and opens once they are in (plots_imported).
            shown.setText("Loading PyTorch and the plotting library…")  # type: ignore[union-attr]
        elif shown in (self._lab_placeholder, self._network_placeholder):
            # Building a tab and its first paint take 0.2 s: the tab is shown at once, saying
            # so, and built on the next turn of the event loop (which paints the words first).
            shown.setText("Opening…")
            QTimer.singleShot(0, partial(self._open_placeholder, shown))
            return
        if self.lab is not None and shown is self.lab:
            self.lab.set_program(self.editor.toPlainText())  # for its network landscape
        on_graph = shown is self.splitter
        if on_graph and not self._was_on_graph and self._inspector_was_visible:
            self.inspector_dock.show()
        elif not on_graph and self._was_on_graph:  # leaving the graph: as the user left it
            self._inspector_was_visible = not self.inspector_dock.isHidden()
            self.inspector_dock.hide()  # it describes graph nodes: the other tabs have panels
        self._was_on_graph = on_graph

    def _open_placeholder(self, placeholder: QWidget) -> None:
        """Build the tab `placeholder` stands for, if it is still the one on screen."""
        if self.tabs.currentWidget() is not placeholder:
            return  # (the user moved on: built when next opened)
        if placeholder is self._lab_placeholder:
            self.open_lab()  # which shows the lab: _tab_changed runs again for it
        elif placeholder is self._network_placeholder:
            self.open_network()

    def plots_imported(self) -> None:
        """The background import is done: a tab that waited for it opens now."""
        self._plots_imported = True
        if self.tabs.currentWidget() in (self._lab_placeholder, self._network_placeholder):
            self._tab_changed(self.tabs.currentIndex())


_TAB_MODULES = {  # each tab's module, and its widget's class
    "gradviz.ui.lab.lab_widget": "LabWidget",
    "gradviz.ui.nets.network_widget": "NetworkWidget",
}


def _tabs_imported() -> bool:
    """Whether the tabs' modules are already imported (their classes defined): by a test, or
    a script, before the window."""
    return all(hasattr(sys.modules.get(name), cls) for name, cls in _TAB_MODULES.items())


class _Done(QObject):
    finished = Signal()


_keep: list[_Done] = []  # the signal's object lives as long as the app


def import_plotting_in_background(then: Callable[[], None] | None = None) -> None:
    """pyqtgraph takes 0.2–0.4 s to import; the lab, the Network tab and the inspector's
    heatmap need it first on the UI thread, which then froze for that long. Imported here in a
    thread instead (it builds no widget at import), the UI thread only shares the interpreter;
    then the lab's and the Network tab's own modules (about 0.1 s more, their classes only).
    `then` runs on the UI thread once they are in (or failed to: the UI thread then imports
    them itself, and meets the error where it can show it)."""
    import contextlib
    import threading

    done = _Done()
    _keep.append(done)
    if then is not None:
        done.finished.connect(then, Qt.ConnectionType.QueuedConnection)

    def load() -> None:
        from gradviz import collection

        try:
            with collection.start_up("pyqtgraph"):
                import pyqtgraph  # noqa: F401

                import gradviz.ui.lab.lab_widget
                import gradviz.ui.nets.network_widget
        finally:
            done.finished.emit()
        # then the 3D views' pyqtgraph.opengl and PyOpenGL: 0.3–0.5 s more, off the UI thread
        # at the first tick of "3D" (without OpenGL here, the 3D view meets it when asked for)
        with contextlib.suppress(Exception):
            import gradviz.ui.lab.surface3d  # noqa: F401

    threading.Thread(target=load, name="gradviz-import-plots", daemon=True).start()
