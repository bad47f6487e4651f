"""Autosave of unsaved work, and recovery after a crash or kill."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QStandardPaths

from gradviz.files import write_atomic


@dataclass(frozen=True)
class Recoverable:
    """An autosave left by a gradviz that did not close cleanly."""

    path: Path
    source: str
    origin: str | None  # the file it was editing, if any
    overrides: dict[str, float]
    saved_at: float


def autosave_dir() -> Path:
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    folder = Path(base or Path.home() / ".gradviz") / "autosave"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Autosaver:
    """Writes this process's unsaved work to `<pid>.gradviz-autosave`; removes it on clean exit."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder or autosave_dir()
        self.path = self.folder / f"{os.getpid()}.gradviz-autosave"

    def save(self, source: str, origin: str | None, overrides: dict[str, float]) -> None:
        data = {
            "schema": "gradviz.autosave/1",
            "pid": os.getpid(),
            "source": source,
            "origin": origin,
            "inputs": overrides,
        }
        write_atomic(self.path, json.dumps(data).encode("utf-8"))

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)

    def orphans(self) -> list[Recoverable]:
        """Autosaves of processes that are gone: work to offer back."""
        found = []
        for path in sorted(self.folder.glob("*.gradviz-autosave")):
            try:
                pid = int(path.name.split(".")[0])
            except ValueError:
                continue
            if pid == os.getpid() or _alive(pid):
                continue
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                source = data["source"]
                if not isinstance(source, str):
                    raise ValueError("source")
                inputs = {str(k): float(v) for k, v in dict(data.get("inputs", {})).items()}
                origin = data.get("origin") if isinstance(data.get("origin"), str) else None
            except (OSError, ValueError, KeyError, TypeError):
                path.unlink(missing_ok=True)  # unreadable: nothing to recover
                continue
            found.append(Recoverable(path, source, origin, inputs, path.stat().st_mtime))
        return found
