"""Menus, toolbar and keyboard shortcuts of the main window."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QMenu, QToolBar, QToolButton

from gradviz.resources import examples
from gradviz.ui.help_menu import HelpMenu
from gradviz.ui.run_status import STOP_KEYS

if TYPE_CHECKING:
    from gradviz.ui.main_window import MainWindow

THEMES = (("light", "Light"), ("dark", "Dark"), ("projector", "Projector (high contrast)"))


class Actions:
    """The window's actions and controls, kept for tests and for state updates."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.recent_menu: QMenu | None = None
        self.device: QComboBox | None = None
        self.search: QLineEdit | None = None
        self.view_backward: QAction | None = None
        self.orientation_lr: QAction | None = None
        self.group_modules: QAction | None = None
        self.theme_actions: dict[str, QAction] = {}
        self.help: HelpMenu | None = None
        self.stop_run: QAction | None = None  # (enabled by run_status.RunStatus while one is on)

    def set_cuda(self, available: bool, reason: str) -> None:
        assert self.device is not None
        model = self.device.model()
        item = model.item(1)  # type: ignore[attr-defined]
        item.setEnabled(available)
        self.device.setToolTip(
            "Run on the CPU or a CUDA GPU" if available else f"CUDA unavailable: {reason}"
        )
        item.setToolTip(reason)

    def refresh_recent(self) -> None:
        menu = self.recent_menu
        if menu is None:
            return
        menu.clear()
        files = self.window.prefs.recent_files()
        for path in files:
            action = menu.addAction(Path(path).name)
            action.setToolTip(path)
            action.triggered.connect(partial(self._open_recent, path))
        menu.setEnabled(bool(files))

    def _open_recent(self, path: str) -> None:
        if self.window.maybe_save():
            self.window.open_path(path)


def _action(
    window: MainWindow,
    menu: QMenu,
    text: str,
    slot: Callable[..., object],
    shortcut: QKeySequence | QKeySequence.StandardKey | None = None,
) -> QAction:
    action = QAction(text, window)
    if shortcut is not None:
        action.setShortcut(shortcut)
    action.triggered.connect(slot)
    menu.addAction(action)
    return action


def build_menus(window: MainWindow) -> Actions:
    actions = Actions(window)
    bar = window.menuBar()
    std = QKeySequence.StandardKey

    file = bar.addMenu("&File")
    _action(window, file, "&New", window.new_document, std.New)
    _action(window, file, "&Open…", window.open_dialog, std.Open)
    actions.recent_menu = file.addMenu("Open &Recent")
    actions.refresh_recent()
    file.addSeparator()
    _action(window, file, "&Save", window.save, std.Save)
    _action(window, file, "Save &As…", window.save_as, std.SaveAs)
    file.addSeparator()
    export = file.addMenu("&Export")
    for label, fmt, scale in (
        ("PNG (1×)", "png", 1.0), ("PNG (2×)", "png", 2.0), ("PNG (4×)", "png", 4.0),
        ("SVG", "svg", 1.0), ("PDF", "pdf", 1.0),
    ):  # fmt: skip
        _action(window, export, label, partial(window.export_dialog, fmt, scale))
    walk = window.walkthrough
    _action(window, export, "This step (PNG, SVG, PDF)…", walk.export_step_dialog)
    _action(window, export, "The walk-through (GIF, MP4)…", walk.export_animation_dialog)
    _action(window, file, "&Copy image", window.copy_image, QKeySequence("Ctrl+Shift+C"))
    file.addSeparator()
    _action(window, file, "&Quit", window.close, std.Quit)

    edit = bar.addMenu("&Edit")
    _action(window, edit, "&Undo", window.editor.undo, std.Undo)
    _action(window, edit, "&Redo", window.editor.redo, std.Redo)
    _action(
        window, edit, "Run now", lambda: window.retrace(interrupt=True), QKeySequence("Ctrl+Return")
    )
    actions.stop_run = _action(
        window, edit, "Stop the run", window.stop_run, QKeySequence(STOP_KEYS)
    )
    _action(
        window, edit, "&Find node…", lambda: actions.search and actions.search.setFocus(), std.Find
    )

    example_menu = bar.addMenu("E&xamples")
    for example in examples():
        _action(window, example_menu, example.title, partial(window.load_example, example))

    view = bar.addMenu("&View")
    theme_menu = view.addMenu("&Theme")
    group = QActionGroup(window)
    for name, label in THEMES:
        action = _action(window, theme_menu, label, partial(window.apply_theme, name))
        action.setCheckable(True)
        action.setChecked(name == window.settings.theme)
        group.addAction(action)
        actions.theme_actions[name] = action
    _action(
        window,
        view,
        "Larger text",
        lambda: window.apply_theme(window.settings.theme, window.settings.font_scale * 1.15),
        QKeySequence("Ctrl+Shift+="),
    )
    _action(
        window,
        view,
        "Smaller text",
        lambda: window.apply_theme(window.settings.theme, window.settings.font_scale / 1.15),
        QKeySequence("Ctrl+Shift+-"),
    )
    _action(window, view, "Reset text size", lambda: window.apply_theme(window.settings.theme, 1.0))
    view.addSeparator()
    backward = _action(
        window,
        view,
        "Show &gradients (backward view)",
        lambda on: window.update_settings(view="backward" if on else "forward"),
        QKeySequence("G"),
    )
    backward.setCheckable(True)
    backward.setChecked(window.settings.view == "backward")
    actions.view_backward = backward
    lr = _action(
        window,
        view,
        "&Left to right",
        lambda on: window.update_settings(orientation="LR" if on else "TB"),
        QKeySequence("O"),
    )
    lr.setCheckable(True)
    actions.orientation_lr = lr
    modules = _action(
        window,
        view,
        "Group by &module",
        lambda on: window.update_settings(modules=bool(on)),
        QKeySequence("M"),
    )
    modules.setCheckable(True)
    modules.setChecked(window.settings.modules)
    actions.group_modules = modules
    modules.setToolTip(
        "A box around each nn.Module's parameters and ops, named by its path; double-click a "
        "box to fold the module into one node, and a folded node to unfold it"
    )
    _action(window, view, "&Fold all modules", lambda: window.fold_all_modules(True))
    _action(window, view, "&Unfold all modules", lambda: window.fold_all_modules(False))
    view.addSeparator()
    step = _action(window, view, "&Step through backprop", walk.start, QKeySequence("Ctrl+B"))
    present = _action(
        window, view, "&Presentation mode", walk.toggle_presentation, QKeySequence("F5")
    )
    window.addAction(present)  # F5 also works while the menu bar is hidden
    leave = QAction("Leave presentation", window)
    leave.setShortcut(QKeySequence("Esc"))
    leave.triggered.connect(walk.leave_presentation)
    window.addAction(leave)
    view.addSeparator()
    _action(window, view, "Zoom &in", lambda: window.canvas.zoom(1.25), std.ZoomIn)
    _action(window, view, "Zoom &out", lambda: window.canvas.zoom(0.8), std.ZoomOut)
    _action(window, view, "&Fit graph", window.canvas.fit, QKeySequence("F"))
    view.addAction(window.inspector_dock.toggleViewAction())
    actions.help = HelpMenu(window, bar)

    toolbar = QToolBar("Main", window)
    toolbar.setObjectName("main-toolbar")
    window.addToolBar(toolbar)
    button = QToolButton()
    button.setText("Examples")
    button.setMenu(example_menu)
    button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
    toolbar.addWidget(button)
    toolbar.addSeparator()
    toolbar.addAction(backward)
    toolbar.addAction(lr)
    toolbar.addAction(step)
    fit = QAction("Fit", window)
    fit.triggered.connect(window.canvas.fit)
    toolbar.addAction(fit)
    toolbar.addSeparator()
    toolbar.addWidget(QLabel(" Device "))
    device = QComboBox()
    device.addItems(["CPU", "CUDA"])
    device.setAccessibleName("Device")
    device.currentIndexChanged.connect(lambda i: window.set_device("cuda" if i == 1 else "cpu"))
    toolbar.addWidget(device)
    actions.device = device
    actions.set_cuda(False, "PyTorch is still loading")
    toolbar.addSeparator()
    search = QLineEdit()
    search.setPlaceholderText("Find node (name or op)")
    search.setClearButtonEnabled(True)
    search.setMaximumWidth(260)
    search.setAccessibleName("Find node")
    search.textChanged.connect(window.search)
    search.returnPressed.connect(lambda: window.search(search.text(), jump=True))
    toolbar.addWidget(search)
    actions.search = search
    return actions
