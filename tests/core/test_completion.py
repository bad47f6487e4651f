"""Completion: the names the language allows at the caret, on half-typed programs."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from gradviz.lang.completion import complete
from gradviz.lang.errors import ProgramError
from gradviz.lang.interpreter import run_program
from gradviz.lang.parser import parse


def at_end(source: str) -> tuple[str, list[str]]:
    lines = source.split("\n")
    found = complete(source, len(lines), len(lines[-1]))
    return found.prefix, found.names


def test_after_a_module_its_members_that_torch_has_and_the_language_allows() -> None:
    prefix, names = at_end("import torch\nw = torch.zer")
    assert prefix == "zer" and names == ["zeros", "zeros_like"]
    _, everything = at_end("torch.")
    assert len(everything) > 100
    for name in everything:
        assert hasattr(torch, name), name
        parse(f"y = torch.{name}")  # the validator takes each one
    for refused in ("load", "save", "hub", "from_numpy"):
        assert refused not in everything


def test_aliases_from_the_programs_imports() -> None:
    source = "import torch.nn.functional as G\nfrom torch import nn as N, optim\n"
    _, names = at_end(source + "G.cross")
    assert names == ["cross_entropy"] and all(hasattr(F, n) for n in names)
    assert at_end(source + "N.Lin")[1] == ["Linear"]
    assert "Adam" in at_end(source + "optim.Ad")[1]
    assert at_end("torch.optim.lr_scheduler.Step")[1] == ["StepLR"]


def test_after_a_value_its_possible_methods_never_a_refused_one() -> None:
    _, names = at_end("x = torch.ones(2)\ny = x.")
    assert {"backward", "sum", "grad", "view"} <= set(names)
    assert "numpy" not in names and "tolist" in names
    assert "zeros" not in names and "backends" not in names  # torch's functions, not methods
    assert at_end("x.back")[1] == ["backward"]
    for name in ("backward", "sum", "view", "tolist"):
        assert hasattr(torch.ones(2), name)
    with pytest.raises(ProgramError, match="numpy"):  # what is not listed is refused
        run_program(parse("x = torch.ones(2)\ny = x.numpy()"))


def test_bare_names_are_the_programs_builtins_and_keywords() -> None:
    source = (
        "learning_rate, steps = 0.1, 3\ndef train(model, lr=0.1):\n    for epoch in range(3):\n"
    )
    assert at_end(source + "lea")[1] == ["learning_rate"]
    assert at_end(source + "ep")[1] == ["epoch"]
    assert at_end(source + "mo")[1] == ["model"]
    assert "exp" in at_end(source + "ex")[1]
    assert "return" in at_end(source + "ret")[1]
    assert "while" not in at_end(source + "wh")[1]  # the language has no while


def test_nothing_in_a_comment_a_string_or_a_number() -> None:
    assert at_end("# torch.")[1] == []
    assert at_end("s = 'torch.")[1] == []
    assert at_end("x = 1.")[1] == []
    assert at_end("x = 2.5e")[1] == []
    assert at_end("s = 'a' + torch.ze")[1] == ["zeros", "zeros_like"]  # the string is closed
