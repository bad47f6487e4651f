"""Says in the status bar that a long run of the program is on (its seconds counting), and
stops it on request: the graph on screen stays the last run's until a new one arrives."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QAction

if TYPE_CHECKING:
    from PySide6.QtWidgets import QStatusBar

    from gradviz.ui.trace_service import TraceService

STOP_KEYS = "Ctrl+."


class RunStatus(QObject):
    """Follows the service's `busy` signal: a message counting the run's seconds while it is
    on, and the Stop action enabled only then."""

    def __init__(self, service: TraceService, status: QStatusBar, stop: QAction) -> None:
        super().__init__(service)
        self.service = service
        self.status = status
        self.stop_action = stop
        self._since = 0.0
        self._message = ""  # the last message this put up (cleared only if still shown)
        self._tick = QTimer(self, interval=1000)
        self._tick.timeout.connect(self._show)
        stop.setEnabled(False)
        service.busy.connect(self._busy_changed)

    def _busy_changed(self, busy: bool) -> None:
        self.stop_action.setEnabled(busy)
        if busy:
            self._since = time.perf_counter() - 0.5  # (said after half a second of it)
            self._show()
            self._tick.start()
        else:
            self._tick.stop()
            if self._message and self.status.currentMessage() == self._message:
                self.status.clearMessage()
            self._message = ""

    def _show(self) -> None:
        seconds = time.perf_counter() - self._since
        self._message = (
            f"Running the program… {seconds:.0f} s (the graph shown is the last run's) · "
            f"{STOP_KEYS} or Edit → Stop the run stops it"
        )
        self.status.showMessage(self._message)

    def stop(self) -> bool:
        """Stop the run; False where none was on."""
        stopped = self.service.stop()
        if stopped:
            self.status.showMessage(
                "Stopped: the graph shown is the last run's (an edit, or Run now, runs it again)",
                8000,
            )
        return stopped
