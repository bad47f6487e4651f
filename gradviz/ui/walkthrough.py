"""The walk-through and classroom mode: the backprop player docked under the graph, and a
full-screen presentation that shows only the graph, the chain rule and the step controls."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QDockWidget, QFileDialog, QToolBar, QWidget

from gradviz.ui.stepper import Stepper
from gradviz.ui.type_size import follow_type_size_in_title

if TYPE_CHECKING:
    from gradviz.render.drawing import Scene
    from gradviz.ui.main_window import MainWindow

MIN_TEXT_PX = 28  # node text in presentation mode, on a 1920×1080 screen
BANNER_PX = 22  # the canvas's banner (a note, a failed pass's error) in presentation mode
PLAYER_SHARE = 0.4  # of the screen's width, for the backprop player in presentation mode


class Walkthrough(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.stepper = Stepper()
        # on the canvas only while walking: a hidden player stepped by → or Space drew a step's
        # picture ("∇ not yet") with no player to say so; otherwise the keys scroll the view
        self._canvas_keys = self.stepper.install_shortcuts(window.canvas)
        self._enable_canvas_keys(False)
        self.stepper.install_shortcuts(self.stepper)
        self.stepper.step_changed.connect(self._show_step)
        self.stepper.mode_changed.connect(self._mode_changed)
        self.stepper.stopped.connect(self.stop)
        self.dock = _PlayerDock("Backprop walk-through", window)
        self.dock.closed.connect(self.stop)  # its title bar's ×: the walk ends, as with Stop
        # ... and the main window's menu of docks (a right-click on the toolbars) walks or stops
        self.dock.toggleViewAction().triggered.connect(self._dock_toggled)
        self.dock.setObjectName("walkthrough")
        self.dock.setWidget(self.stepper)
        follow_type_size_in_title(self.dock)
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.dock)
        self.dock.hide()
        self.active = False
        self.presenting = False
        self.base: Scene | None = None
        self._saved: dict[str, Any] = {}

    # -- walking ---------------------------------------------------------------------------------
    def start(self) -> None:
        window = self.window
        if window.graph is None or window.canvas.current is None:
            window.report("Nothing to step through yet.")
            return
        self.active = True
        self._enable_canvas_keys(True)
        self.base = window.canvas.current
        self.dock.show()
        self.stepper.set_graph(window.graph, keep_position=False)
        window.canvas.setFocus()

    def stop(self) -> None:
        if not self.active and not self.presenting:
            return  # (its `base` is an older graph's picture: drawing it again showed that)
        if self.presenting:
            self.toggle_presentation()
        self.active = False
        self._enable_canvas_keys(False)
        self.dock.hide()
        if self.base is not None:
            self.window.canvas.show_scene(self.base, self.window.canvas.tooltips)
        if self.window.settings.view == "forward" and self.stepper.current_mode == "forward":
            self.window.update_settings(view="backward")

    def _dock_toggled(self, shown: bool) -> None:
        if shown and not self.active:
            self.start()
            self.dock.setVisible(self.active)  # (nothing to step through: no empty player)
        elif not shown:
            self.stop()

    def _enable_canvas_keys(self, enabled: bool) -> None:
        for shortcut in self._canvas_keys:
            shortcut.setEnabled(enabled)

    def go_to_node(self, key: str) -> bool:
        """Walk through the graph (starting where not yet walking) to the step about node
        `key`; False where the player's mode has no step about it."""
        if not self.active:
            self.start()
        for step in self.stepper.steps if self.active else []:
            if step.node_id == key:
                self.stepper.go(step.index)
                return True
        return False

    def graph_changed(self) -> None:
        """A new trace arrived: keep walking through the new numbers."""
        if self.active and self.window.graph is not None and self.window.canvas.current is not None:
            self.base = self.window.canvas.current
            self.stepper.set_graph(self.window.graph, keep_position=True)

    def _mode_changed(self, mode: str) -> None:
        wanted = "forward" if mode == "forward" else "backward"
        if self.window.settings.view != wanted:
            self.window.update_settings(view=wanted)  # re-laid out; graph_changed rebuilds
        else:
            self.stepper.rebuild()

    def step_scene(self, index: int) -> Scene | None:
        from gradviz.ui.step_export import step_scenes
        from gradviz.ui.trace_service import render_options

        graph = self.window.graph
        if graph is None or self.base is None or not self.stepper.steps:
            return None
        step = self.stepper.steps[index]
        return step_scenes(graph, self.base, render_options(self.window.settings), [step])[0]

    def _show_step(self, index: int) -> None:
        scene = self.step_scene(index)
        if scene is None:
            return
        canvas = self.window.canvas
        canvas.show_scene(scene, canvas.tooltips)
        node_id = self.stepper.steps[index].node_id
        canvas.select(node_id, notify=False)
        if node_id is not None:
            if self.presenting:
                canvas.follow(node_id, self._min_text_px() / self._text_size())
            else:
                self.window.select_node(node_id)

    def _min_text_px(self) -> float:
        """MIN_TEXT_PX on a 1080-line screen, in proportion on others."""
        return MIN_TEXT_PX * self._screen_scale()

    def _screen_scale(self) -> float:
        """The screen's lines over 1080: a projected picture is the same size whatever its
        resolution, so 19 px on a 1280×720 projector read as 28 px do on 1920×1080."""
        lines = self.window.screen().geometry().height()
        return lines / 1080 if lines > 0 else 1.0

    def _text_size(self) -> float:
        from gradviz.ui.trace_service import render_options

        return float(render_options(self.window.settings).theme.font_size)

    # -- classroom mode --------------------------------------------------------------------------
    def leave_presentation(self) -> None:
        if self.presenting:
            self.toggle_presentation()

    def toggle_presentation(self) -> None:
        window = self.window
        if not self.presenting:
            if not self.active:
                self.start()
                if not self.active:
                    return
            self._saved = {
                "theme": window.settings.theme,
                "state": window.saveState(),
                "geometry": window.saveGeometry(),
                "inspector": window.inspector_dock.isVisible(),
            }
            self.presenting = True
            for widget in (window.splitter.widget(0), window.menuBar(), window.statusBar()):
                if widget is not None:
                    widget.hide()
            window.inspector_dock.hide()
            for bar in window.findChildren(QToolBar):
                bar.hide()
            window.tabs.tabBar().hide()
            window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
            # no title bar (its words in small type, its buttons of no use in front of a class)
            self.dock.setTitleBarWidget(QWidget(self.dock))
            self.dock.show()
            window.apply_theme("projector")
            window.refresh_banner()  # (the error's words, the editor hidden)
            self.stepper.set_large(True, self._screen_scale())
            own = window.canvas.fontInfo().pixelSize()
            window.canvas.set_message_px(round(max(BANNER_PX * self._screen_scale(), own)))
            # two fifths of the screen for the player, the rest for the graph (760 px took
            # 60 % of a 1280 px projector), never narrower than its controls in the projector's
            # type (the mode's name whole)
            share = round(PLAYER_SHARE * window.screen().availableGeometry().width())
            self.stepper.set_two_rows(self.stepper.minimum_width() > share)  # the transport below
            width = max(share, self.stepper.minimum_width())
            window.resizeDocks([self.dock], [width], Qt.Orientation.Horizontal)
            window.showFullScreen()
            window.canvas.setFocus()
        else:
            self.presenting = False
            for widget in (window.splitter.widget(0), window.menuBar(), window.statusBar()):
                if widget is not None:
                    widget.show()
            window.tabs.tabBar().show()
            for bar in window.findChildren(QToolBar):
                bar.show()
            window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.dock)
            self.dock.setTitleBarWidget(None)  # type: ignore[arg-type]  # (Qt's own bar again)
            self.stepper.set_large(False)
            self.stepper.set_two_rows(False)
            window.canvas.set_message_px(None)
            window.showNormal()
            window.restoreState(self._saved.get("state", window.saveState()))
            window.restoreGeometry(self._saved.get("geometry", window.saveGeometry()))
            window.apply_theme(self._saved.get("theme", "light"))
            window.refresh_banner()
            if self._saved.get("inspector"):
                window.inspector_dock.show()
            self.dock.setVisible(self.active)

    # -- export ----------------------------------------------------------------------------------
    def export_step(self, path: str) -> None:
        from gradviz.ui.step_export import save_scene

        scene = self.step_scene(self.stepper.index) if self.active else self.window.canvas.current
        if scene is None:
            self.window.report("Nothing to export yet.")
            return
        step = self.stepper.current if self.active else None
        save_scene(scene, path, step.node_id if step else None)
        self.window.statusBar().showMessage(f"Exported {path}", 5000)

    def export_animation(self, path: str) -> _AnimationJob | None:
        """Write every step as a GIF or MP4 (frames painted on QImages), or as a web page (the
        steps' SVGs), off the UI thread."""
        from gradviz.ui.trace_service import render_options

        graph = self.window.graph
        if graph is None:
            self.window.report("Nothing to export yet.")
            return None
        job = _AnimationJob(
            graph, render_options(self.window.settings), self.stepper.current_mode, path
        )
        shown = self.window.document.path
        job.title = f"gradviz: {os.path.basename(shown) if shown else 'untitled'}"
        job.source = self.window.graph_source  # the text the graph is of (not a later edit)
        job.signals.done.connect(
            lambda n: self.window.statusBar().showMessage(f"Exported {n} steps to {path}", 5000)
        )
        job.signals.failed.connect(lambda message: self.window.report(message, dialog=True))
        QThreadPool.globalInstance().start(job)
        return job

    def export_step_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self.window, "Export this step", "step.png", "PNG (*.png);;SVG (*.svg);;PDF (*.pdf)"
        )
        if path:
            self.export_step(path)

    def export_animation_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self.window,
            "Export the walk-through",
            "backprop.gif",
            "GIF (*.gif);;MP4 (*.mp4);;Web page, stepped with the arrow keys (*.html)",
        )
        if path:
            self.export_animation(path)


class _PlayerDock(QDockWidget):
    """The player's dock; `closed` when its × closes it (hiding it otherwise says nothing)."""

    closed = Signal()

    def closeEvent(self, event: QCloseEvent) -> None:
        super().closeEvent(event)
        self.closed.emit()


class _Signals(QObject):
    done = Signal(int)
    failed = Signal(str)


class _AnimationJob(QRunnable):
    def __init__(self, graph: Any, options: Any, mode: str, path: str) -> None:
        super().__init__()
        self.graph, self.options, self.mode, self.path = graph, options, mode, path
        self.title = "gradviz"  # a web page's, and its program
        self.source: str | None = None
        self.signals = _Signals()
        self.setAutoDelete(False)

    def run(self) -> None:
        from gradviz.step_pictures import step_pictures
        from gradviz.ui.step_export import export_walkthrough
        from gradviz.walk_page import write_walkthrough

        try:
            if self.path.lower().endswith(".html"):
                pictures = step_pictures(self.graph, self.mode, self.options, source=self.source)
                write_walkthrough(self.path, pictures, self.title, self.options.theme)
                self.signals.done.emit(len(pictures))
                return
            self.signals.done.emit(
                export_walkthrough(self.graph, self.options, self.mode, self.path)
            )
        except Exception as exc:  # keep the app alive
            self.signals.failed.emit(f"Could not write {self.path}: {exc}")
