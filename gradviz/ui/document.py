"""The program being edited: its text, file, input values and unsaved state; open and save."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Document:
    """What one window is working on."""

    source: str = ""
    path: str | None = None  # a .py program or a .gradviz session
    overrides: dict[str, float] = field(default_factory=dict)
    dirty: bool = False
    view: dict[str, str | float | bool] = field(default_factory=dict)  # a session's settings

    @property
    def title(self) -> str:
        name = Path(self.path).name if self.path else "untitled"
        return f"{'● ' if self.dirty else ''}{name} — gradviz"

    @property
    def is_session(self) -> bool:
        return bool(self.path and self.path.endswith(".gradviz"))


def read_document(path: str) -> Document:
    """Open a program (.py or any text) or a session (.gradviz); SessionError if refused."""
    from gradviz.session import SessionError, load_session

    if path.endswith(".gradviz"):
        session = load_session(path)
        return Document(session.source, path, dict(session.overrides), view=session.settings)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise SessionError(f"cannot open {path}: {getattr(exc, 'strerror', None) or exc}") from None
    return Document(text, path)


def write_document(
    document: Document, path: str, device: str, settings: dict[str, str | float | bool]
) -> None:
    """Save as a session (.gradviz, with input values) or as plain program text (.py)."""
    from gradviz.files import write_atomic
    from gradviz.session import Session, SessionError, save_session

    if path.endswith(".gradviz"):
        save_session(path, Session(document.source, dict(document.overrides), device, settings))
    else:
        try:
            write_atomic(path, document.source.encode("utf-8"))
        except OSError as exc:
            raise SessionError(f"cannot save {path}: {exc.strerror or exc}") from None
