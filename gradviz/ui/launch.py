"""Starting the app: a window on screen at once, torch loading behind it, optional screenshot."""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import time
from pathlib import Path

from gradviz.heap import keep_freed_memory

START = time.perf_counter()
SCREENSHOT_TIMEOUT_MS = 120_000


def _platform_defaults() -> None:
    if (
        not os.environ.get("DISPLAY")
        and not os.environ.get("WAYLAND_DISPLAY")
        and sys.platform.startswith("linux")
    ):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # no screen: render off screen


def launch(
    path: str | None = None,
    theme: str | None = None,
    screenshot: str | None = None,
    tab: str = "graph",
    present: bool = False,
    step: int | None = None,
) -> int:
    """Run the app; with `screenshot`, write the window to that PNG once the graph is drawn."""
    _platform_defaults()
    keep_freed_memory()  # landscapes, basin maps and traces reuse memory instead of faulting it in
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    from PySide6.QtWidgets import QApplication

    from gradviz.ui import safety
    from gradviz.ui.main_window import MainWindow
    from gradviz.ui.settings import Preferences

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("gradviz")
    app.setOrganizationName("gradviz")
    autosaver = None
    scratch: tempfile.TemporaryDirectory[str] | None = None
    if screenshot:  # a screenshot run touches neither the user's settings nor their autosaves
        from PySide6.QtCore import QSettings

        from gradviz.ui.autosave import Autosaver

        scratch = tempfile.TemporaryDirectory(prefix="gradviz-shot-", ignore_cleanup_errors=True)
        folder = Path(scratch.name)
        prefs = Preferences(QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat))
        autosaver = Autosaver(folder)
    else:
        prefs = Preferences()
    if theme:
        prefs.theme = theme
    window = MainWindow(prefs, autosaver)
    safety.install(window.report)
    if screenshot:
        window.resize(1920, 1080)
    window.show()
    visible_ms = (time.perf_counter() - START) * 1000
    logging.getLogger("gradviz").info("window visible after %.0f ms", visible_ms)
    window.start(path)
    if tab == "network":
        window.open_network()
    if tab in ("lab", "landscape"):
        lab = window.open_lab()
        if tab == "landscape":
            lab.surface.setCurrentIndex(lab.surface.findData("network"))
    if present:

        def begin() -> None:
            window.graph_shown.disconnect(begin)
            window.walkthrough.toggle_presentation()
            if step is not None:
                window.walkthrough.stepper.go(step)

        window.graph_shown.connect(begin)
    if screenshot:
        _arm_screenshot(app, window, screenshot, tab)
    try:
        return int(app.exec())
    finally:
        if scratch is not None:
            scratch.cleanup()  # its settings and autosaves go with it


SCREENSHOT_STEPS = 300  # training steps before a screenshot of the Network tab


def _arm_screenshot(app, window, out: str, tab: str = "graph") -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QTimer

    done = {"taken": False, "waited": False}

    def take(last_chance: bool = False) -> None:
        if done["taken"]:
            return
        lab = window.lab
        if not (last_chance or done["waited"]) and lab is not None and lab.worker.busy("grid"):
            # the surface for the race's view (a network's landscape: half a second or more)
            done["waited"] = True
            lab.grid_shown.connect(settled)
            return
        done["taken"] = True
        window.grab().save(out, "PNG")
        window.document.dirty = False  # a screenshot run never asks to save
        window.close()
        app.quit()

    def settled() -> None:
        QTimer.singleShot(400, take)  # let the view finish painting

    if tab == "network":

        def trained() -> None:  # a picture after some training, not of the untrained net
            network = window.network
            if network.shot is not None and network.shot.step >= SCREENSHOT_STEPS:
                network.pause()
                network.snapshot_shown.disconnect(trained)
                settled()
            elif not network.playing:
                network.toggle_play()

        window.network.snapshot_shown.connect(trained)
    elif tab in ("lab", "landscape"):

        def race_done() -> None:
            window.lab.pause()
            window.lab.show_frame(window.lab.max_steps())  # the finished race
            settled()

        window.lab.race_shown.connect(race_done)
        window.lab.failure_shown.connect(lambda _message: settled())  # the error, on screen
    else:
        window.graph_shown.connect(lambda: QTimer.singleShot(300, settled))
    QTimer.singleShot(SCREENSHOT_TIMEOUT_MS, lambda: take(last_chance=True))
