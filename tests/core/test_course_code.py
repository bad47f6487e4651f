"""Course code as its authors wrote it (PyTorch's tutorials, Karpathy's micrograd and makemore
lectures) prints what Python prints; a refused comprehension's message writes the loop that
does the same."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gradviz.lang.errors import ProgramError
from gradviz.lang.parser import parse
from tests.core.same_as_python import gradviz_prints, python_prints

COURSE_CODE = sorted((Path(__file__).parent / "course_code").glob("*.py"))


@pytest.mark.parametrize("path", COURSE_CODE, ids=lambda p: p.stem)
def test_course_code_as_written_prints_what_python_prints(path: Path, tmp_path: Path) -> None:
    """Code from PyTorch's tutorials and Karpathy's lectures, verbatim but for fewer steps
    (gradviz seeds torch with 0 before a program runs: Python gets the same seed here)."""
    source = path.read_text(encoding="utf-8")
    expected, _ = python_prints("import torch\ntorch.manual_seed(0)\n" + source, tmp_path)
    assert _comparable(gradviz_prints(source)) == _comparable(expected)


def _comparable(printed: str) -> str:
    """`print(loss.grad_fn)` shows `<MseLossBackward0 object at 0x7f…>`: where in memory
    differs from one run to the next; and a program's classes print as `__main__.Linear`
    when Python runs it as a script (runpy, here, names that module otherwise)."""
    return re.sub(r" at 0x[0-9a-f]+>", " at 0x…>", printed).replace("<run_path>.", "__main__.")


COMPREHENSIONS = [
    "params = [p for layer in layers for p in layer.parameters() if p.dim() > 1]\n"
    "print(len(params))\n",
    "best = {k: v.clone() for k, v in model.state_dict().items()}\nprint(sorted(best))\n",
    "total = sum(p.numel() for p in model.parameters())\nprint(total)\n",
    "squares = [i * i for i in range(5) if i % 2 == 0]\nprint(squares)\n",
    # inside a statement: the loop under a new name, then the statement using it
    "print(sum(p.nelement() for p in model.parameters()))\nprint('done')\n",
    "print(', '.join(str(i) for i in range(3)))\n",
    "print(max([p.dim() for p in model.parameters() if p.dim() > 0]) + 1)\n",
    "print(len({k: v for k, v in model.state_dict().items()}))\n",
]
SETUP = (
    "import torch\nfrom torch import nn\nmodel = nn.Linear(3, 2)\n"
    "layers = [model, nn.Linear(2, 1)]\n"
)


@pytest.mark.parametrize("code", COMPREHENSIONS)
def test_a_refused_comprehension_gets_the_loop_that_does_the_same(
    code: str, tmp_path: Path
) -> None:
    """The message writes the loop from the program's own comprehension; written out, that
    loop prints what the comprehension prints in Python."""
    with pytest.raises(ProgramError, match="write the loop instead") as info:
        parse(SETUP + code)
    assert info.value.line == 5
    suggested = info.value.message.split("write the loop instead: ")[1]
    loop = "\n".join(line.strip("`") for line in suggested.split(" / "))
    rest = code.split("\n", 1)[1]
    expected, _ = python_prints(SETUP + code, tmp_path)
    assert gradviz_prints(SETUP + loop + "\n" + rest) == expected
