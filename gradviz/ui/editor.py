"""The program editor: line numbers, highlighting, and errors underlined where they happened."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QRect, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFocusEvent,
    QFont,
    QFontDatabase,
    QHelpEvent,
    QKeyEvent,
    QPainter,
    QPaintEvent,
    QResizeEvent,
    QTextCharFormat,
    QTextCursor,
    QTextFormat,
)
from PySide6.QtWidgets import QPlainTextEdit, QTextEdit, QToolTip, QWidget

from gradviz.ui.completer import EditorCompleter
from gradviz.ui.highlighter import Highlighter

ERROR = QColor("#d62728")  # red: the line that failed
WARNING = QColor("#b35900")  # amber, readable on light and dark: a line torch warned at


class _LineNumbers(QWidget):
    def __init__(self, editor: CodeEditor) -> None:
        super().__init__(editor)
        self.editor = editor

    def sizeHint(self) -> QSize:
        return QSize(self.editor.line_number_width(), 0)

    def paintEvent(self, event: QPaintEvent) -> None:
        self.editor.paint_line_numbers(event)


class CodeEditor(QPlainTextEdit):
    """A plain-text editor for programs. `error_line` is the line marked as wrong (1-based)."""

    run_requested = Signal()
    # the caret's line (1-based) while the editor has the focus, 0 once it loses it: the graph
    # outlines the nodes that line made
    caret_line = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setPointSizeF(max(font.pointSizeF(), 11.0))
        self.setFont(font)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setTabStopDistance(self.fontMetrics().horizontalAdvance(" ") * 4)
        self.setAccessibleName("Program editor")
        self._numbers = _LineNumbers(self)
        self._highlighter = Highlighter(self.document())
        self.error_line: int | None = None
        self._error_selection: QTextEdit.ExtraSelection | None = None
        self.warning_lines: dict[int, str] = {}  # line → what torch warned there
        self._warning_selections: list[QTextEdit.ExtraSelection] = []
        self.marked_line: int | None = None  # the line that made the node selected in the graph
        self._marked_selection: QTextEdit.ExtraSelection | None = None
        self.blockCountChanged.connect(self._update_margin)
        self.updateRequest.connect(self._scroll_numbers)
        self.cursorPositionChanged.connect(self._refresh_selections)
        self.cursorPositionChanged.connect(self._caret_moved)
        self._caret_line = 0
        # what a name under the pointer holds or does: (name, line, column just past it) → a
        # tooltip, or None for none
        self.name_tooltip: Callable[[str, int, int], str | None] | None = None
        self.completion = EditorCompleter(self)
        self._update_margin()

    # -- appearance -----------------------------------------------------------------------------
    def set_theme(self, theme: str) -> None:
        self._highlighter.set_theme(theme)

    def set_font_scale(self, scale: float, base: float = 11.0) -> None:
        font = self.font()
        font.setPointSizeF(base * scale)
        self.setFont(font)
        self.setTabStopDistance(self.fontMetrics().horizontalAdvance(" ") * 4)
        self._update_margin()

    def line_number_width(self) -> int:
        digits = len(str(max(1, self.blockCount())))
        return 12 + self.fontMetrics().horizontalAdvance("9") * max(3, digits)

    def _update_margin(self) -> None:
        self.setViewportMargins(self.line_number_width(), 0, 0, 0)

    def _scroll_numbers(self, rect: QRect, dy: int) -> None:
        if dy:
            self._numbers.scroll(0, dy)
        else:
            self._numbers.update(0, rect.y(), self._numbers.width(), rect.height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        rect = self.contentsRect()
        self._numbers.setGeometry(
            QRect(rect.left(), rect.top(), self.line_number_width(), rect.height())
        )

    def paint_line_numbers(self, event: QPaintEvent) -> None:
        painter = QPainter(self._numbers)
        palette = self.palette()
        painter.fillRect(event.rect(), palette.alternateBase())
        block = self.firstVisibleBlock()
        number = block.blockNumber() + 1
        top = round(self.blockBoundingGeometry(block).translated(self.contentOffset()).top())
        bottom = top + round(self.blockBoundingRect(block).height())
        height = self.fontMetrics().height()
        while block.isValid() and top <= event.rect().bottom():
            if block.isVisible() and bottom >= event.rect().top():
                is_error = number == self.error_line
                warned = number in self.warning_lines
                colour = ERROR if is_error else WARNING if warned else None
                painter.setPen(colour or palette.placeholderText().color())
                font = painter.font()
                font.setBold(colour is not None)
                painter.setFont(font)
                painter.drawText(
                    0,
                    top,
                    self._numbers.width() - 6,
                    height,
                    Qt.AlignmentFlag.AlignRight,
                    str(number),
                )
            block = block.next()
            top = bottom
            bottom = top + round(self.blockBoundingRect(block).height())
            number += 1

    # -- errors ---------------------------------------------------------------------------------
    def set_error(self, line: int | None, col: int | None, message: str) -> None:
        """Underline the error's place (from its column to the end of the word or line)."""
        self.error_line = line
        self._error_selection = None
        if line is not None and 1 <= line <= self.blockCount():
            block = self.document().findBlockByNumber(line - 1)
            cursor = QTextCursor(block)
            start = max(0, min((col or 1) - 1, max(0, block.length() - 1)))
            cursor.setPosition(block.position() + start)
            cursor.movePosition(
                QTextCursor.MoveOperation.EndOfBlock, QTextCursor.MoveMode.KeepAnchor
            )
            if not cursor.hasSelection():
                cursor.movePosition(QTextCursor.MoveOperation.StartOfBlock)
                cursor.movePosition(
                    QTextCursor.MoveOperation.EndOfBlock, QTextCursor.MoveMode.KeepAnchor
                )
            fmt = QTextCharFormat()
            fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
            fmt.setUnderlineColor(ERROR)
            fmt.setToolTip(message)
            selection = QTextEdit.ExtraSelection()
            selection.cursor = cursor
            selection.format = fmt
            self._error_selection = selection
        self._refresh_selections()
        self._numbers.update()

    def clear_error(self) -> None:
        self.set_error(None, None, "")

    def set_warnings(self, warnings: list[tuple[int | None, str]]) -> None:
        """Mark the lines torch warned at (amber number, dotted underline, the warning as tip)."""
        self.warning_lines = {}
        for line, text in warnings:
            if line is not None and 1 <= line <= self.blockCount():
                previous = self.warning_lines.get(line)
                self.warning_lines[line] = f"{previous}\n{text}" if previous else text
        self._warning_selections = []
        for line, text in self.warning_lines.items():
            cursor = QTextCursor(self.document().findBlockByNumber(line - 1))
            cursor.movePosition(
                QTextCursor.MoveOperation.EndOfBlock, QTextCursor.MoveMode.KeepAnchor
            )
            fmt = QTextCharFormat()
            fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.DotLine)
            fmt.setUnderlineColor(WARNING)
            fmt.setToolTip(f"torch warned: {text}")
            selection = QTextEdit.ExtraSelection()
            selection.cursor, selection.format = cursor, fmt
            self._warning_selections.append(selection)
        self._refresh_selections()
        self._numbers.update()

    def mark_line(self, line: int | None) -> None:
        """Tint the line that made the selected node (None: no line), scrolled into view; the
        caret stays where the user left it."""
        self.marked_line = line if line is not None and 1 <= line <= self.blockCount() else None
        self._marked_selection = None
        if self.marked_line is not None:
            block = self.document().findBlockByNumber(self.marked_line - 1)
            fmt = QTextCharFormat()
            tint = self.palette().highlight().color()
            tint.setAlpha(60)
            fmt.setBackground(tint)
            fmt.setProperty(QTextFormat.Property.FullWidthSelection, True)
            selection = QTextEdit.ExtraSelection()
            selection.cursor, selection.format = QTextCursor(block), fmt
            self._marked_selection = selection
            bar = self.verticalScrollBar()
            shown = max(1, self.viewport().height() // self.fontMetrics().height())
            first = bar.value()
            if not first <= self.marked_line - 1 < first + shown:
                bar.setValue(max(0, self.marked_line - 1 - shown // 3))
        self._refresh_selections()

    def _refresh_selections(self) -> None:
        selections = []
        current = QTextEdit.ExtraSelection()
        fmt = QTextCharFormat()
        fmt.setBackground(self.palette().alternateBase())
        fmt.setProperty(QTextFormat.Property.FullWidthSelection, True)
        current.format = fmt
        current.cursor = self.textCursor()
        current.cursor.clearSelection()
        selections.append(current)
        if self._marked_selection is not None:
            selections.append(self._marked_selection)
        selections.extend(self._warning_selections)
        if self._error_selection is not None:
            selections.append(self._error_selection)
        self.setExtraSelections(selections)

    # -- a name's value under the pointer ---------------------------------------------------------
    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent):
            if self.completion.takes(event):  # Escape closes the list, not presentation mode
                event.accept()
                return True
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            cursor = self.cursorForPosition(self.viewport().mapFromGlobal(event.globalPos()))
            cursor.select(QTextCursor.SelectionType.WordUnderCursor)
            word = cursor.selectedText()
            text = None
            if word.isidentifier() and self.name_tooltip is not None:
                end = cursor.selectionEnd() - cursor.block().position()  # just past the word
                text = self.name_tooltip(word, cursor.blockNumber() + 1, end)
            if text:
                QToolTip.showText(event.globalPos(), text, self)
            else:
                QToolTip.hideText()
            return True
        return super().event(event)

    # -- the caret's line ------------------------------------------------------------------------
    def _caret_moved(self) -> None:
        line = self.textCursor().blockNumber() + 1 if self.hasFocus() else 0
        if line != self._caret_line:
            self._caret_line = line
            self.caret_line.emit(line)

    def focusInEvent(self, event: QFocusEvent) -> None:
        super().focusInEvent(event)
        self._caret_moved()

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        self._caret_moved()

    # -- typing ---------------------------------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:
        if self.completion.takes(event):
            event.ignore()  # the list's: take the name (Enter, Tab) or close (Escape)
            return
        ctrl = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
        if not (event.key() == Qt.Key.Key_Space and ctrl):  # Ctrl+Space: only the list
            self._type(event)
        self.completion.after_key(event)

    def _type(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Tab and not event.modifiers():
            self.insertPlainText("    ")
            return
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and (
            event.modifiers() & Qt.KeyboardModifier.ControlModifier
        ):
            self.run_requested.emit()
            return
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            line = self.textCursor().block().text()
            indent = line[: len(line) - len(line.lstrip())]
            if line.rstrip().endswith(":"):
                indent += "    "
            super().keyPressEvent(event)
            self.insertPlainText(indent)
            return
        super().keyPressEvent(event)


def monospace(size: float = 11.0) -> QFont:
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    font.setPointSizeF(size)
    return font
