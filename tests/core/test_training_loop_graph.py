"""A program that calls backward at every step of a loop shows the last step's graph, built once
at the end: its values are those of that step even though optimizer.step() and in-place writes
changed the tensors afterwards, and its gradients are torch's, computed here independently."""

from __future__ import annotations

import torch
from torch import nn

from gradviz.autograd import tracer as tracer_module
from gradviz.autograd.tracer import trace
from gradviz.nets.replay import replay_loss

LOOP = """
torch.manual_seed(4)
model = nn.Linear(3, 2)
optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
X = torch.randn(6, 3)
Y = torch.randn(6, 2)
for step in range(4):
    optimizer.zero_grad()
    out = model(X)
    loss = ((out - Y) ** 2).mean()
    loss.backward()
    optimizer.step()
"""


def _last_step_in_torch(
    extra_write: bool = False,
) -> tuple[dict[str, torch.Tensor], torch.Tensor, torch.Tensor]:
    """The same loop in plain torch: weights, X and loss as they were at the last step, and
    the gradients of that step."""
    torch.manual_seed(4)
    model = nn.Linear(3, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    X = torch.randn(6, 3)
    Y = torch.randn(6, 2)
    for _ in range(4):
        optimizer.zero_grad()
        before = {k: v.detach().clone() for k, v in model.named_parameters()}
        loss = ((model(X) - Y) ** 2).mean()
        loss.backward()
        grads = {k: v.grad.clone() for k, v in model.named_parameters()}  # type: ignore[union-attr]
        optimizer.step()
    return {**before, **{f"grad.{k}": g for k, g in grads.items()}}, X.clone(), loss.detach()


def test_the_last_steps_values_and_gradients_despite_the_step_after_it() -> None:
    graph = trace(LOOP).graph
    expected, X, loss = _last_step_in_torch()
    weight = next(n for n in graph.nodes if n.param_path == "model.weight")
    bias = next(n for n in graph.nodes if n.param_path == "model.bias")
    torch.testing.assert_close(weight.value, expected["weight"])
    torch.testing.assert_close(bias.value, expected["bias"])
    torch.testing.assert_close(weight.grad, expected["grad.weight"])
    torch.testing.assert_close(bias.grad, expected["grad.bias"])
    transposed = next(n for n in graph.nodes if n.op == "TBackward0")
    torch.testing.assert_close(transposed.value, expected["weight"].T)  # a view of the weight
    out = next(n for n in graph.nodes if n.name == "out")
    torch.testing.assert_close(out.value, X @ expected["weight"].T + expected["bias"])
    torch.testing.assert_close(graph.node(graph.output or "").value, loss)
    addmm = next(n for n in graph.nodes if n.op == "AddmmBackward0")
    assert addmm.call is not None  # what the chain-rule panel multiplies by
    torch.testing.assert_close(addmm.call.args[2], expected["weight"].T)


def test_the_replayed_loss_at_the_traced_weights_is_the_traced_loss() -> None:
    graph = trace(LOOP).graph
    replay, base = replay_loss(graph)
    with torch.no_grad():
        torch.testing.assert_close(replay(base), graph.node(graph.output or "").value)


def test_a_constant_written_in_place_afterwards_shows_as_it_was() -> None:
    graph = trace(LOOP + "X.mul_(10.0)\nY.zero_()\n").graph
    _, X, _ = _last_step_in_torch()
    constant = next(n for n in graph.nodes if n.kind == "const" and n.name == "X")
    torch.testing.assert_close(constant.value, X)
    out = next(n for n in graph.nodes if n.name == "out")
    assert out.value is not None and not torch.equal(out.value, torch.zeros_like(out.value))


def test_only_the_last_graph_is_built(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    built = []
    original = tracer_module.GraphBuilder.build

    def counting(self):  # type: ignore[no-untyped-def]
        built.append(self)
        return original(self)

    monkeypatch.setattr(tracer_module.GraphBuilder, "build", counting)
    trace(LOOP)
    assert len(built) == 1


BEFORE_THE_LOOP = """
torch.manual_seed(2)
b = 4.2
X = torch.randn(10, 2)
W = torch.randn(2, 2, requires_grad=True)
WT = W.T
y = X.sum(1) + b
w = torch.zeros(2, requires_grad=True)
for i in range(3):
    l = ((X @ WT @ w - y) ** 2).mean()
    l.backward()
    with torch.no_grad():
        w -= 0.1 * w.grad
        w.grad.zero_()
"""


def test_ops_made_before_the_loop_keep_their_names_and_values() -> None:
    """`y = X.sum(1) + b` and `WT = W.T` run once, above the loop, and save nothing for backward:
    every pass goes through them, the last one too, whose graph shows them named, with the
    values they were made with and the gradients of that pass (torch's, by hooks, here)."""
    graph = trace(BEFORE_THE_LOOP).graph
    torch.manual_seed(2)
    b = torch.tensor(4.2, requires_grad=True)
    X = torch.randn(10, 2)
    W = torch.randn(2, 2, requires_grad=True)
    WT = W.T
    y = X.sum(1) + b
    w = torch.zeros(2, requires_grad=True)
    seen: dict[str, list[torch.Tensor]] = {"y": [], "WT": [], "b": []}
    for name, tensor in (("y", y), ("WT", WT), ("b", b)):
        tensor.register_hook(lambda g, name=name: seen[name].append(g))  # type: ignore[misc]
    for _ in range(3):
        ((X @ WT @ w - y) ** 2).mean().backward()
        with torch.no_grad():
            w -= 0.1 * w.grad  # type: ignore[operator]
            w.grad.zero_()  # type: ignore[union-attr]
    for name, value in (("y", y), ("WT", WT)):
        node = graph.find(name)
        assert node is not None and node.kind == "op", name
        torch.testing.assert_close(node.value, value.detach())
        torch.testing.assert_close(node.grad, seen[name][-1])
        assert node.line == (6 if name == "WT" else 7)  # lines of BEFORE_THE_LOOP (from 1)
    found_b = graph.find("b")
    assert found_b is not None
    torch.testing.assert_close(found_b.grad, seen["b"][-1])


GAN = """
torch.manual_seed(0)
G = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2))
D = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1))
opt_g = torch.optim.Adam(G.parameters(), lr=1e-3)
opt_d = torch.optim.Adam(D.parameters(), lr=1e-3)
bce = nn.BCEWithLogitsLoss()
real = torch.randn(16, 2) + 3
for step in range(3):
    z = torch.randn(16, 2)
    fake = G(z)
    d_loss = bce(D(real), torch.ones(16, 1)) + bce(D(fake.detach()), torch.zeros(16, 1))
    opt_d.zero_grad()
    d_loss.backward()
    opt_d.step()
    g_loss = bce(D(fake), torch.ones(16, 1))
    opt_g.zero_grad()
    g_loss.backward()
    opt_g.step()
"""


def test_a_gans_generator_pass_shows_the_generators_values() -> None:
    """The generator ran before the discriminator's backward pass; the generator's pass (the
    last) still shows its ops' values and gradients, torch's, computed here the same way."""
    graph = trace(GAN).graph
    torch.manual_seed(0)
    G = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2))
    D = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1))
    opt_g = torch.optim.Adam(G.parameters(), lr=1e-3)
    opt_d = torch.optim.Adam(D.parameters(), lr=1e-3)
    bce = nn.BCEWithLogitsLoss()
    real = torch.randn(16, 2) + 3
    for _ in range(3):
        fake = G(torch.randn(16, 2))
        fake.retain_grad()
        d_loss = bce(D(real), torch.ones(16, 1)) + bce(D(fake.detach()), torch.zeros(16, 1))
        opt_d.zero_grad()
        d_loss.backward()
        opt_d.step()
        g_loss = bce(D(fake), torch.ones(16, 1))
        opt_g.zero_grad()
        g_loss.backward()
        opt_g.step()
    node = graph.find("fake")
    assert node is not None and node.op == "AddmmBackward0"
    torch.testing.assert_close(node.value, fake.detach())
    torch.testing.assert_close(node.grad, fake.grad)
    relu = [n for n in graph.nodes if n.op == "ReluBackward0"]
    assert len(relu) == 2 and all(n.value is not None for n in relu)  # G's and D's
