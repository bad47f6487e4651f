"""The error line's offer to make the change a refusal says was meant: "name `lossd` is not
defined (did you mean `loss`?)" ends with a link that changes `lossd` to `loss` (one undoable
edit; the program is traced again as after any edit)."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QLabel, QPlainTextEdit

from gradviz.lang.quick_fix import Fix, suggested_fix


class ErrorFix:
    """Shows an error in `label`, with the fix as a link where the message proposes one."""

    def __init__(self, label: QLabel, editor: QPlainTextEdit) -> None:
        self.label = label
        self.editor = editor
        self.fix: Fix | None = None
        label.linkActivated.connect(lambda _: self.apply())

    def show(self, text: str, source: str, error: tuple[str, int | None, int | None]) -> None:
        """`text` (the located message) for the `error` raised by `source`; the fix offered
        only while the editor still holds that source."""
        message, line, col = error
        current = source == self.editor.toPlainText()
        self.fix = suggested_fix(source, message, line, col) if current else None
        if self.fix is None:
            self.label.setTextFormat(Qt.TextFormat.PlainText)
            self.label.setText(text)
        else:
            self.label.setTextFormat(Qt.TextFormat.RichText)
            offer = f"Change {self.fix.old} to {self.fix.new}"
            self.label.setText(
                f"{html.escape(text, quote=False)} &nbsp;<a href='fix'>{html.escape(offer)}</a>"
            )
        self.label.show()

    def apply(self) -> bool:
        """Make the change (False where the text there is no longer what the fix replaces)."""
        fix = self.fix
        if fix is None:
            return False
        block = self.editor.document().findBlockByNumber(fix.line - 1)
        if not block.isValid() or block.text()[fix.column : fix.column + len(fix.old)] != fix.old:
            return False
        cursor = QTextCursor(block)
        cursor.beginEditBlock()
        cursor.setPosition(block.position() + fix.column)
        cursor.setPosition(
            block.position() + fix.column + len(fix.old), QTextCursor.MoveMode.KeepAnchor
        )
        cursor.insertText(fix.new)
        cursor.endEditBlock()
        self.fix = None
        return True
