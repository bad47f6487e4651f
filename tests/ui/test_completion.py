"""Completion in the editor: the names the language allows at the caret, from its whitelists."""

from __future__ import annotations

import torch
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from gradviz.lang.catalog import TORCH_NS
from tests.ui.conftest import set_program


def _type(qtbot, editor, text: str) -> None:  # type: ignore[no-untyped-def]
    for char in text:
        QTest.keyClick(editor, char)


def _shown(editor) -> list[str]:  # type: ignore[no-untyped-def]
    model = editor.completion.completer.completionModel()
    return [model.index(i, 0).data() for i in range(model.rowCount())]


def _editing(qtbot, window, program: str):  # type: ignore[no-untyped-def]
    """The editor with `program` traced, focused, its caret at the end."""
    editor = window.editor
    set_program(qtbot, window, program)
    window.activateWindow()
    editor.setFocus()
    editor.moveCursor(editor.textCursor().MoveOperation.End)
    return editor


def test_a_dot_lists_the_modules_members_and_enter_takes_one(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    editor = _editing(qtbot, window, "import torch\n")
    _type(qtbot, editor, "w = torch.")
    assert editor.completion.showing
    # every listed name is one torch itself has and the language allows
    shown = _shown(editor)
    assert "zeros" in shown and "load" not in shown and "save" not in shown
    assert all(hasattr(torch, name) for name in shown if name in TORCH_NS.members)
    _type(qtbot, editor, "zeros_l")
    assert _shown(editor) == ["zeros_like"]
    QTest.keyClick(editor.completion.popup, Qt.Key.Key_Return)  # the open list has the keys
    assert editor.toPlainText().endswith("w = torch.zeros_like")
    assert not editor.completion.showing


def test_ctrl_space_completes_a_bare_name_and_escape_closes(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    editor = _editing(qtbot, window, "learning_rate = 0.1\n")
    _type(qtbot, editor, "lea")
    assert not editor.completion.showing  # no list while typing a name, unless asked
    QTest.keyClick(editor, Qt.Key.Key_Space, Qt.KeyboardModifier.ControlModifier)
    assert _shown(editor) == ["learning_rate"]
    assert editor.toPlainText().endswith("lea")  # Ctrl+Space typed no space
    # (through the shortcut map, where Escape also leaves presentation mode: the list wins)
    QTest.keyClick(editor.completion.popup, Qt.Key.Key_Escape)
    assert not editor.completion.showing
    QTest.keyClick(editor, Qt.Key.Key_Return)  # a newline, not a completion
    assert editor.toPlainText().endswith("lea\n")
