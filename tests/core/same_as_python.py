"""Running a program as Python itself runs it (the independent reference for what gradviz's
interpreter must print), and as gradviz runs it."""

from __future__ import annotations

import contextlib
import io
import runpy
import warnings
from pathlib import Path

from gradviz.lang.interpreter import run_program
from gradviz.lang.parser import parse


def python_prints(
    source: str, folder: Path, run_name: str | None = None
) -> tuple[str, dict[str, object]]:
    """What Python prints running `source` (written to a file in `folder`), and its names at
    the end; `run_name="__main__"` runs it as a script. torch's warnings are silenced here:
    gradviz turns them into notes, checked apart."""
    path = folder / "program.py"
    path.write_text(source, encoding="utf-8")
    out = io.StringIO()
    with contextlib.redirect_stdout(out), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        names = runpy.run_path(str(path), run_name=run_name)
    return out.getvalue(), names


def gradviz_prints(source: str) -> str:
    """What the same source prints run in gradviz's interpreter."""
    return "".join(run_program(parse(source)).printed)


def assert_refused_at(source: str, line: int, fragment: str, *, traced: bool = False) -> None:
    """The program (run, or traced) stops with a ProgramError at `line` whose message holds
    `fragment`."""
    from gradviz.autograd.tracer import trace
    from gradviz.lang.errors import ProgramError

    try:
        trace(source) if traced else run_program(parse(source))
    except ProgramError as error:
        assert fragment in error.message, error.message
        assert error.line == line, str(error)
        return
    raise AssertionError("the program ran without the error")
