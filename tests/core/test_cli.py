"""The command line: trace and export contracts, exit statuses, one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

LECTURE = "x = 2.0\ny = 3.0\nx*y + exp(x*y)\n"


def gradviz(
    *args: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gradviz", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


@pytest.fixture
def lecture(tmp_path: Path) -> Path:
    path = tmp_path / "lecture.py"
    path.write_text(LECTURE)
    return path


def test_trace_prints_graph_json(lecture: Path) -> None:
    result = gradviz("trace", str(lecture))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["schema"] == "gradviz.graph/1"
    x = next(n for n in data["nodes"] if n["name"] == "x")
    expected = 3.0 + 3.0 * float(torch.exp(torch.tensor(6.0)))  # d/dx (xy + e^{xy}) at (2, 3)
    assert x["grad"] == pytest.approx(expected, rel=1e-5)


def test_trace_reads_stdin_and_set_changes_inputs() -> None:
    result = gradviz("trace", "-", "--set", "x=1", "--set", "y=0.5", stdin=LECTURE)
    data = json.loads(result.stdout)
    out = next(n for n in data["nodes"] if n["id"] == data["output"])
    assert out["value"] == pytest.approx(0.5 + float(torch.exp(torch.tensor(0.5))), rel=1e-6)
    assert {i["name"]: i["value"] for i in data["inputs"]} == {"x": 1.0, "y": 0.5}


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (
            ["trace", "-"],
            "x = 1\ny = torch.load('f')\n",
            "error: line 2, col 5: `torch.load` is not allowed",
        ),
        (["trace", "-"], "x = (1,\n", "error: line 1, col 5: syntax error"),
        (["trace", "no-such-file.py"], None, "error: cannot read no-such-file.py"),
        (["no-such-file.py"], None, "error: cannot read no-such-file.py: No such file"),
        ([".", "--screenshot", "x.png"], None, "error: cannot read .: Is a directory"),
        (["trace", "-", "--set", "q=1"], LECTURE, "error: no scalar input named 'q'"),
        (["trace", "-", "--set", "x=abc"], LECTURE, "error: --set x: 'abc' is not a number"),
        (["export", "-", "-o", "out.bmp"], LECTURE, "error: cannot export to 'out.bmp'"),
        (["trace", "-", "--device", "tpu"], LECTURE, "error: unknown device 'tpu': use cpu or"),
        (["export", "-", "-o", "g.svg", "--device", "mps"], LECTURE, "error: gradviz runs on cpu"),
        (
            ["optimize", "--surface", "booth", "--json", "--start", "1e400,2"],
            None,
            "error: --start expects X,Y (2 finite numbers), got '1e400,2'",
        ),
        (
            ["optimize", "--function", "x**2", "--json", "--window", "a,1,0,1"],
            None,
            "error: --window expects X0,X1,Y0,Y1 (4 finite numbers)",
        ),
        (
            ["optimize", "--function", "x**2", "--json", "--window", "1,0,0,1"],
            None,
            "error: --window needs X0 < X1 and Y0 < Y1",
        ),
        (["optimize", "--surface", "booth", "--json", "--device", "cuda:x"], None, "error: unkno"),
        (
            ["landscape", "-", "--json", "--grid", "3", "--seed", "99999999999999999999"],
            "model = nn.Linear(2, 1)\nloss = model(torch.ones(4, 2)).pow(2).mean()\n",
            "error: the seed must be an integer between",
        ),
    ],
)
def test_bad_input_exits_2_with_one_clear_line(
    args: list[str], stdin: str | None, message: str, tmp_path: Path
) -> None:
    os.chdir(tmp_path)
    result = gradviz(*args, stdin=stdin)
    assert result.returncode == 2
    assert result.stderr.startswith(message), result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stdout == "" and list(tmp_path.iterdir()) == []


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the no-CUDA message")
def test_device_cuda_without_gpu(lecture: Path) -> None:
    result = gradviz("trace", str(lecture), "--device", "cuda")
    assert result.returncode == 2 and "CUDA is not available" in result.stderr


@pytest.mark.parametrize("fmt", ["png", "svg", "pdf", "dot", "json"])
def test_export_writes_each_format(lecture: Path, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"graph.{fmt}"
    result = gradviz("export", str(lecture), "-o", str(out), "--theme", "projector", "--scale", "2")
    assert result.returncode == 0, result.stderr
    assert out.stat().st_size > 100


def test_missing_graphviz_is_explained(lecture: Path, tmp_path: Path) -> None:
    env = dict(os.environ)
    env["PATH"] = str(tmp_path)  # no `dot` here
    result = gradviz("export", str(lecture), "-o", str(tmp_path / "g.png"), env=env)
    assert result.returncode == 2
    assert "Install Graphviz" in result.stderr and "apt-get install graphviz" in result.stderr


def test_headless_export_does_not_import_qt(lecture: Path, tmp_path: Path) -> None:
    code = (
        "import sys; from gradviz.cli import main; "
        f"rc = main(['export', {str(lecture)!r}, '-o', {str(tmp_path / 'g.svg')!r}]); "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph', 'OpenGL')]; "
        "print(rc, bad)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.stdout.strip() == "0 []", result.stderr
