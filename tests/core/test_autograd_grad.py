"""`torch.autograd.grad` in a program: it returns torch's gradients and leaves `.grad` alone, as
in Python; the tracer shows the pass as it shows a backward (d output / d node at every node it
reached, the inputs' gradients the ones grad returned); with create_graph the next pass draws
the graph of the gradient itself, with the values of the backward formula's ops."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import torch

from gradviz.autograd.graph import Graph, GraphNode
from gradviz.autograd.tracer import trace
from gradviz.lang.errors import ProgramError
from gradviz.lang.interpreter import run_program
from gradviz.lang.parser import parse
from tests.core.same_as_python import gradviz_prints, python_prints


def by_name(graph: Graph) -> dict[str, GraphNode]:
    return {n.name: n for n in graph.nodes if n.name}


def scalar(value: object) -> float:
    assert isinstance(value, torch.Tensor)
    return float(value)


FIRST_ORDER = textwrap.dedent(
    """
    import torch
    x = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
    w = torch.tensor(1.5, requires_grad=True)
    h = torch.tanh(w * x)
    loss = (h ** 2).sum()
    gx, gw = torch.autograd.grad(loss, (x, w))
    print(gx, gw, x.grad, w.grad)
    """
)


def test_grad_returns_torchs_gradients_and_leaves_grad_alone(tmp_path: Path) -> None:
    expected, _ = python_prints(FIRST_ORDER, tmp_path)
    assert gradviz_prints(FIRST_ORDER) == expected
    assert expected.rstrip().endswith("None None")


def test_the_traced_graph_holds_the_gradients_of_the_pass() -> None:
    graph = trace(FIRST_ORDER).graph
    x = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
    w = torch.tensor(1.5, requires_grad=True)
    wx = w * x
    wx.retain_grad()
    h = torch.tanh(wx)
    h.retain_grad()
    loss = (h**2).sum()
    loss.backward()
    nodes = by_name(graph)
    assert graph.output == nodes["loss"].id
    assert torch.allclose(nodes["x"].grad, x.grad)  # type: ignore[arg-type]
    assert torch.allclose(nodes["w"].grad, w.grad)  # type: ignore[arg-type]
    assert torch.allclose(nodes["h"].grad, h.grad)  # type: ignore[arg-type]
    assert torch.allclose(nodes["h"].value, h.detach())  # type: ignore[arg-type]
    mul = next(n for n in graph.nodes if n.op == "MulBackward0")
    assert torch.allclose(mul.grad, wx.grad)  # type: ignore[arg-type]
    assert len(graph.backward_order) == sum(n.kind == "op" for n in graph.nodes)


def test_grad_with_respect_to_an_intermediate() -> None:
    source = "x = 3.0\nh = x * 2\ny = h ** 2 + x\n(gh,) = torch.autograd.grad(y, h)\n"
    graph = trace(source).graph
    nodes = by_name(graph)
    assert scalar(nodes["h"].grad) == pytest.approx(12.0)  # dy/dh = 2h, h = 6
    assert scalar(run_program(parse(source)).env["gh"]) == pytest.approx(12.0)


SECOND_ORDER = textwrap.dedent(
    """
    x = torch.tensor(2.0, requires_grad=True)
    w = torch.tensor([1.0, -1.0, 0.5], requires_grad=True)
    y = x ** 3 + (w * x).sum()
    dy_dx, dy_dw = torch.autograd.grad(y, (x, w), create_graph=True)
    (d2y_dx2,) = torch.autograd.grad(dy_dx, x)
    """
)


def test_create_graph_draws_the_graph_of_the_gradient_with_its_values() -> None:
    result = trace(SECOND_ORDER)
    graph, env = result.graph, result.run.env
    x = torch.tensor(2.0, requires_grad=True)
    w = torch.tensor([1.0, -1.0, 0.5], requires_grad=True)
    (dy_dx,) = torch.autograd.grad(x**3 + (w * x).sum(), x, create_graph=True)
    (d2,) = torch.autograd.grad(dy_dx, x)
    nodes = by_name(graph)
    output = graph.node(graph.output)  # type: ignore[arg-type]
    assert output.name == "dy_dx"
    assert scalar(output.value) == pytest.approx(float(dy_dx.detach()))
    assert scalar(nodes["x"].grad) == pytest.approx(float(d2))  # 6x
    assert scalar(env["d2y_dx2"]) == pytest.approx(float(d2))
    ops = [n for n in graph.nodes if n.kind == "op"]
    assert ops and all(n.value is not None for n in ops)  # the backward formula's values
    pow_node = next(n for n in ops if n.op == "PowBackward0")
    assert scalar(pow_node.value) == pytest.approx(float(x.detach()) ** 2)


@pytest.mark.parametrize(
    ("source", "words"),
    [
        ("x = 2.0\ng = torch.autograd.grad(x * x)\n", "needs both"),
        ("x = 2.0\ng = torch.autograd.grad(x * x, x, colour=1)\n", "unexpected keyword"),
        ("x = 2.0\ng = torch.autograd.grad(x * x, x, is_grads_batched=True)\n",
         "is_grads_batched"),
        ("x = 2.0\ny = x * x\na = torch.autograd.grad(y, x)\nb = torch.autograd.grad(y, x)\n",
         "second time"),
        ("f = torch.autograd.graph\n", "gradviz draws for you"),
        ("x = 2.0\ng = torch.autograd.grad(2 * torch.ones(3), x)\n", "does not require grad"),
    ],
)  # fmt: skip
def test_misuse_of_grad_gets_a_located_error(source: str, words: str) -> None:
    line = source.count("\n")
    for runner in (run_program, trace):
        with pytest.raises(ProgramError) as caught:
            runner(parse(source))
        assert caught.value.line == line
        assert words in caught.value.message


@pytest.mark.parametrize("create_graph", [False, True])
def test_gradients_kept_in_a_list_count_against_the_memory_limit(create_graph: bool) -> None:
    from gradviz.lang.limits import Limits

    source = textwrap.dedent(
        f"""
        x = torch.ones(1000, 1000, requires_grad=True)
        keep = []
        for i in range(100):
            y = (x * 2).sum()
            (g,) = torch.autograd.grad(y, x, create_graph={create_graph})
            keep.append(g)
        """
    )
    limits = Limits(max_total_bytes=64 << 20)  # 16 gradients of 4 MB
    for runner in (run_program, trace):
        with pytest.raises(ProgramError) as caught:
            runner(parse(source), limits=limits)
        assert "limit is 64" in caught.value.message


PENALTY = textwrap.dedent(
    """
    torch.manual_seed(0)
    D = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1))
    x = torch.randn(3, 2, requires_grad=True)
    d = D(x)
    ones = torch.ones_like(d)
    grad = torch.autograd.grad(outputs=d, inputs=x, grad_outputs=ones, create_graph=True)[0]
    penalty = ((grad.norm(2, dim=1) - 1) ** 2).mean()
    penalty.backward()
    """
)


def test_a_gradient_penalty_draws_the_double_backward_with_torchs_gradients() -> None:
    """WGAN-GP's penalty: a loss of a gradient. Its graph holds the backward formulas' nodes
    (TanhBackwardBackward0), and every parameter's gradient is torch's."""
    graph = trace(PENALTY).graph
    torch.manual_seed(0)
    D = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))
    x = torch.randn(3, 2, requires_grad=True)
    d = D(x)
    (grad,) = torch.autograd.grad(d, x, torch.ones_like(d), create_graph=True)
    penalty = ((grad.norm(2, dim=1) - 1) ** 2).mean()
    penalty.backward()
    nodes = by_name(graph)
    assert scalar(nodes["penalty"].value) == pytest.approx(float(penalty.detach()))
    assert any(n.op == "TanhBackwardBackward0" for n in graph.nodes)
    assert torch.allclose(nodes["grad"].value, grad.detach())  # type: ignore[arg-type]
    for path, param in D.named_parameters():
        node = next((n for n in graph.nodes if n.param_path == f"D.{path}"), None)
        if param.grad is None or not param.grad.any():
            continue  # the last bias reaches no gradient of the input
        assert node is not None, path
        assert torch.allclose(node.grad, param.grad, atol=1e-6), path  # type: ignore[arg-type]


def test_positional_arguments_bind_as_in_pytorch(tmp_path: Path) -> None:
    """torch.autograd.grad's sixth parameter is only_inputs, its seventh allow_unused: a
    program passing them by position gets what Python gets."""
    source = textwrap.dedent(
        """
        import torch
        x = torch.tensor(2.0, requires_grad=True)
        z = torch.tensor(1.0, requires_grad=True)
        y = x * x
        print(torch.autograd.grad(y, [x, z], None, None, False, True, True))
        """
    )
    expected, _ = python_prints(source, tmp_path)
    assert gradviz_prints(source) == expected
    assert expected.strip() == "(tensor(4.), None)"
