"""Background work for the lab: per channel (grid, race, basins) the newest request wins."""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal, Slot

from gradviz.deep_stack import DEEP_STACK_BYTES

log = logging.getLogger(__name__)
Task = Callable[[threading.Event], Any]


@dataclass
class _Job:
    channel: str
    generation: int
    task: Task
    cancel: threading.Event


class _Runner(QObject):
    done = Signal(str, int, object)
    failed = Signal(str, int, str)
    wake = Signal()

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._pending: dict[str, _Job] = {}
        self._running: _Job | None = None
        self.wake.connect(self._process)

    def submit(self, job: _Job) -> None:
        with self._lock:
            old = self._pending.get(job.channel)
            if old is not None:
                old.cancel.set()
            self._pending[job.channel] = job
        self.wake.emit()

    def cancel(self, channel: str) -> None:
        """Drop the channel's waiting task and stop its running one (at its next check)."""
        with self._lock:
            waiting = self._pending.pop(channel, None)
            if waiting is not None:
                waiting.cancel.set()
            running = self._running
            if running is not None and running.channel == channel:
                running.cancel.set()

    def cancel_all(self) -> None:
        with self._lock:
            for job in self._pending.values():
                job.cancel.set()
            self._pending.clear()
            if self._running is not None:
                self._running.cancel.set()

    @Slot()
    def _process(self) -> None:
        while True:
            with self._lock:
                if not self._pending:
                    return
                channel = next(iter(self._pending))
                job = self._pending.pop(channel)
                self._running = job
            if job.cancel.is_set():
                continue
            try:
                result = job.task(job.cancel)
            except Exception as exc:
                from gradviz.lang.errors import ProgramError
                from gradviz.optim.trajectories import Cancelled

                if isinstance(exc, Cancelled) or job.cancel.is_set():
                    continue
                message = str(exc) if isinstance(exc, (ProgramError, ValueError, KeyError)) else ""
                if not message:
                    log.error("lab task failed:\n%s", traceback.format_exc())
                    message = f"{type(exc).__name__}: {exc}"
                self.failed.emit(job.channel, job.generation, message.strip("'\""))
                continue
            if not job.cancel.is_set():
                self.done.emit(job.channel, job.generation, result)


class LabWorker(QObject):
    """`submit(channel, task)`; `done(channel, result)` only for each channel's newest task."""

    done = Signal(str, object)
    failed = Signal(str, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread = QThread()
        self._thread.setStackSize(DEEP_STACK_BYTES)  # see gradviz.deep_stack
        self._thread.setObjectName("gradviz-lab")
        self._runner = _Runner()
        self._runner.moveToThread(self._thread)
        self._runner.done.connect(self._on_done)
        self._runner.failed.connect(self._on_failed)
        self._latest: dict[str, int] = {}
        self._counter = 0
        self._thread.start()
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)

    def submit(self, channel: str, task: Task) -> int:
        self._counter += 1
        self._latest[channel] = self._counter
        self._runner.submit(_Job(channel, self._counter, task, threading.Event()))
        return self._counter

    def cancel(self, channel: str) -> None:
        """Stop the channel's task, waiting or running: no done or failed comes for it."""
        self._latest.pop(channel, None)
        self._runner.cancel(channel)

    def busy(self, channel: str) -> bool:
        return channel in self._latest

    def _on_done(self, channel: str, generation: int, result: object) -> None:
        if self._latest.get(channel) == generation:
            del self._latest[channel]
            self.done.emit(channel, result)

    def _on_failed(self, channel: str, generation: int, message: str) -> None:
        if self._latest.get(channel) == generation:
            del self._latest[channel]
            self.failed.emit(channel, message)

    def shutdown(self) -> None:
        self._runner.cancel_all()
        self._thread.quit()
        self._thread.wait(5000)
