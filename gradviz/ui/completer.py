"""Completion in the editor: after a `.` (or on Ctrl+Space) a list of what the language allows
there — a module's members, a value's methods, the program's names — filtered as one types;
Enter or Tab takes the chosen name, Escape closes the list. Names come from lang.completion."""

from __future__ import annotations

from PySide6.QtCore import QStringListModel, Qt
from PySide6.QtGui import QKeyEvent, QTextCursor
from PySide6.QtWidgets import QAbstractItemView, QCompleter, QPlainTextEdit

POPUP_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Tab, Qt.Key.Key_Escape,
              Qt.Key.Key_Backtab)  # fmt: skip
MAX_SHOWN = 12  # rows of the list before it scrolls


class EditorCompleter:
    """Owns the editor's QCompleter. `enabled` stays False until PyTorch has loaded (the names
    are read from torch's whitelists; importing them earlier would wait for that import)."""

    def __init__(self, editor: QPlainTextEdit) -> None:
        self.editor = editor
        self.enabled = False
        self.prefix = ""
        self.model = QStringListModel()
        self.completer = QCompleter(self.model, editor)
        self.completer.setWidget(editor)
        self.completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.completer.setCaseSensitivity(Qt.CaseSensitivity.CaseSensitive)
        self.completer.setMaxVisibleItems(MAX_SHOWN)
        self.completer.activated.connect(self.insert)
        popup = self.completer.popup()
        assert popup is not None  # QCompleter makes its list view
        self.popup: QAbstractItemView = popup

    @property
    def showing(self) -> bool:
        return bool(self.popup.isVisible())

    def takes(self, event: QKeyEvent) -> bool:
        """Whether the open list handles this key (the editor then leaves it alone)."""
        return self.showing and event.key() in POPUP_KEYS

    def after_key(self, event: QKeyEvent) -> None:
        """Open, filter or close the list after the editor handled a key."""
        explicit = event.key() == Qt.Key.Key_Space and bool(
            event.modifiers() & Qt.KeyboardModifier.ControlModifier
        )
        typed = event.text()
        if explicit or typed == ".":
            self.update(force=True)
        elif self.showing and (typed[:1].isidentifier() or typed[:1].isdigit() or
                               event.key() == Qt.Key.Key_Backspace):  # fmt: skip
            self.update(force=False)
        elif self.showing:
            self.popup.hide()

    def update(self, force: bool) -> None:
        """The names at the caret; the list shown where there is a choice to make."""
        if not self.enabled:
            return
        from gradviz.lang.completion import complete

        cursor = self.editor.textCursor()
        found = complete(
            self.editor.toPlainText(), cursor.blockNumber() + 1, cursor.positionInBlock()
        )
        self.prefix = found.prefix
        names = found.names
        if not names or (names == [found.prefix]) or (not force and not self.showing):
            self.popup.hide()
            return
        self.model.setStringList(names)
        self.completer.setCompletionPrefix("")  # the names are already the prefix's
        popup = self.popup
        popup.setFont(self.editor.font())  # code, in the editor's type (the projector's too)
        popup.setCurrentIndex(self.completer.completionModel().index(0, 0))
        rect = self.editor.cursorRect()
        rect.setWidth(popup.sizeHintForColumn(0) + popup.verticalScrollBar().sizeHint().width() + 8)
        self.completer.complete(rect)

    def insert(self, name: str) -> None:
        """Replace the partial word before the caret with the chosen name."""
        cursor = self.editor.textCursor()
        cursor.movePosition(
            QTextCursor.MoveOperation.Left, QTextCursor.MoveMode.KeepAnchor, len(self.prefix)
        )
        cursor.insertText(name)
        self.editor.setTextCursor(cursor)
        self.prefix = name
