"""Functions (`def`) and nn.Module subclasses (`class Net(nn.Module)`) defined by a program:
they run as Python runs them (the same source run by Python itself prints the same), their
values and gradients are torch's, their layers are named by module path, and misuse gets a
located error."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import torch
from torch import nn

from gradviz.autograd.tracer import trace
from gradviz.lang.errors import ProgramError
from gradviz.lang.interpreter import run_program
from gradviz.lang.parser import parse
from tests.core.same_as_python import assert_refused_at, gradviz_prints, python_prints

NET = textwrap.dedent(
    """
    import torch
    from torch import nn

    class Net(nn.Module):
        \"\"\"Two layers.\"\"\"

        def __init__(self, hidden: int = 16) -> None:
            super().__init__()
            self.fc1 = nn.Linear(2, hidden)
            self.fc2 = nn.Linear(hidden, 1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            h = torch.relu(self.fc1(x))
            return self.fc2(h)

    torch.manual_seed(0)
    X = torch.randn(50, 2)
    y = X.pow(2).sum(dim=1, keepdim=True)
    model = Net(hidden=8)
    loss = nn.MSELoss()(model(X), y)
    loss.backward()
    """
)


class TorchNet(nn.Module):
    """The same network written in Python, for the independent computation."""

    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(2, hidden)
        self.fc2 = nn.Linear(hidden, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(torch.relu(self.fc1(x)))


def test_a_module_class_traces_with_torchs_values_and_gradients() -> None:
    graph = trace(NET).graph
    torch.manual_seed(0)
    X = torch.randn(50, 2)
    y = X.pow(2).sum(dim=1, keepdim=True)
    model = TorchNet(8)
    hidden = torch.relu(model.fc1(X))
    hidden.retain_grad()
    loss = nn.MSELoss()(model.fc2(hidden), y)
    loss.backward()
    by_name = {n.name: n for n in graph.nodes}
    torch.testing.assert_close(by_name["loss"].value, loss.detach())
    for path, param in model.named_parameters():
        node = by_name[f"model.{path}"]
        assert node.kind == "param"
        torch.testing.assert_close(node.value, param.detach())
        torch.testing.assert_close(node.grad, param.grad)
    # the forward's local name `h` names its node, with the value and gradient torch has
    torch.testing.assert_close(by_name["h"].value, hidden.detach())
    torch.testing.assert_close(by_name["h"].grad, hidden.grad)
    assert {n.module for n in graph.nodes if n.op == "AddmmBackward0"} == {
        "model.fc1",
        "model.fc2",
    }


def test_a_function_traces_like_the_expression_it_returns() -> None:
    source = "x = 2.0\ny = 3.0\ndef f(a, b):\n    z1 = a * b\n    return z1 + exp(z1)\nf(x, y)\n"
    graph = trace(source).graph
    x = torch.tensor(2.0, requires_grad=True)
    y = torch.tensor(3.0, requires_grad=True)
    out = x * y + torch.exp(x * y)
    out.backward()
    by_name = {n.name: n for n in graph.nodes}
    torch.testing.assert_close(graph.node(graph.output).value, out.detach())
    torch.testing.assert_close(by_name["x"].grad, x.grad)
    torch.testing.assert_close(by_name["y"].grad, y.grad)
    assert by_name["z1"].op == "MulBackward0"
    assert [i.name for i in trace(source).run.inputs] == ["x", "y"]


TRAINING = textwrap.dedent(
    """
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    class MLP(nn.Module):
        def __init__(self, sizes, act=torch.tanh):
            super(MLP, self).__init__()
            self.layers = nn.ModuleList()
            for a, b in zip(sizes[:-1], sizes[1:]):
                self.layers.append(nn.Linear(a, b))
            self.scale = nn.Parameter(torch.ones(1))
            self.act = act
            self.depth = len(sizes) - 1

        def hidden(self, x):
            for layer in self.layers[:-1]:
                x = self.act(layer(x))
            return x

        def forward(self, x):
            if self.training:
                x = x * 1.0
            return self.layers[-1](self.hidden(x)) * self.scale

    def accuracy(logits, y, threshold=0.0):
        return ((logits > threshold).float() == y).float().mean()

    torch.manual_seed(0)
    model = MLP([2, 8, 8, 1])
    print(model)
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    X = torch.randn(64, 2)
    y = (X[:, 0] * X[:, 1] > 0).float().unsqueeze(1)
    for step in range(20):
        opt.zero_grad()
        loss = F.binary_cross_entropy_with_logits(model(X), y)
        loss.backward()
        opt.step()
        if step % 5 == 4:
            print(f"step {step + 1}: loss {loss.item():.6f}")
    model.eval()
    print("accuracy", accuracy(model(X), y).item(), "depth", model.depth)
    print(model.scale)
    """
)


def test_a_training_loop_over_a_module_class_prints_what_python_prints(tmp_path: Path) -> None:
    expected, _ = python_prints(TRAINING, tmp_path)  # the same source, run by Python itself
    assert gradviz_prints(TRAINING) == expected
    assert "step 20: loss" in expected


def test_locals_stay_in_their_function_and_globals_are_read() -> None:
    source = (
        "scale = 3\n"
        "def f(t, k=2):\n"
        "    scale = k * 10\n"
        "    return t * scale\n"
        "a = f(1)\nb = f(1, k=5)\nc = scale\n"
        "def g(t):\n    return t * scale\n"
        "d = g(2)\n"
        "def none():\n    pass\n"
        "e = none()\n"
    )
    env = run_program(parse(source)).env
    assert (env["a"], env["b"], env["c"], env["d"], env["e"]) == (20, 50, 3, 6, None)
    assert "k" not in env and "t" not in env


def test_a_model_kept_after_its_run_says_it_cannot_be_called() -> None:
    env = run_program(parse(NET)).env
    with pytest.raises(RuntimeError, match="no longer running"):
        env["model"](torch.ones(1, 2))


@pytest.mark.parametrize(
    ("source", "line", "fragment"),
    [
        ("def f(a, b):\n    return a + b\nf(1)\n", 3, "missing 1 required positional argument"),
        ("def f(a):\n    return a\nf(1, 2)\n", 3, "takes 1 positional argument but 2"),
        ("def f(a):\n    return a\nf(1, a=2)\n", 3, "multiple values"),
        ("def f(a):\n    return a + undefined\nf(1)\n", 2, "not defined"),
        (
            "class N(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
            "        self.fc = nn.Linear(3, 2)\n    def forward(self, x):\n"
            "        return self.fc(x)\nN()(torch.ones(4, 5))\n",
            6,
            "self.fc is Linear(3 → 2)",
        ),
        ("class N(nn.Module):\n    pass\nN()(1)\n", 3, "no `def forward"),
        ("class N(nn.Module):\n    pass\nN(3)\n", 3, "takes no arguments"),
        ("class N(nn.Module):\n    x += 1\n", 2, "and class attributes"),
        ("class N(nn.Module):\n    x, y = 1, 2\n", 2, "plain name"),
        ("class N(nn.Module):\n    x = 1\n    x = 2\n", 3, "defined twice"),
        ("class N(nn.Module):\n    x = 1\n    def x(self):\n        pass\n", 3, "defined twice"),
        ("class N(nn.Module):\n    training = False\n", 2, "a name of its base class"),
        ("class N(nn.Module):\n    pass\nN.size\n", 3, "on a N you made"),
        ("class N(nn.Module, object):\n    pass\n", 1, "nn.Module alone"),
        ("def f(x):\n    class N(nn.Module):\n        pass\n", 2, "top level"),
        ("return 1\n", 1, "outside a function"),
        ("super().__init__()\n", 1, "super()"),
        ("class N(nn.Module):\n    def forward():\n        return 1\n", 2, "`self`"),
        ("nn.Module()\n", 1, "base class"),
        (
            "class N(nn.Module):\n    def forward(self, x):\n        return x\nN.forward(1)\n",
            4,
            "on a N you made",
        ),
    ],
)
def test_misuse_gets_a_located_error(source: str, line: int, fragment: str) -> None:
    assert_refused_at(source, line, fragment, traced=True)


def test_endless_recursion_stops_at_the_call_depth_limit() -> None:
    with pytest.raises(ProgramError, match="calls deep") as info:
        trace("def f(t):\n    return f(t) + 1\nf(2.0)\n")
    assert info.value.line == 2 and info.value.col == 12


def test_annotations_are_never_evaluated() -> None:
    """A parameter's annotation names what the language would refuse: it is dropped unread."""
    source = "def f(t: open, u: 'eval') -> exec:\n    return t + u\nv = f(1, 2)\n"
    result = run_program(parse(source))
    assert result.env["v"] == 3


GRAD_MODE_DECORATORS = textwrap.dedent(
    """
    import torch
    from torch import nn, no_grad

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    X = torch.randn(10, 3)
    y = torch.randint(0, 2, (10,))


    @torch.no_grad()
    def accuracy(model, X, y):
        out = model(X)
        return (out.argmax(dim=1) == y).float().mean().item(), out.requires_grad


    @no_grad
    def evaluate(model, X):
        return model(X).requires_grad


    class Wrapper(nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        @torch.inference_mode()
        def predict(self, x):
            return self.inner(x).argmax(dim=1)

        @torch.enable_grad()
        def forward(self, x):
            return self.inner(x)


    w = Wrapper(model)
    print(accuracy(model, X, y), evaluate(model, X), w.predict(X).tolist())
    with torch.no_grad():
        print(w(X).requires_grad)
    with torch.inference_mode():
        print(model(X).requires_grad)
    """
)


def test_grad_mode_decorators_run_as_python_runs_them(tmp_path: Path) -> None:
    expected, _ = python_prints(GRAD_MODE_DECORATORS, tmp_path)
    assert gradviz_prints(GRAD_MODE_DECORATORS) == expected
    assert expected.splitlines()[1:] == ["True", "False"]  # enable_grad inside no_grad


@pytest.mark.parametrize(
    "decorators", ["@staticmethod", "@torch.no_grad\n@torch.no_grad", "@nn.no_grad()",
                   "@torch.no_grad(False)", "@torch.cuda.no_grad()"]
)  # fmt: skip
def test_other_decorators_are_refused(decorators: str) -> None:
    source = f"{decorators}\ndef f(t):\n    return t\n"
    with pytest.raises(ProgramError, match="decorators are not supported"):
        parse(source)


KEYWORD_ONLY = textwrap.dedent(
    """
    import torch
    from torch import nn


    def scaled(x, *, scale=2.0, shift):
        return x * scale + shift


    class Masked(nn.Module):
        def __init__(self, n, *, bias=True):
            super().__init__()
            self.fc = nn.Linear(n, n, bias=bias)

        def forward(self, x, *, mask=None):
            out = self.fc(x)
            return out if mask is None else out * mask


    torch.manual_seed(0)
    m = Masked(3, bias=False)
    x = torch.ones(2, 3)
    print(scaled(3, shift=1), scaled(3, shift=0, scale=-1.0))
    print(m(x).shape, m(x, mask=torch.zeros(2, 3)).abs().sum().item(), m.fc.bias)
    """
)


def test_keyword_only_parameters_bind_as_in_python(tmp_path: Path) -> None:
    expected, _ = python_prints(KEYWORD_ONLY, tmp_path)
    assert gradviz_prints(KEYWORD_ONLY) == expected
    assert expected.splitlines()[0] == "7.0 -3.0"


@pytest.mark.parametrize(
    ("call", "words"),
    [
        ("f(1)", "f() missing 1 required keyword-only argument: 'b'"),
        ("f(1, 2)", "f() takes 1 positional argument but 2 were given"),
        ("f(1, b=2, d=3)", "f() got an unexpected keyword argument 'd'"),
    ],
)
def test_keyword_only_misuse_gets_pythons_words(call: str, words: str) -> None:
    source = f"def f(a, *, b, c=3):\n    return a + b + c\ny = {call}\n"
    with pytest.raises(ProgramError) as caught:
        run_program(parse(source))
    assert caught.value.line == 3 and words in caught.value.message


def test_positional_only_parameters_are_refused() -> None:
    with pytest.raises(ProgramError, match="positional-only"):
        parse("def f(a, /, b):\n    return a\n")
