"""A long-lived `dot -Tjson` for the app's layouts: graph after graph on one process's stdin,
each answer read back as it comes. Starting `dot` costs about 15 ms a call, more than laying
out a lecture-sized graph once it runs; anything unusual (an error, a timeout, a dead process)
and the caller falls back to a one-shot `dot`, which reports errors in its own words."""

from __future__ import annotations

import atexit
import contextlib
import queue
import shutil
import subprocess
import threading
from typing import IO

# dot writes -Tjson indented: only the closing brace of the whole answer is at column 0, and
# JSON strings hold newlines escaped, so a buffer ending in it is one complete answer.
_END = b"\n}\n"
_ERROR = object()  # put in the queue when dot reports an error on stderr
PROBE = b"digraph probe { a }\n"
PROBE_SECONDS = 5.0


class DotTimeout(Exception):
    """dot gave no answer in time (and was stopped): running it again would wait as long."""


class DotProcess:
    """One `dot -Tjson` process, started on first use; thread-safe, one layout at a time."""

    def __init__(self, executable: str = "dot", timeout: float = 60.0) -> None:
        self.executable = executable
        self.timeout = timeout
        self.usable = True  # False once a new process failed to answer a trivial graph
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._answers: queue.Queue[object] = queue.Queue()

    def layout(self, source: str) -> bytes | None:
        """The -Tjson answer for the DOT text, or None where the caller should run dot itself."""
        with self._lock:
            try:
                process = self._started()
                if process is None:
                    return None
                assert process.stdin is not None
                process.stdin.write(source.encode("utf-8") + b"\n")
                process.stdin.flush()
                return self._answer()
            except queue.Empty:
                self._stop()
                raise DotTimeout() from None
            except (OSError, ValueError):
                self._stop()
                return None

    def close(self) -> None:
        with self._lock:
            self._stop()

    # -- the process ---------------------------------------------------------------------------
    def _started(self) -> subprocess.Popen[bytes] | None:
        if self._process is not None and self._process.poll() is None:
            return self._process
        self._stop()
        path = shutil.which(self.executable) if self.usable else None
        if path is None:
            return None
        self._answers = queue.Queue()
        process = subprocess.Popen(
            [path, "-Tjson"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        answers = self._answers
        assert process.stdout is not None and process.stderr is not None
        threading.Thread(
            target=_read_answers, args=(process.stdout, answers), daemon=True, name="dot-out"
        ).start()
        threading.Thread(
            target=_watch_errors, args=(process.stderr, answers), daemon=True, name="dot-err"
        ).start()
        self._process = process
        # A dot that holds its answers back until its input ends (its output not flushed per
        # graph) would leave every layout waiting: ask a trivial one first, briefly.
        assert process.stdin is not None
        process.stdin.write(PROBE)
        process.stdin.flush()
        try:
            answered = isinstance(self._answers.get(timeout=PROBE_SECONDS), bytes)
        except queue.Empty:
            answered = False
        if not answered:
            self.usable = False
            self._stop()
            return None
        return process

    def _answer(self) -> bytes | None:
        item = self._answers.get(timeout=self.timeout)
        if item is _ERROR or not isinstance(item, bytes):
            self._stop()  # what it printed next is no longer known: start afresh next time
            return None
        return item

    def _stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        for stream in (process.stdin, process.stdout, process.stderr):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass
        if process.poll() is None:
            process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=5)


def _read_answers(stream: IO[bytes], answers: queue.Queue[object]) -> None:
    """Splits dot's output into whole answers (see _END)."""
    buffer = bytearray()
    while True:
        try:
            chunk = stream.read1(1 << 16) if hasattr(stream, "read1") else stream.read(1 << 16)
        except (ValueError, OSError):  # closed by _stop while this thread was reading
            chunk = b""
        if not chunk:
            answers.put(None)  # dot has gone
            return
        buffer += chunk
        if buffer.endswith(_END):
            answers.put(bytes(buffer))
            buffer.clear()


def _watch_errors(stream: IO[bytes], answers: queue.Queue[object]) -> None:
    """Warnings (a graph too big for its page, a font substituted) are not failures; errors
    mean no answer is coming for this graph."""
    try:
        for line in iter(stream.readline, b""):
            if line.lstrip().lower().startswith((b"error", b"syntax error")):
                answers.put(_ERROR)
    except (ValueError, OSError):  # closed by _stop while this thread was reading
        return


_shared: DotProcess | None = None
_shared_lock = threading.Lock()


def shared() -> DotProcess:
    """The process the app's layouts share (stopped when Python exits)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = DotProcess()
            atexit.register(_shared.close)
        return _shared
