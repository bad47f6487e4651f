"""The import rule: only gradviz/ui may import PySide6, pyqtgraph or OpenGL."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "gradviz"
QT_MODULES = ("PySide6", "shiboken6", "pyqtgraph", "OpenGL")


def imported_modules(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Call) and getattr(node.func, "id", "") == "__import__":
            found.append((node.lineno, "__import__"))
    return found


def test_only_the_ui_package_imports_qt() -> None:
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if (PACKAGE / "ui") in path.parents:
            continue
        for line, module in imported_modules(path):
            if module.split(".")[0] in QT_MODULES or module == "__import__":
                offenders.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {module}")
            if module.startswith("gradviz.ui") and path.name != "cli.py":
                offenders.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {module}")
    assert offenders == []


def test_core_runs_with_qt_unimportable(tmp_path: Path) -> None:
    program = tmp_path / "p.py"
    program.write_text("x = 2.0\ny = 3.0\nx*y + exp(x*y)\n")
    code = f"""
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split('.')[0] in {QT_MODULES!r}:
            raise ImportError(name)
sys.meta_path.insert(0, Block())
from gradviz.cli import main
assert main(['trace', {str(program)!r}, '--compact']) == 0
assert main(['export', {str(program)!r}, '-o', {str(tmp_path / "g.png")!r}]) == 0
assert main(['export', {str(program)!r}, '-o', {str(tmp_path / "w.html")!r}, '--steps']) == 0
"""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "g.png").stat().st_size > 1000
    # the start and one step per op: x*y twice, exp, +
    assert (tmp_path / "w.html").read_text().count('<section class="step"') == 5
