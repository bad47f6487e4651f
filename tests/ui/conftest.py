"""UI tests run offscreen with pytest-qt; each window gets its own settings and autosave folder."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from gradviz.ui.autosave import Autosaver
from gradviz.ui.main_window import MainWindow
from gradviz.ui.settings import Preferences

TIMEOUT = 30_000


def make_window(qtbot, folder: Path) -> MainWindow:  # type: ignore[no-untyped-def]
    prefs = Preferences(QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat))
    window = MainWindow(prefs, Autosaver(folder))
    # Modal dialogs would wait forever offscreen: answer them unless a test says otherwise.
    window.ask_unsaved = lambda: "discard"  # type: ignore[method-assign]
    window.ask_recover = lambda item: False  # type: ignore[method-assign]
    window.resize(1400, 900)
    window.show()
    return window


def close_window(window: MainWindow) -> None:
    window.document.dirty = False
    window.close()
    window.service.shutdown()


@pytest.fixture
def window(qtbot, tmp_path: Path) -> Iterator[MainWindow]:  # type: ignore[no-untyped-def]
    win = make_window(qtbot, tmp_path)
    with qtbot.waitSignal(win.torch_ready, timeout=TIMEOUT):
        win.start(None)
    wait_graph(qtbot, win)
    yield win
    close_window(win)


def wait_graph(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    """Wait until the newest request's result is on screen."""
    qtbot.waitUntil(
        lambda: (
            window.outcome is not None and window.outcome.generation == window.service.generation
        ),
        timeout=TIMEOUT,
    )


def set_program(qtbot, window: MainWindow, source: str) -> None:  # type: ignore[no-untyped-def]
    window.editor.setPlainText(source)
    window.retrace(interrupt=True)
    wait_graph(qtbot, window)
