"""Never die on an exception: log it, show it, keep the window usable."""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
import traceback
from collections.abc import Callable
from types import TracebackType

log = logging.getLogger("gradviz")


def install(report: Callable[[str], None]) -> None:
    """Route uncaught exceptions (UI thread and others) to the log and to `report`."""

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, exc, tb)
            return
        log.error("uncaught exception:\n%s", "".join(traceback.format_exception(kind, exc, tb)))
        with contextlib.suppress(Exception):  # reporting itself must not fail loudly
            report(f"Something went wrong ({kind.__name__}: {exc}); the window is still usable.")

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        hook(args.exc_type, args.exc_value or args.exc_type(), args.exc_traceback)

    sys.excepthook = hook
    threading.excepthook = thread_hook
