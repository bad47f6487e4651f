"""The fix a refusal proposes: applied, the program runs."""

from __future__ import annotations

import pytest

from gradviz.lang.errors import ProgramError
from gradviz.lang.interpreter import run_program
from gradviz.lang.parser import parse
from gradviz.lang.quick_fix import suggested_fix

TYPOS = [
    ("x = 2.0\ny = x * 3\ny.backwrd()\n", "y.backward()"),
    ("import torch\ntorch.manal_seed(0)\nw = torch.ones(2)\n", "torch.manual_seed(0)"),
    ("from torch.nn import Linaer\nm = nn.Linear(2, 3)\n", "from torch.nn import Linear"),
    ("import torch.nn.funtional as G\ny = G.relu(torch.ones(2))\n", "import torch.nn.functional"),
    ("loss = 2.0\ntotal = lossd * 3\n", "total = loss * 3"),
    ("x = 2.0\nz = sqrwt(x)\n", "z = sqrt(x)"),
    ("from torch.optm import SGD\nx = 2.0\n", "from torch.optim import SGD"),
]


def _refusal(source: str) -> ProgramError:
    with pytest.raises(ProgramError) as info:
        run_program(parse(source))
    return info.value


@pytest.mark.parametrize(("source", "fixed_line"), TYPOS)
def test_the_fix_a_refusal_proposes_makes_the_program_run(source: str, fixed_line: str) -> None:
    error = _refusal(source)
    fix = suggested_fix(source, error.message, error.line, error.col)
    assert fix is not None and fix.line == error.line
    lines = source.split("\n")
    text = lines[fix.line - 1]
    assert text[fix.column : fix.column + len(fix.old)] == fix.old
    lines[fix.line - 1] = text[: fix.column] + fix.new + text[fix.column + len(fix.old) :]
    fixed = "\n".join(lines)
    assert fixed_line in fixed
    run_program(parse(fixed))


def test_no_fix_where_none_is_proposed_or_the_text_moved() -> None:
    source = "x = 2.0\nx.numpyy()\n"
    error = _refusal(source)
    assert suggested_fix(source, error.message, error.line, error.col) is None
    source = "loss = 2.0\ntotal = lossd * 3\n"
    error = _refusal(source)
    assert suggested_fix("loss = 2.0\ntotal = 3\n", error.message, error.line, error.col) is None
