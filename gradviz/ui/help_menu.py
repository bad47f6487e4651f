"""The Help menu: the language reference, the keys and mouse, and what gradviz runs on."""

from __future__ import annotations

import platform
import sys
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from PySide6 import __version__ as pyside_version
from PySide6.QtGui import QAction, QKeySequence, QTextCursor
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLineEdit,
    QMenu,
    QMenuBar,
    QTextBrowser,
    QVBoxLayout,
)

from gradviz import __version__
from gradviz.ui.stepper import STEP_KEYS

if TYPE_CHECKING:
    from gradviz.ui.main_window import MainWindow

LOADING = "The reference lists what PyTorch offers, so it appears once PyTorch has loaded…"

# what the mouse and the keys without a menu entry do (the menus' own shortcuts are read from
# the menus themselves)
GRAPH_KEYS = (
    ("Click a node", "show it in the inspector"),
    (
        "Right-click a node",
        "copy its name, value or gradient; step through backprop to it; fold its module",
    ),
    (
        "↑ ↓ ← → (a node selected)",
        "the neighbour drawn that way: ↑ an operand, ↓ a consumer, ← → a sibling; with nothing "
        "selected they scroll",
    ),
    ("Double-click a module's box", "fold the module into one node (again: unfold it)"),
    ("Wheel, + and −", "zoom"),
    ("Drag the background", "pan (the graph stops fitting itself to the view; F fits it again)"),
)
EDITOR_KEYS = (
    (
        "Type a `.`, or Ctrl+Space",
        "a list of what the language allows there: Enter or Tab takes the name chosen, Escape "
        "closes it",
    ),
    ("The caret on a line", "outlines the nodes that line made"),
    ("The pointer over a name", "what it holds: value, gradient, op"),
    ("Tab", "four spaces"),
)
LAB_KEYS = (
    ("Click the surface", "start every optimizer there"),
    ("Drag the start (+)", "race again from each position as it moves"),
    ("Drag, wheel", "pan and zoom; the surface is computed again for the new view"),
)


class HelpDialog(QDialog):
    """A window of Markdown text, kept open beside the main window (not modal)."""

    def __init__(self, window: MainWindow, title: str) -> None:
        super().__init__(window)
        self.setWindowTitle(title)
        self.text = QTextBrowser()
        self.text.setOpenExternalLinks(True)
        self.find_box = QLineEdit()
        self.find_box.setPlaceholderText("Find (Enter: the next one)")
        self.find_box.setClearButtonEnabled(True)
        self.find_box.setAccessibleName("Find in help")
        self.find_box.textChanged.connect(lambda text: self.find_text(text, from_start=True))
        self.find_box.returnPressed.connect(lambda: self.find_text(self.find_box.text()))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.find_box)
        layout.addWidget(self.text)
        layout.addWidget(buttons)
        screen = window.screen().availableGeometry()  # a 1280×720 projector: within it
        self.resize(min(880, int(screen.width() * 0.9)), min(680, int(screen.height() * 0.85)))

    def find_text(self, text: str, from_start: bool = False) -> bool:
        """Select the next `text` (from the top where asked, and again from the top at the
        end); False where it is nowhere."""
        if from_start:
            self.text.moveCursor(QTextCursor.MoveOperation.Start)
        if not text:
            return False
        if self.text.find(text):
            return True
        self.text.moveCursor(QTextCursor.MoveOperation.Start)
        return bool(self.text.find(text))

    def show_markdown(self, markdown: str) -> None:
        self.text.setMarkdown(markdown)
        self.show()
        self.raise_()
        self.activateWindow()
        self.find_box.setFocus()  # F1, then type the name looked for


class HelpMenu:
    """Help › The gradviz language (F1), Keyboard and mouse, About gradviz."""

    def __init__(self, window: MainWindow, bar: QMenuBar) -> None:
        self.window = window
        self.dialogs: dict[str, HelpDialog] = {}
        window.torch_ready.connect(self._language_ready)
        menu = bar.addMenu("&Help")
        self._add(menu, "The gradviz &language…", self.show_language, QKeySequence("F1"))
        self._add(menu, "&Keyboard and mouse…", self.show_keys)
        menu.addSeparator()
        self._add(menu, "&About gradviz", self.show_about)

    def _add(
        self, menu: QMenu, text: str, slot: Callable[[], object], keys: QKeySequence | None = None
    ) -> None:
        action = QAction(text, self.window)
        if keys is not None:
            action.setShortcut(keys)
        action.triggered.connect(slot)
        menu.addAction(action)

    def dialog(self, title: str) -> HelpDialog:
        if title not in self.dialogs:
            self.dialogs[title] = HelpDialog(self.window, title)
        return self.dialogs[title]

    def show_language(self) -> None:
        """Every name a program may use (as `gradviz language` prints it); it reads torch's
        whitelists, so while PyTorch is still loading it says so and fills in after."""
        dialog = self.dialog("The gradviz language")
        if self.window._loading:
            dialog.show_markdown(LOADING)  # _language_ready fills it in
            return
        from gradviz.lang.reference import language_reference

        dialog.show_markdown(language_reference())

    def _language_ready(self) -> None:
        dialog = self.dialogs.get("The gradviz language")
        if dialog is not None and dialog.isVisible():
            from gradviz.lang.reference import language_reference

            dialog.text.setMarkdown(language_reference())

    def show_keys(self) -> None:
        self.dialog("Keyboard and mouse").show_markdown(keys_markdown(self.window))

    def show_about(self) -> None:
        self.dialog("About gradviz").show_markdown(about_markdown(self.window))


def _table(rows: list[tuple[str, str]], head: tuple[str, str]) -> str:
    lines = [f"| {head[0]} | {head[1]} |", "|---|---|"]
    lines += [f"| {a} | {b} |" for a, b in rows]
    return "\n".join(lines) + "\n\n"


def menu_shortcuts(bar: QMenuBar) -> list[tuple[str, str]]:
    """(shortcut, menu › item) for every menu item that has a shortcut."""
    return [
        (action.shortcut().toString(QKeySequence.SequenceFormat.NativeText), path)
        for action, path in _menu_items(bar.actions(), "")
        if not action.shortcut().isEmpty()
    ]


def _menu_items(actions: list[QAction], prefix: str) -> Iterator[tuple[QAction, str]]:
    for action in actions:
        text = action.text().replace("&", "").rstrip("…")
        path = f"{prefix} › {text}" if prefix else text
        submenu = action.menu()
        if isinstance(submenu, QMenu):
            yield from _menu_items(submenu.actions(), path)
        elif text:
            yield action, path


def keys_markdown(window: MainWindow) -> str:
    stepping = [(" or ".join(keys), what) for keys, _, what in STEP_KEYS]
    stepping.append(("Esc", "leave presentation mode"))
    return (
        "# Keyboard and mouse\n\n## On the graph\n\n"
        + _table(list(GRAPH_KEYS), ("Mouse or key", "Does"))
        + "## In the editor\n\n"
        + _table(list(EDITOR_KEYS), ("Key or mouse", "Does"))
        + "## Stepping through backprop (with the graph focused)\n\n"
        + _table(stepping, ("Key", "Does"))
        + "## In the optimizer lab\n\n"
        + _table(list(LAB_KEYS), ("Mouse", "Does"))
        + "## Menu shortcuts\n\n"
        + _table(menu_shortcuts(window.menuBar()), ("Key", "Does"))
    )


def about_markdown(window: MainWindow) -> str:
    """gradviz's version and what it runs on: Python, PyTorch and CUDA, Graphviz, Qt."""
    if window._loading or "torch" not in sys.modules:
        torch_line = "loading…"
    else:
        import torch

        torch_line = torch.__version__
    cuda = "available" if window.cuda_available else f"unavailable ({window.cuda_reason})"
    return (
        f"# gradviz {__version__}\n\n"
        "See PyTorch autograd at work: the real autograd graph of a program, with each node's "
        "value and gradient, stepped through backprop; torch.optim racing on loss surfaces; "
        "small networks trained live, with their loss landscape.\n\n"
        + _table(
            [
                ("Python", f"{platform.python_version()} ({sys.executable})"),
                ("PyTorch", torch_line),
                ("CUDA", cuda),
                ("Graphviz", _graphviz_version()),
                ("Qt (PySide6)", pyside_version),
            ],
            ("Runs on", "Version"),
        )
    )


def _graphviz_version() -> str:
    import graphviz

    try:
        return ".".join(str(part) for part in graphviz.version())
    except graphviz.ExecutableNotFound:
        from gradviz.render.layout import INSTALL_HINT

        return f"not found. {INSTALL_HINT}"
    except (graphviz.CalledProcessError, RuntimeError) as exc:
        return f"`dot -V` failed: {exc}"
