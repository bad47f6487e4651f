"""A call torch refuses because an argument was left uncalled says which one and how to call it
(torch's own words name gradviz's internal types: 'BoundMethod' object is not iterable)."""

from __future__ import annotations

import pytest

from gradviz.lang.errors import ProgramError
from gradviz.lang.interpreter import run_program
from gradviz.lang.parser import parse


@pytest.mark.parametrize(
    ("source", "line", "words"),
    [
        ("model = nn.Linear(2, 1)\nopt = torch.optim.SGD(model.parameters, lr=0.1)\n", 2,
         "`model.parameters` is a method, not its result: call it, `model.parameters()`"),
        ("model = nn.Sequential(nn.Linear(2, 3), nn.ReLU, nn.Linear(3, 1))\n", 1,
         "`nn.ReLU` is a layer type, not a layer: make one, `nn.ReLU()`"),
        ("model = nn.Sequential(nn.Linear, nn.ReLU())\n", 1,
         "`nn.Linear` is a layer type, not a layer: make one, `nn.Linear(...)`"),
        ("x = torch.ones(3)\ny = torch.sum(x.mean)\n", 2, "`x.mean()`"),
        ("x = torch.ones(3)\ny = torch.relu(input=torch.exp)\n", 2,
         "`torch.exp` is a function, not its result"),
        ("pred = torch.randn(4, 1)\ny = torch.randn(4, 1)\nloss = nn.MSELoss(pred, y)\n", 3,
         "`nn.MSELoss()(pred, y)`"),
        ("x = torch.randn(4, 3)\nh = nn.Linear(x, 2)\n", 2,
         "`nn.Linear(in_features, out_features)(x)`"),
    ],
)  # fmt: skip
def test_an_uncalled_argument_is_named(source: str, line: int, words: str) -> None:
    with pytest.raises(ProgramError) as caught:
        run_program(parse(source))
    assert caught.value.line == line
    assert words in caught.value.message
    assert "gradviz" not in caught.value.message and "BoundMethod" not in caught.value.message


def test_other_type_errors_keep_their_words() -> None:
    """sorted(key=abs) is a legitimate function argument: its own TypeError is not blamed on
    `abs`."""
    with pytest.raises(ProgramError) as caught:
        run_program(parse("xs = sorted([1, 'a'], key=abs)\n"))
    assert "must be Tensor, not str" in caught.value.message  # gradviz's abs: torch.abs


def test_a_module_given_tensors_as_settings_is_still_made() -> None:
    """Tensors that are settings (a loss's class weights) are no mistake."""
    source = "w = torch.tensor([1.0, 2.0])\nfn = nn.CrossEntropyLoss(w)\n"
    assert run_program(parse(source)).env["fn"] is not None
