"""Session files: versioned JSON, validated on load, saved atomically."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gradviz.session import SCHEMA, Session, SessionError, load_session, save_session


def test_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "s.gradviz"
    session = Session("x = 2.0\ny = x * 3", {"x": 4.5}, "cpu", {"theme": "dark", "scale": 1.25})
    save_session(path, session)
    loaded = load_session(path)
    assert loaded == session
    assert json.loads(path.read_text())["schema"] == SCHEMA


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("not json", "invalid JSON"),
        ("[1, 2]", "not a JSON object"),
        ('{"source": "x = 1"}', "schema"),
        ('{"schema": "gradviz.session/9", "source": ""}', "newer gradviz"),
        ('{"schema": "gradviz.session/1", "source": 5}', "program text"),
        ('{"schema": "gradviz.session/1", "source": "", "inputs": {"x": "a"}}', "finite numbers"),
        ('{"schema": "gradviz.session/1", "source": "", "device": "tpu"}', "device"),
        ('{"schema": "gradviz.session/1", "source": "", "settings": {"a": [1]}}', "plain values"),
    ],
)
def test_corrupt_sessions_are_refused_with_a_reason(
    tmp_path: Path, content: str, reason: str
) -> None:
    path = tmp_path / "bad.gradviz"
    path.write_text(content)
    with pytest.raises(SessionError, match=reason):
        load_session(path)


def test_failed_save_leaves_the_old_file_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    path = tmp_path / "s.gradviz"
    save_session(path, Session("x = 1.0"))
    before = path.read_bytes()

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(SessionError, match="No space left"):
        save_session(path, Session("x = 2.0"))
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["s.gradviz"]


def test_cli_opens_sessions(tmp_path: Path) -> None:
    from gradviz.cli import main

    path = tmp_path / "s.gradviz"
    save_session(path, Session("x = 2.0\ny = x * 3"))
    assert main(["export", str(path), "-o", str(tmp_path / "g.json")]) == 0
