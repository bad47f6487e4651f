"""Help: the language reference, the keys and mouse, and what gradviz runs on."""

from __future__ import annotations

import re

import graphviz
import torch
from PySide6 import __version__ as pyside_version
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QMenu

from gradviz.lang.reference import language_reference
from gradviz.ui.stepper import STEP_KEYS


def _help_menu(window) -> QMenu:  # type: ignore[no-untyped-def]
    menus = [a.menu() for a in window.menuBar().actions()]
    return next(m for m in menus if isinstance(m, QMenu) and m.title() == "&Help")


def test_help_opens_the_language_reference_with_f1(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    items = {a.text(): a for a in _help_menu(window).actions() if a.text()}
    language = items["The gradviz &language…"]
    assert language.shortcut() == QKeySequence("F1")
    assert {"&Keyboard and mouse…", "&About gradviz"} <= set(items)
    language.trigger()
    text = window.actions_.help.dialogs["The gradviz language"].text.toPlainText()
    # every section of the reference, with its count of names, as `gradviz language` prints it
    headings = re.findall(r"^### (.+)$", language_reference(), flags=re.MULTILINE)
    assert len(headings) > 10
    for heading in headings:
        assert heading.replace("`", "") in text  # (code spans are drawn, not written)


def test_the_reference_asked_for_while_torch_loads_appears_once_it_has(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    window._loading = True  # as in the first second after start
    window.actions_.help.show_language()
    dialog = window.actions_.help.dialogs["The gradviz language"]
    assert "once PyTorch has loaded" in dialog.text.toPlainText()
    window._loading = False
    window.torch_ready.emit()
    assert dialog.text.toPlainText().startswith("The gradviz language")


def _shortcuts(menu: QMenu) -> list[str]:
    found = []
    for action in menu.actions():
        sub = action.menu()
        if isinstance(sub, QMenu):
            found += _shortcuts(sub)
        elif not action.shortcut().isEmpty():
            found.append(action.shortcut().toString(QKeySequence.SequenceFormat.NativeText))
    return found


def test_the_keys_list_every_menu_shortcut_and_the_stepping_keys(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    window.actions_.help.show_keys()
    text = window.actions_.help.dialogs["Keyboard and mouse"].text.toPlainText()
    menus = [a.menu() for a in window.menuBar().actions()]
    shortcuts = [s for m in menus if isinstance(m, QMenu) for s in _shortcuts(m)]
    assert {"F1", "F5", "Ctrl+B", "G", "F"} <= set(shortcuts)
    for shortcut in shortcuts:
        assert shortcut in text
    for keys, _, _ in STEP_KEYS:
        assert " or ".join(keys) in text
    assert "Right-click a node" in text


def test_about_says_what_gradviz_runs_on(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    window.actions_.help.show_about()
    text = window.actions_.help.dialogs["About gradviz"].text.toPlainText()
    assert torch.__version__ in text
    assert ".".join(str(p) for p in graphviz.version()) in text
    assert pyside_version in text
    cuda = "available" if torch.cuda.is_available() else "unavailable"
    assert re.search(rf"CUDA\s+{cuda}", text)


def test_the_help_finds_a_name(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    window.actions_.help.show_language()
    dialog = window.actions_.help.dialogs["The gradviz language"]
    dialog.find_box.setText("log_softmax")  # is it in the language? the reference says so
    assert dialog.text.textCursor().selectedText() == "log_softmax"
    first = dialog.text.textCursor().position()
    dialog.find_box.returnPressed.emit()  # the next one, if any, else the first again
    assert dialog.text.textCursor().selectedText() == "log_softmax"
    assert dialog.text.textCursor().position() != first or (
        dialog.text.toPlainText().count("log_softmax") == 1
    )
    assert not dialog.find_text("no_such_name_anywhere", from_start=True)
