"""Folding an nn.Module into one node: what it shows against torch computed here."""

from __future__ import annotations

import torch
from torch import nn

from gradviz.autograd.collapse import fold_modules, folded_id
from gradviz.autograd.tracer import trace
from gradviz.render.dot import build_dot

PROGRAM = """
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Sequential(nn.Linear(3, 1)))
loss_fn = nn.MSELoss()
X = torch.randn(4, 2)
loss = loss_fn(model(X) * 2, torch.zeros(4, 1))
loss.backward()
"""


def reference() -> dict[str, torch.Tensor]:
    """Each module's output and the gradient of the loss with respect to it."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Sequential(nn.Linear(3, 1)))
    X = torch.randn(4, 2)
    first = model[0](X)
    second = model[1](first)
    third = model[2](second)
    for t in (first, second, third):
        t.retain_grad()
    loss = nn.MSELoss()(third * 2, torch.zeros(4, 1))
    loss.backward()
    out = {"model.0": first, "model.1": second, "model.2.0": third}
    grads = {f"{k}.grad": v.grad for k, v in out.items()}
    return {**{k: v.detach() for k, v in out.items()}, **grads}  # type: ignore[dict-item]


def test_a_folded_module_shows_its_output_and_the_gradient_sent_back_to_it() -> None:
    graph = trace(PROGRAM).graph
    expected = reference()
    for path in ("model.0", "model.1", "model.2.0"):
        folded = fold_modules(graph, {path})
        node = folded.node(folded_id(path))
        assert node.name == path and "folded" in (node.op or "")
        torch.testing.assert_close(node.value, expected[path])
        torch.testing.assert_close(node.grad, expected[f"{path}.grad"])
        inside = [n for n in folded.nodes if n.module and n.module.startswith(path)]
        assert inside == [], "a folded module's own nodes are gone"
        assert folded_id(path) in folded.backward_order


def test_folding_keeps_the_connections_through_the_module() -> None:
    graph = trace(PROGRAM).graph
    folded = fold_modules(graph, {"model.0"})
    module = folded_id("model.0")
    x = next(n for n in folded.nodes if n.name == "X")
    assert any(e.src == x.id and e.dst == module for e in folded.edges)
    consumers = [folded.node(e.dst) for e in folded.edges if e.src == module]
    assert [c.op for c in consumers] == ["TanhBackward0"]
    # nothing dangles: every edge joins nodes of the folded graph
    ids = {n.id for n in folded.nodes}
    assert all(e.src in ids and e.dst in ids for e in folded.edges)
    assert folded.output in ids


def test_fold_everything_and_nothing() -> None:
    graph = trace(PROGRAM).graph
    assert fold_modules(graph, set()) is graph
    assert fold_modules(graph, {"no.such.module"}) is graph
    folded = fold_modules(graph, set(graph.modules))
    ops = [n for n in folded.nodes if n.kind == "op"]
    assert {n.id for n in ops} == {folded_id(p) for p in graph.modules} | {
        n.id for n in graph.nodes if n.kind == "op" and n.module is None
    }
    assert folded.output == folded_id("loss_fn")
    dot = build_dot(folded)
    assert "subgraph cluster_" not in dot  # no module is left open, so no boxes
    assert "Linear(2 → 3) · 4 nodes folded" in dot


def test_explanations_of_a_folded_graph_name_the_module() -> None:
    from gradviz.explain.chain import explain

    folded = fold_modules(trace(PROGRAM).graph, {"model.0"})
    for node in folded.nodes:
        if node.kind == "op":
            explain(folded, node)  # every node, the folded one too, is explained
    tanh = next(n for n in folded.nodes if n.op == "TanhBackward0")
    assert tanh.call is not None and tanh.call.arg_nodes[0] == folded_id("model.0")
    told = explain(folded, tanh)
    assert "model.0" in " ".join([*told.inputs, told.heading])
