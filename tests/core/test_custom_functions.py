"""A program's own `torch.autograd.Function`: its forward and backward run in the interpreter,
autograd calls them as it calls torch's own, and the graph shows the node with the value its
forward returned and the gradients its backward sent (checked against torch running the same
Function written in Python)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import torch

import gradviz
from gradviz.autograd.tracer import trace
from gradviz.explain.chain import explain
from gradviz.nets.replay import ReplayError, replay_loss
from gradviz.render.labels import gradient_scale, node_label
from gradviz.render.theme import THEMES
from tests.core.same_as_python import assert_refused_at, gradviz_prints, python_prints

EXAMPLE = Path(gradviz.__file__).parent / "resources" / "examples" / "22_custom_backward.py"


class MyExp(torch.autograd.Function):
    """The example's Function, written in Python for the independent computation."""

    @staticmethod
    def forward(ctx: torch.autograd.function.FunctionCtx, z: torch.Tensor) -> torch.Tensor:
        result = torch.exp(z)
        ctx.save_for_backward(result)
        return result

    @staticmethod
    def backward(ctx: torch.autograd.function.FunctionCtx, grad: torch.Tensor) -> torch.Tensor:
        (result,) = ctx.saved_tensors  # type: ignore[attr-defined]
        return grad * result


def test_the_example_shows_the_functions_node_with_torchs_values_and_gradients() -> None:
    graph = trace(EXAMPLE.read_text(encoding="utf-8")).graph
    x = torch.tensor(2.0, requires_grad=True)
    y = torch.tensor(3.0, requires_grad=True)
    z1 = x * y
    z1.retain_grad()
    e = MyExp.apply(z1)
    e.retain_grad()
    f = z1 + e
    f.backward()
    shown = {n.name: n for n in graph.nodes}
    custom = shown["result"]
    assert custom.op == "MyExpBackward" and custom.defined_by == "MyExp"
    source_lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    assert custom.defined_line is not None
    assert source_lines[custom.defined_line - 1].strip() == "def backward(ctx, grad_output):"
    assert custom.call is None  # not the exp its forward ran: nothing re-runs it as that
    torch.testing.assert_close(custom.value, e.detach())
    torch.testing.assert_close(custom.grad, e.grad)
    assert [s.name for s in custom.saved] == ["ctx[0]"]
    for name, tensor in (("x", x), ("y", y), ("z1", z1)):
        torch.testing.assert_close(shown[name].grad, tensor.grad)
    sent = next(edge for edge in graph.edges if edge.dst == custom.id)
    torch.testing.assert_close(sent.grad, e.grad * e.detach())  # what its backward returned
    label = node_label(custom, graph, THEMES["light"], gradient_scale(graph), backward=True)
    assert label.subtitle == "MyExpBackward · your backward"
    text = explain(graph, custom)
    assert "MyExp.apply(z1)" in text.heading
    assert text.fallback is not None
    assert f"program's own MyExp.backward (line {custom.defined_line})" in text.fallback
    assert "403.43 to z1" in text.fallback


TUTORIAL = textwrap.dedent(
    """
    import torch
    import math

    class LegendrePolynomial3(torch.autograd.Function):
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return 0.5 * (5 * input ** 3 - 3 * input)

        @staticmethod
        def backward(ctx, grad_output):
            input, = ctx.saved_tensors
            return grad_output * 1.5 * (5 * input ** 2 - 1)

    class Scale(torch.autograd.Function):
        factor = 2.0

        @staticmethod
        def forward(ctx, x, alpha):
            ctx.alpha = alpha * Scale.factor
            return x * ctx.alpha

        @staticmethod
        def backward(ctx, grad):
            return grad * ctx.alpha, None

    x = torch.linspace(-math.pi, math.pi, 200)
    y = torch.sin(x)
    a = torch.full((), 0.0, requires_grad=True)
    b = torch.full((), -1.0, requires_grad=True)
    c = torch.full((), 0.0, requires_grad=True)
    d = torch.full((), 0.3, requires_grad=True)
    for t in range(200):
        P3 = LegendrePolynomial3.apply
        y_pred = a + b * P3(c + d * x)
        loss = Scale.apply((y_pred - y).pow(2).sum(), 0.5)
        if t % 50 == 49:
            print(t, loss.item())
        loss.backward()
        with torch.no_grad():
            for p in (a, b, c, d):
                p -= 5e-5 * p.grad
                p.grad = None
    print(f"Result: y = {a.item()} + {b.item()} * P3({c.item()} + {d.item()} x)")
    """
)


def test_the_pytorch_tutorials_function_prints_what_python_prints(tmp_path: Path) -> None:
    expected, _ = python_prints(TUTORIAL, tmp_path)
    assert gradviz_prints(TUTORIAL) == expected


def test_a_loss_landscape_says_it_cannot_re_run_a_programs_function() -> None:
    source = EXAMPLE.read_text(encoding="utf-8").replace(
        "x = 2.0", "lin = torch.nn.Linear(1, 1)\nx = lin(torch.ones(1)).sum()"
    )
    with pytest.raises(ReplayError, match=r"MyExp is the program's own autograd\.Function"):
        replay_loss(trace(source).graph)


FUNCTION = (
    "import torch\nclass F(torch.autograd.Function):\n"
    "    @staticmethod\n    def forward(ctx, x):\n        return x * 2\n"
    "    @staticmethod\n    def backward(ctx, g):\n{backward}\n"
    "w = torch.ones(3, requires_grad=True)\nF.apply(w).sum().backward()\n"
)


@pytest.mark.parametrize(
    ("source", "line", "fragment"),
    [
        ("import torch\nclass F(torch.autograd.Function):\n    pass\n", 2, "needs `@staticmethod"),
        (
            "import torch\nclass F(torch.autograd.Function):\n    def forward(ctx, x):\n"
            "        return x\n    @staticmethod\n    def backward(ctx, g):\n        return g\n",
            3,
            "must be `@staticmethod`",
        ),
        (
            "import torch\nclass F(torch.autograd.Function):\n    @staticmethod\n"
            "    def forward(ctx, x):\n        return x\n    @staticmethod\n"
            "    def backward(ctx, g):\n        return g\n    @staticmethod\n"
            "    def jvp(ctx, g):\n        return g\n",
            10,
            "`forward` and `backward` only",
        ),
        ("import torch\ntorch.autograd.Function()\n", 2, "is a base class"),
        (FUNCTION.format(backward="        return torch.ones(10**6, 10**6)"), 8, "elements"),
        (FUNCTION.format(backward="        return g, g"), 10, "returned an incorrect number"),
        (
            FUNCTION.format(backward="        return g * ctx.beta").replace(
                "return x * 2", "if x.sum() > 100:\n            ctx.beta = 3\n        return x * 2"
            ),
            10,
            "set it in forward first",
        ),
        (FUNCTION.format(backward="        return g.nonsense()"), 8, "not available"),
    ],
)
def test_misuse_gets_a_located_error(source: str, line: int, fragment: str) -> None:
    assert_refused_at(source, line, fragment, traced=True)


IN_A_MODULE = textwrap.dedent(
    """
    import torch
    from torch import nn
    from torch.utils.data import Dataset, DataLoader

    class ClampGrad(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, limit):
            ctx.limit = limit
            return x.clone()

        @staticmethod
        def backward(ctx, grad):
            return grad.clamp(-ctx.limit, ctx.limit), None

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 1)
            self.grads = []

        def keep(self, grad):
            self.grads.append(grad.norm().item())

        def forward(self, x):
            h = self.fc(x)
            h.register_hook(self.keep)
            return ClampGrad.apply(h, 0.01)

    class Points(Dataset):
        def __init__(self):
            self.x = torch.randn(12, 2)
        def __len__(self):
            return 12
        def __getitem__(self, i):
            return {"x": self.x[i], "y": self.x[i].sum()}

    torch.manual_seed(0)
    net = Net()
    loader = DataLoader(Points(), batch_size=4)
    for batch in loader:
        out = net(batch["x"]).squeeze(1)
        loss = ((out - batch["y"]) ** 2).mean()
        loss.backward()
    print(len(net.grads), round(sum(net.grads), 4))
    print(net.fc.weight.grad)
    """
)


def test_a_function_in_a_modules_forward_with_a_hook_and_a_dict_dataset(tmp_path: Path) -> None:
    """A gradient-clipping Function in `forward`, a hook keeping gradient norms on the module,
    batches of dicts from a Dataset class: what Python prints; the graph shows the clipped
    gradient arriving at h."""
    expected, _ = python_prints(IN_A_MODULE, tmp_path)
    assert gradviz_prints(IN_A_MODULE) == expected
    nodes = trace(IN_A_MODULE).graph.nodes
    h = next(n for n in nodes if n.name == "h")
    assert h.grad is not None and float(h.grad.abs().max()) <= 0.01 + 1e-7
    assert [n.op for n in nodes if n.defined_by == "ClampGrad"] == ["ClampGradBackward"]
