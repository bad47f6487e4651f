"""Atomic writes: the content arrives whole, a new file gets the umask's permissions (not the
temporary file's private ones), a file written over keeps its own, a symbolic link stays one,
and a failed write leaves the old file and no temporary behind."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from gradviz.files import write_atomic

posix = pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_content_arrives_and_no_temporary_file_is_left(tmp_path: Path) -> None:
    target = tmp_path / "graph.svg"
    write_atomic(target, b"<svg/>")
    write_atomic(target, b"<svg>2</svg>")
    assert target.read_bytes() == b"<svg>2</svg>"
    assert [p.name for p in tmp_path.iterdir()] == ["graph.svg"]


@posix
@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077])
def test_a_new_file_gets_the_umasks_permissions(tmp_path: Path, umask: int) -> None:
    """In a fresh process (the mode is read once per process), under each umask."""
    target = tmp_path / "out.png"
    code = (
        "import os, sys; os.umask(int(sys.argv[2], 8)); "
        "from gradviz.files import write_atomic; write_atomic(sys.argv[1], b'png')"
    )
    subprocess.run([sys.executable, "-c", code, str(target), oct(umask)], check=True)
    assert _mode(target) == 0o666 & ~umask


@posix
def test_a_file_written_over_keeps_its_permissions(tmp_path: Path) -> None:
    target = tmp_path / "lecture.py"
    target.write_text("x = 1.0\n")
    target.chmod(0o640)
    write_atomic(target, b"x = 2.0\n")
    assert _mode(target) == 0o640
    assert target.read_text() == "x = 2.0\n"


@posix
def test_a_symbolic_link_stays_a_link_to_the_new_content(tmp_path: Path) -> None:
    real = tmp_path / "real.py"
    real.write_text("old\n")
    link = tmp_path / "link.py"
    link.symlink_to(real)
    write_atomic(link, b"new\n")
    assert link.is_symlink()
    assert real.read_text() == "new\n"


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "keep.py"
    target.write_text("kept\n")
    with pytest.raises(TypeError):
        write_atomic(target, "not bytes")  # type: ignore[arg-type]
    assert target.read_text() == "kept\n"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.py"]
