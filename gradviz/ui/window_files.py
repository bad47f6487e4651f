"""The main window's document files and pictures: open, save, recent files, drag and drop,
autosave and recovery, and exporting or copying the graph image."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QMimeData
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QFileDialog, QMainWindow, QMessageBox

from gradviz.ui.autosave import Autosaver, Recoverable
from gradviz.ui.document import Document, read_document, write_document
from gradviz.ui.exporter import ExportJob

if TYPE_CHECKING:
    from gradviz.autograd.graph import Graph
    from gradviz.ui.menus import Actions
    from gradviz.ui.settings import Preferences
    from gradviz.ui.trace_service import TraceOutcome, ViewSettings

log = logging.getLogger(__name__)


class DocumentWindow(QMainWindow):
    """The file side of the main window (which fills in the rest)."""

    document: Document
    prefs: Preferences
    autosaver: Autosaver
    actions_: Actions
    settings: ViewSettings
    device: str
    graph: Graph | None
    outcome: TraceOutcome | None

    if TYPE_CHECKING:

        def set_document(self, document: Document) -> None: ...

    # -- files -----------------------------------------------------------------------------------
    def open_path(self, path: str) -> bool:
        from gradviz.lang.errors import ProgramError

        try:
            document = read_document(path)
        except ProgramError as exc:
            self.report(str(exc), dialog=True)
            return False
        self.prefs.add_recent(str(Path(path).resolve()))
        self.prefs.last_folder = str(Path(path).resolve().parent)
        self.actions_.refresh_recent()
        self.set_document(document)
        return True

    def open_dialog(self) -> None:
        if not self.maybe_save():
            return
        path, _ = QFileDialog.getOpenFileName(
            self, "Open", self.prefs.last_folder, "gradviz (*.gradviz *.py);;All files (*)"
        )
        if path:
            self.open_path(path)

    def save(self) -> bool:
        if self.document.path is None:
            return self.save_as()
        return self.save_to(self.document.path)

    def save_as(self) -> bool:
        default = str(Path(self.prefs.last_folder or ".") / "untitled.gradviz")
        path, _ = QFileDialog.getSaveFileName(
            self,
            "Save",
            self.document.path or default,
            "gradviz session (*.gradviz);;Program (*.py)",
        )
        return self.save_to(path) if path else False

    def save_to(self, path: str) -> bool:
        from gradviz.lang.errors import ProgramError

        settings: dict[str, str | float | bool] = {
            "theme": self.settings.theme,
            "orientation": self.settings.orientation,
            "view": self.settings.view,
            "modules": self.settings.modules,
            "folded": ",".join(sorted(self.settings.folded)),
        }
        try:
            write_document(self.document, path, self.device, settings)
        except ProgramError as exc:
            self.report(str(exc), dialog=True)
            return False
        self.document.path = path
        self.document.dirty = False
        self.setWindowTitle(self.document.title)
        self.prefs.add_recent(str(Path(path).resolve()))
        self.prefs.last_folder = str(Path(path).resolve().parent)
        self.actions_.refresh_recent()
        self.autosaver.discard()
        self.statusBar().showMessage(f"Saved {path}", 4000)
        return True

    def maybe_save(self) -> bool:
        """True when it is fine to replace the document (saved, discarded, or clean)."""
        if not self.document.dirty:
            return True
        answer = self.ask_unsaved()
        if answer == "save":
            return self.save()
        return answer == "discard"

    def ask_unsaved(self) -> str:
        """'save', 'discard' or 'cancel' (a dialog; tests replace this)."""
        box = QMessageBox(self)
        box.setWindowTitle("Unsaved changes")
        box.setText(f"Save changes to {self.document.title.split(' — ')[0].lstrip('● ')}?")
        box.setStandardButtons(
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel
        )
        result = box.exec()
        return {
            QMessageBox.StandardButton.Save: "save",
            QMessageBox.StandardButton.Discard: "discard",
        }.get(QMessageBox.StandardButton(result), "cancel")

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if _dropped_path(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        path = _dropped_path(event.mimeData())
        if path and self.maybe_save():
            self.open_path(path)
            event.acceptProposedAction()

    # -- autosave and recovery -------------------------------------------------------------------
    def _autosave(self) -> None:
        if self.document.dirty:
            try:
                self.autosaver.save(
                    self.document.source, self.document.path, self.document.overrides
                )
            except OSError as exc:
                log.warning("autosave failed: %s", exc)

    def offer_recovery(self) -> bool:
        orphans = self.autosaver.orphans()
        if not orphans:
            return False
        newest = max(orphans, key=lambda r: r.saved_at)
        recovered = False
        if self.ask_recover(newest):
            document = Document(newest.source, newest.origin, dict(newest.overrides), dirty=True)
            self.set_document(document)
            self.document.dirty = True
            self.setWindowTitle(self.document.title)
            self._autosave()
            recovered = True
        for orphan in orphans:
            orphan.path.unlink(missing_ok=True)
        return recovered

    def ask_recover(self, item: Recoverable) -> bool:
        """Offer unsaved work from a gradviz that did not close cleanly (tests replace this)."""
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(item.saved_at))
        name = Path(item.origin).name if item.origin else "an untitled program"
        answer = QMessageBox.question(
            self,
            "Recover unsaved work?",
            f"gradviz did not close cleanly. Recover your unsaved changes to {name} from {when}?",
        )
        return answer == QMessageBox.StandardButton.Yes

    # -- export ----------------------------------------------------------------------------------
    def export_to(self, path: str, scale: float = 1.0) -> ExportJob | None:
        if self.graph is None:
            self.report("Nothing to export yet.")
            return None
        job = ExportJob(
            self.graph,
            self.settings,
            path=path,
            scale=scale,
            printed=self.outcome.printed if self.outcome else "",
        )
        job.signals.done.connect(lambda message: self.statusBar().showMessage(message, 6000))
        job.signals.failed.connect(lambda message: self.report(message, dialog=True))
        job.start()
        return job

    def export_dialog(self, fmt: str, scale: float = 1.0) -> None:
        stem = Path(self.document.path).stem if self.document.path else "graph"
        suffix = f"@{scale:g}x" if fmt == "png" and scale != 1 else ""
        default = str(Path(self.prefs.last_folder or ".") / f"{stem}{suffix}.{fmt}")
        path, _ = QFileDialog.getSaveFileName(
            self, f"Export {fmt.upper()}", default, f"{fmt.upper()} (*.{fmt})"
        )
        if path:
            if not path.lower().endswith(f".{fmt}"):
                path += f".{fmt}"
            self.export_to(path, scale)

    def copy_image(self) -> ExportJob | None:
        if self.graph is None:
            return None
        job = ExportJob(self.graph, self.settings, path=None, scale=2.0)
        job.signals.image.connect(self._set_clipboard)
        job.signals.failed.connect(lambda message: self.report(message, dialog=True))
        job.start()
        return job

    def _set_clipboard(self, data: QByteArray) -> None:
        from PySide6.QtGui import QImage

        image = QImage.fromData(data)  # the format is detected from the PNG header
        QApplication.clipboard().setImage(image)
        self.statusBar().showMessage("Copied the graph image to the clipboard", 4000)

    def report(self, message: str, dialog: bool = False) -> None:
        self.statusBar().showMessage(message, 10000)
        if dialog and QApplication.platformName() != "offscreen":
            QMessageBox.warning(self, "gradviz", message)


def _dropped_path(mime: QMimeData) -> str | None:
    for url in mime.urls():
        if url.isLocalFile() and url.toLocalFile().endswith((".py", ".gradviz")):
            return str(url.toLocalFile())
    return None
