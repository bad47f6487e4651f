"""Session files (`.gradviz`): versioned JSON holding the program and its settings, never pickle."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from gradviz.files import write_atomic
from gradviz.lang.errors import ProgramError
from gradviz.lang.limits import DEFAULT_LIMITS

SCHEMA = "gradviz.session/1"
MAX_SESSION_BYTES = 4 * DEFAULT_LIMITS.max_source_chars


class SessionError(ProgramError):
    """A session file that cannot be opened, with the reason."""


@dataclass
class Session:
    """What a user works on: the program, scalar input values and view settings."""

    source: str
    overrides: dict[str, float] = field(default_factory=dict)
    device: str = "cpu"
    settings: dict[str, str | float | bool] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "saved_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "source": self.source,
            "inputs": dict(self.overrides),
            "device": self.device,
            "settings": dict(self.settings),
        }


def _fail(where: str, reason: str) -> SessionError:
    return SessionError(f"{where} is not a gradviz session: {reason}")


def load_session_text(text: str, where: str = "the file") -> Session:
    """Parse and validate session JSON; SessionError says exactly what is wrong."""
    if len(text) > MAX_SESSION_BYTES:
        raise _fail(where, f"it is larger than {MAX_SESSION_BYTES:,} characters")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _fail(where, f"invalid JSON at line {exc.lineno}, column {exc.colno}") from None
    if not isinstance(data, dict):
        raise _fail(where, "it is not a JSON object")
    schema = data.get("schema")
    if not isinstance(schema, str) or not schema.startswith("gradviz.session/"):
        raise _fail(where, 'it has no "schema": "gradviz.session/1" field')
    if schema != SCHEMA:
        raise _fail(where, f"it was written by a newer gradviz ({schema}); this one reads {SCHEMA}")
    source = data.get("source")
    if not isinstance(source, str):
        raise _fail(where, '"source" must be the program text')
    if len(source) > DEFAULT_LIMITS.max_source_chars:
        raise _fail(where, "its program is too long")
    inputs = data.get("inputs", {})
    if not isinstance(inputs, dict) or not all(
        isinstance(k, str)
        and isinstance(v, (int, float))
        and not isinstance(v, bool)
        and math.isfinite(v)
        for k, v in inputs.items()
    ):
        raise _fail(where, '"inputs" must map input names to finite numbers')
    device = data.get("device", "cpu")
    if device not in ("cpu", "cuda"):
        raise _fail(where, '"device" must be "cpu" or "cuda"')
    settings = data.get("settings", {})
    if not isinstance(settings, dict) or not all(
        isinstance(k, str) and isinstance(v, (str, int, float, bool)) for k, v in settings.items()
    ):
        raise _fail(where, '"settings" must map names to plain values')
    return Session(source, {k: float(v) for k, v in inputs.items()}, device, dict(settings))


def load_session(path: str | Path) -> Session:
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise SessionError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    return load_session_text(text, str(path))


def save_session(path: str | Path, session: Session) -> None:
    """Atomically write the session: a failed save leaves the previous file intact."""
    data = json.dumps(session.to_json(), indent=2, allow_nan=False) + "\n"
    try:
        write_atomic(path, data.encode("utf-8"))
    except OSError as exc:
        raise SessionError(f"cannot save {path}: {exc.strerror or exc}") from None
