"""The autograd errors students meet most say what to do, then torch's own first sentence."""

from __future__ import annotations

import pytest

from gradviz.autograd.tracer import trace
from gradviz.lang.errors import ProgramError

CASES = [
    (
        "x = torch.ones(3)\ny = (x * 2).sum()\ny.backward()\n",
        (3, 1),
        "`y` depends on no tensor that requires grad",
        "element 0 of tensors does not require grad",
    ),
    (
        "x = torch.ones(3, requires_grad=True)\nwith torch.no_grad():\n    y = x * 2\n"
        "y.sum().backward()\n",
        (4, 1),
        "compute it outside `with torch.no_grad():`",
        "element 0 of tensors",
    ),
    (
        "x = torch.ones(3, requires_grad=True)\ny = x * 2\ny.backward()\n",
        (3, 1),
        "`y` holds more than one number, and backward() needs a single one",
        "grad can be implicitly created only for scalar outputs",
    ),
    (
        "x = torch.ones(3, requires_grad=True)\ny = (x * x).sum()\ny.backward()\ny.backward()\n",
        (4, 1),
        "run the forward pass again before each backward(), or pass retain_graph=True",
        "Trying to backward through the graph a second time",
    ),
    (
        "x = torch.ones(3, requires_grad=True)\nx += 1\n",
        (2, 1),
        "`x` is a leaf that requires grad: change it inside `with torch.no_grad():`",
        "a leaf Variable that requires grad is being used in an in-place operation",
    ),
    (
        "x = torch.tensor([1, 2, 3], requires_grad=True)\n",
        (1, 5),
        "whole numbers cannot require grad: write them as floats (1.0, not 1)",
        "Only Tensors of floating point and complex dtype can require gradients",
    ),
]


@pytest.mark.parametrize(("source", "where", "hint", "torch_words"), CASES)
def test_the_error_says_what_to_do_and_keeps_torchs_words(
    source: str, where: tuple[int, int], hint: str, torch_words: str
) -> None:
    with pytest.raises(ProgramError) as caught:
        trace(source)
    error = caught.value
    assert (error.line, error.col) == where
    assert hint in error.message
    assert f"(torch: {torch_words}" in error.message
    assert error.message.index(hint) < error.message.index("(torch:")  # the advice first


def test_other_errors_are_left_as_torch_says_them() -> None:
    with pytest.raises(ProgramError) as caught:
        trace("x = torch.ones(3)\ny = x[5]\n")
    assert "index 5 is out of bounds" in caught.value.message
    assert "(torch:" not in caught.value.message
