"""torch's results of several tensors used as one (`logits.max(dim=1) == y`, `.shape` of it) say
which tensors they hold; Python alone made `==` a plain False and failed later, elsewhere."""

from __future__ import annotations

import pytest
import torch

from gradviz.autograd.tracer import trace
from gradviz.lang.errors import ProgramError

SETUP = "logits = torch.randn(4, 3)\ny = torch.tensor([0, 1, 2, 1])\n"


def test_comparing_what_max_returns_with_a_tensor_names_its_tensors() -> None:
    pair = torch.randn(4, 3).max(dim=1)
    assert (pair == torch.tensor([0, 1, 2, 1])) is False  # Python's answer, without gradviz
    with pytest.raises(ProgramError) as failed:
        trace(SETUP + "pred = logits.max(dim=1)\nacc = (pred == y).float().mean()\n")
    assert (failed.value.line, failed.value.col) == (4, 8)
    assert failed.value.message == (
        "in `pred == y`: what max() returns holds 2 tensors (values, indices), not one: take "
        "`.values` or `.indices` (the predicted classes are `.indices`, as `.argmax(dim=1)` "
        "gives them)"
    )


def test_an_attribute_it_lacks_names_the_ones_it_has() -> None:
    with pytest.raises(ProgramError, match=r"holds 3 tensors \(U, S, Vh\), not one"):
        trace("A = torch.randn(3, 3)\nresult = torch.linalg.svd(A)\nprint(result.shape)\n")


def test_its_fields_work_and_is_none_is_no_comparison_of_tensors() -> None:
    result = trace(
        SETUP + "pred = logits.max(dim=1)\nprint(pred is None)\n"
        "acc = (pred.indices == y).float().mean()\nprint(acc)\n"
    )
    assert result.run.printed[0] == "False\n"
    logits, y = result.run.env["logits"], result.run.env["y"]
    torch.testing.assert_close(result.run.env["acc"], (logits.argmax(dim=1) == y).float().mean())
