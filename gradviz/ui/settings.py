"""Preferences that persist between runs (QSettings): theme, font scale, layout, recent files."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings

MAX_RECENT = 8


class Preferences:
    """Typed access to the few settings gradviz keeps."""

    def __init__(self, settings: QSettings | None = None) -> None:
        self.store = settings or QSettings("gradviz", "gradviz")

    def _get(self, key: str, default: object) -> object:
        value = self.store.value(key, default)
        return default if value is None else value

    @property
    def theme(self) -> str:
        value = str(self._get("view/theme", "light"))
        return value if value in ("light", "dark", "projector") else "light"

    @theme.setter
    def theme(self, value: str) -> None:
        self.store.setValue("view/theme", value)

    @property
    def font_scale(self) -> float:
        try:
            return min(3.0, max(0.5, float(self._get("view/font_scale", 1.0))))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return 1.0

    @font_scale.setter
    def font_scale(self, value: float) -> None:
        self.store.setValue("view/font_scale", float(value))

    @property
    def last_folder(self) -> str:
        return str(self._get("files/last_folder", ""))

    @last_folder.setter
    def last_folder(self, value: str) -> None:
        self.store.setValue("files/last_folder", value)

    def recent_files(self) -> list[str]:
        value = self._get("files/recent", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in value][:MAX_RECENT] if isinstance(value, list) else []

    def add_recent(self, path: str) -> None:
        files = [path] + [p for p in self.recent_files() if p != path]
        self.store.setValue("files/recent", files[:MAX_RECENT])

    def window_state(self) -> tuple[QByteArray | None, QByteArray | None]:
        geometry = self.store.value("window/geometry")
        state = self.store.value("window/state")
        return (
            geometry if isinstance(geometry, QByteArray) else None,
            state if isinstance(state, QByteArray) else None,
        )

    def save_window_state(self, geometry: QByteArray, state: QByteArray) -> None:
        self.store.setValue("window/geometry", geometry)
        self.store.setValue("window/state", state)

    def splitter_state(self, name: str) -> QByteArray | None:
        """How a splitter of the window was last divided (the editor beside the graph)."""
        state = self.store.value(f"window/splitter/{name}")
        return state if isinstance(state, QByteArray) else None

    def save_splitter_state(self, name: str, state: QByteArray) -> None:
        self.store.setValue(f"window/splitter/{name}", state)

    @property
    def last_source(self) -> str | None:
        value = self.store.value("session/last_source")
        return str(value) if value is not None else None

    @property
    def last_path(self) -> str | None:
        value = self.store.value("session/last_path")
        return str(value) if value else None

    def remember_session(self, source: str, path: str | None) -> None:
        self.store.setValue("session/last_source", source)
        self.store.setValue("session/last_path", path or "")

    def sync(self) -> None:
        self.store.sync()
