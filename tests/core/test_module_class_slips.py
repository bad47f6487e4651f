"""A module class's commonest slips, said at the place: `def foward` (PyTorch never calls it),
and a layer kept in a name of __init__ instead of on `self`."""

from __future__ import annotations

import runpy
from pathlib import Path

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


INIT_ORDER = """
class Net(nn.Module):
    def __init__(self):
{body}
    def forward(self, x):
        return self.fc(x) * self.scale
net = Net()
y = net(torch.randn(3, 2))
"""


@pytest.mark.parametrize(
    ("body", "refused_at"),
    [
        ("        self.fc = nn.Linear(2, 1)\n        self.scale = 2.0", (4, 9)),
        (
            "        self.scale = 2.0\n        self.fc = nn.Linear(2, 1)\n"
            "        super().__init__()",
            (5, 9),
        ),
        (
            "        self.scale = 2.0\n        super().__init__()\n"
            "        self.fc = nn.Linear(2, 1)",
            None,
        ),
    ],
)
def test_a_layer_set_before_super_init_is_refused_as_pytorch_refuses_it(
    body: str, refused_at: tuple[int, int] | None, tmp_path: Path
) -> None:
    source = INIT_ORDER.format(body=body)
    python = tmp_path / "net.py"
    python.write_text("import torch\nfrom torch import nn\n" + source)
    try:  # the same file in Python (a plain attribute before super().__init__() is fine)
        runpy.run_path(str(python))
        python_refused = False
    except AttributeError as exc:
        assert "cannot assign module before Module.__init__() call" in str(exc)
        python_refused = True
    assert python_refused == (refused_at is not None)
    if refused_at is None:
        assert trace(source).graph is not None
        return
    with pytest.raises(ProgramError) as caught:
        trace(source)
    assert (caught.value.line, caught.value.col) == refused_at
    assert "cannot assign module before Module.__init__() call: call `super().__init__()` " in (
        caught.value.message
    )


def test_a_parameter_kept_in_a_name_of_init_is_said_at_run_time_too() -> None:
    """`weight` is also a name the language knows (a layer's), so the static check passes
    `self.weight`; the run then says why the module has none."""
    source = CLASS.format(init="weight = nn.Parameter(torch.randn(2))", forward="forward").replace(
        "return self.fc(x)", "return x * self.weight"
    )
    with pytest.raises(ProgramError) as caught:
        trace(source)
    assert (caught.value.line, caught.value.col) == (7, 20)
    assert caught.value.message == (
        "`self.weight` is never set: line 5 assigns `weight` as a name of its method only, gone "
        "when the method returns; write `self.weight = …` there to keep it on the object"
    )
