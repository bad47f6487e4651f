"""Layers kept in a plain list on a module the program defines: remarked on where the module is
made (its parameters() leave them out, as torch's do), and named when torch refuses an optimizer
of no parameters at all."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from gradviz.autograd.tracer import trace
from gradviz.lang.errors import ProgramError

SOME_IN_A_LIST = """
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.inp = nn.Linear(2, 4)
        self.hidden = []
        for i in range(2):
            self.hidden.append(nn.Linear(4, 4))
        self.out = nn.Linear(4, 1)
    def forward(self, x):
        x = torch.relu(self.inp(x))
        for layer in self.hidden:
            x = torch.relu(layer(x))
        return self.out(x)
torch.manual_seed(0)
net = Net()
print(len(list(net.parameters())))
loss = net(torch.randn(5, 2)).pow(2).mean()
loss.backward()
"""


def _listed(notes: list[str]) -> list[str]:
    return [n for n in notes if "which nn.Module does not look into" in n]


def test_a_list_filled_after_it_was_assigned_is_remarked_where_the_module_is_made() -> None:
    result = trace(SOME_IN_A_LIST)
    (note,) = _listed(result.graph.notes)
    assert note.startswith("⚠ at line 16: `self.hidden` keeps its layers in a plain list")
    assert "Write `self.hidden = nn.ModuleList([…])`" in note

    class Net(nn.Module):  # torch: the listed layers are no parameters of the module
        def __init__(self) -> None:
            super().__init__()
            self.inp = nn.Linear(2, 4)
            self.hidden = [nn.Linear(4, 4) for _ in range(2)]
            self.out = nn.Linear(4, 1)

    assert result.run.printed == [f"{len(list(Net().parameters()))}\n"]  # 4, not 8


def test_module_list_and_a_list_of_numbers_are_not_remarked() -> None:
    fixed = SOME_IN_A_LIST.replace("self.hidden = []", "self.hidden = nn.ModuleList()")
    result = trace(fixed)
    assert _listed(result.graph.notes) == [] and result.run.printed == ["8\n"]
    sizes = SOME_IN_A_LIST.replace(
        "self.hidden = []", "self.sizes = [2, 4]\n        self.hidden = nn.ModuleList()"
    )
    assert _listed(trace(sizes).graph.notes) == []


def test_an_optimizer_of_no_parameters_names_the_plain_list() -> None:
    source = (
        "class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.layers = [nn.Linear(2, 4), nn.Linear(4, 1)]\n"
        "    def forward(self, x):\n        return x\n"
        "net = Net()\nopt = torch.optim.SGD(net.parameters(), lr=0.1)\n"
    )
    with pytest.raises(ProgramError) as caught:
        trace(source)
    assert caught.value.line == 8
    assert "Net keeps its layers in a plain list, `self.layers`" in caught.value.message
    assert "(torch: optimizer got an empty parameter list)" in caught.value.message
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        torch.optim.SGD([], lr=0.1)  # torch's own refusal, as the message quotes it
