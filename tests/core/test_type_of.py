"""`type(x)` prints and compares as in Python (`print(agg_item, type(agg_item))` in PyTorch's
Tensors tutorial) and is nothing more: not callable, nothing to look into."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.core.same_as_python import assert_refused_at, gradviz_prints, python_prints

TYPES = """import torch
from torch import nn
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 2)
    def forward(self, x):
        return self.fc(x)
class Box:
    def __init__(self, v):
        self.v = v
    def get(self):
        return self.v
def f(x):
    return x
net = Net()
box = Box(3)
d = {"a": 1}
for v in [1, 2.5, True, "s", None, [1], (1,), d, torch.ones(2), net, net.fc, net.fc.weight,
          box, box.get, f, print, Net, float, torch.float32, torch.device("cpu"), list, type,
          range, zip, len]:
    print(type(v))
print(type(2.5) == float, type(1) == float, type(net.fc) == nn.Linear, type(net) == Net)
print(type(1) == type(2), type(torch.ones(1).item()) == float, type(d) == dict, type(f) == int)
print(type(box) == Box, type(box) != type(net), type(box.get) == type(f))
"""


def test_type_prints_and_compares_as_in_python(tmp_path: Path) -> None:
    expected, _ = python_prints(TYPES, tmp_path)
    # run as a script, a program's classes live in __main__ (runpy names the module otherwise)
    assert gradviz_prints(TYPES) == expected.replace("<run_path>.", "__main__.")


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        ("x = torch.ones(2)\ny = type(x)(3)\n", "is not callable"),
        ("x = torch.ones(2)\ny = type(x).mro\n", "not available"),
        ("x = torch.ones(2)\ny = type(x).__subclasses__()\n", "underscore"),
    ],
)
def test_a_type_is_only_printed_and_compared(source: str, fragment: str) -> None:
    assert_refused_at(source, 2, fragment)
