"""The main window's tabs: the optimizer lab and the Network tab, each built the first time it
is shown (they need pyqtgraph), and what follows a change of tab."""

from __future__ import annotations

from typing import TYPE_CHECKING

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
        if shown is self._lab_placeholder:
            self.open_lab()
        if shown is self._network_placeholder:
            self.open_network()
        if self.lab is not None and shown is self.lab:
            self.lab.set_program(self.editor.toPlainText())  # for its network landscape
        on_graph = shown is self.splitter
        if on_graph and self._inspector_was_visible:
            self.inspector_dock.show()
        elif not on_graph:
            self._inspector_was_visible = self.inspector_dock.isVisible()
            self.inspector_dock.hide()  # it describes graph nodes: the other tabs have panels


def import_plotting_in_background() -> None:
    """pyqtgraph takes 0.2–0.4 s to import; the lab, the Network tab and the inspector's
    heatmap need it first on the UI thread, which then froze for that long. Imported here in a
    thread instead (it builds no widget at import), the UI thread only shares the interpreter;
    then the lab's and the Network tab's own modules (about 0.1 s more, their classes only)."""
    import threading

    def load() -> None:
        from gradviz import collection

        with collection.start_up("pyqtgraph"):
            import pyqtgraph  # noqa: F401

            import gradviz.ui.lab.lab_widget
            import gradviz.ui.nets.network_widget  # noqa: F401

    threading.Thread(target=load, name="gradviz-import-plots", daemon=True).start()
