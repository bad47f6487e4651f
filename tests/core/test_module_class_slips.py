"""A module class's commonest slips, said at the place: `def foward` (PyTorch never calls it),
and a layer kept in a name of __init__ instead of on `self`."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from gradviz.autograd.tracer import trace
from gradviz.lang.errors import ProgramError

CLASS = """
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        {init}
    def {forward}(self, x):
        return self.fc(x)
net = Net()
y = net(torch.randn(3, 2))
"""


def test_a_misspelt_forward_is_named() -> None:
    with pytest.raises(ProgramError) as caught:
        trace(CLASS.format(init="self.fc = nn.Linear(2, 1)", forward="foward"))
    assert caught.value.line == 9
    assert caught.value.message.endswith(
        "Net has no `def forward(self, ...)`, so it cannot be called (it defines `foward`: "
        "spelt so, PyTorch never calls it)"
    )

    class Net(nn.Module):  # torch: calling it is an error too
        def foward(self, x: torch.Tensor) -> torch.Tensor:
            return x

    with pytest.raises(NotImplementedError):
        Net()(torch.randn(3, 2))


def test_a_layer_kept_in_a_name_of_init_is_said_to_be_gone_with_it() -> None:
    with pytest.raises(ProgramError) as caught:
        trace(CLASS.format(init="fc = nn.Linear(2, 1)", forward="forward"))
    assert (caught.value.line, caught.value.col) == (7, 16)
    assert caught.value.message == (
        "`self.fc` is never set: line 5 assigns `fc` as a name of its method only, gone when "
        "the method returns; write `self.fc = …` there to keep it on the object"
    )
    fixed = trace(CLASS.format(init="self.fc = nn.Linear(2, 1)", forward="forward"))
    assert fixed.graph is not None
