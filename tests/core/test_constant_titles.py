"""Constants no name holds are titled by where they came from: an LSTM's batch_first copy of
the program's x reads "from x", its first state "zeros" (not a mean and spread as a title)."""

from __future__ import annotations

import torch
from torch import nn

from gradviz.autograd.tracer import trace
from gradviz.render.labels import build_labels
from gradviz.render.theme import LIGHT

LSTM = """
rnn = nn.LSTM(input_size=3, hidden_size=5, batch_first=True)
x = torch.randn(2, 4, 3)
out, (h, c) = rnn(x)
loss = out.sum()
"""


def test_an_lstm_s_copy_of_x_and_its_zero_state_are_titled_so() -> None:
    graph = trace("import torch\nfrom torch import nn\n" + LSTM).graph
    torch.manual_seed(0)
    nn.LSTM(input_size=3, hidden_size=5, batch_first=True)
    x = torch.randn(2, 4, 3)
    constants = [n for n in graph.nodes if n.kind == "const"]
    labels = build_labels(graph, LIGHT)
    copies = [n for n in constants if n.derived == "from x"]
    assert len(copies) == 1
    assert isinstance(copies[0].value, torch.Tensor)
    torch.testing.assert_close(copies[0].value, x.transpose(0, 1))  # what the LSTM read
    assert labels[copies[0].id].title == "from x" and copies[0].name is None
    states = [n for n in constants if n.derived == "zeros"]
    assert len(states) == 2  # h0 and c0
    for state in states:
        assert isinstance(state.value, torch.Tensor)
        torch.testing.assert_close(state.value, torch.zeros(1, 2, 5))
        assert labels[state.id].title == "zeros"


def test_a_constant_that_is_not_all_zeros_keeps_its_value_as_title() -> None:
    graph = trace(
        "import torch\nw = torch.ones(3, requires_grad=True)\ny = (w * torch.arange(3.0)).sum()\n"
    ).graph
    constant = next(n for n in graph.nodes if n.kind == "const")
    assert constant.derived is None
    assert build_labels(graph, LIGHT)[constant.id].title == "[0.0, 1.0, 2.0]"


POLYNOMIAL = """
class Polynomial3(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Parameter(torch.randn(()))
        self.b = nn.Parameter(torch.randn(()))
    def forward(self, x):
        return self.a + self.b * x ** 3
x = torch.linspace(-1, 1, 5)
model = Polynomial3()
loss = model(x).pow(2).sum()
"""


def test_a_constant_a_forward_computes_from_the_program_s_x_names_its_op_and_x() -> None:
    graph = trace("import torch\nfrom torch import nn\n" + POLYNOMIAL).graph
    cube = next(n for n in graph.nodes if n.derived is not None)
    assert cube.derived == "pow of x" and cube.module == "model"
    assert isinstance(cube.value, torch.Tensor)
    torch.testing.assert_close(cube.value, torch.linspace(-1, 1, 5) ** 3)
