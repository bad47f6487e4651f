"""Exports from the app, off the UI thread, through the same code as `gradviz export`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, QObject, QRunnable, QThreadPool, Signal

from gradviz.ui.trace_service import ViewSettings, render_options

if TYPE_CHECKING:
    from gradviz.autograd.graph import Graph


class _Signals(QObject):
    done = Signal(str)
    failed = Signal(str)
    image = Signal(QByteArray)


class ExportJob(QRunnable):
    """Render `graph` to `path` (format from its extension), or to PNG bytes for the clipboard."""

    def __init__(
        self,
        graph: Graph,
        settings: ViewSettings,
        path: str | None,
        scale: float = 1.0,
        printed: str = "",
    ) -> None:
        super().__init__()
        self.graph = graph
        self.settings = settings
        self.path = path
        self.scale = scale
        self.printed = printed
        self.signals = _Signals()
        self.setAutoDelete(False)

    def start(self) -> None:
        QThreadPool.globalInstance().start(self)

    def run(self) -> None:
        from gradviz.lang.errors import ProgramError
        from gradviz.render.export import export, render_bytes

        options: Any = render_options(self.settings)
        try:
            if self.path is None:
                data = render_bytes(self.graph, "png", options, scale=self.scale)
                self.signals.image.emit(QByteArray(data))
                return
            export(self.graph, self.path, options, scale=self.scale, printed=[self.printed])
            self.signals.done.emit(f"Exported {self.path}")
        except ProgramError as exc:
            self.signals.failed.emit(str(exc))
        except Exception as exc:  # keep the app alive whatever happens
            self.signals.failed.emit(f"Export failed: {type(exc).__name__}: {exc}")
