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


def test_the_cli_traces_a_session_at_its_saved_input_values(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """What the app showed when the session was saved (its sliders), unless `--set` says other."""
    import json

    import torch

    from gradviz.cli import main

    path = tmp_path / "s.gradviz"
    save_session(path, Session("x = 2.0\ny = x * x\n", overrides={"x": 3.0}))
    for extra, x in (([], 3.0), (["--set", "x=5"], 5.0)):
        assert main(["trace", str(path), *extra]) == 0
        data = json.loads(capsys.readouterr().out)
        values = {n["name"]: n["value"] for n in data["nodes"]}
        expected = torch.tensor(x) * torch.tensor(x)
        assert values == {"x": x, "y": float(expected)}
        assert data["inputs"] == [{"name": "x", "value": x, "line": 1}]


def test_files_saved_with_a_byte_order_mark_open(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """Windows editors start UTF-8 files with a BOM: it is no code (it was a syntax error)."""
    from gradviz.cli import main

    program = tmp_path / "p.py"
    program.write_bytes("\ufeffx = 2.0\ny = x * x\n".encode())
    assert main(["trace", str(program)]) == 0
    assert '"schema": "gradviz.graph/1"' in capsys.readouterr().out
    session = tmp_path / "s.gradviz"
    save_session(session, Session("x = 2.0\n"))
    session.write_bytes(b"\xef\xbb\xbf" + session.read_bytes())
    assert main(["trace", str(session)]) == 0
