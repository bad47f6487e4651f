"""A weight a long loop reuses is drawn again beside its later uses, so the edges dot lays out
stay short (a 300-step loop's picture took dot over ten minutes), while a short loop's shared
weight and the lecture's fan-out are still one box (their gradient sums over the uses)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
import torch

from gradviz.autograd.graph import Graph
from gradviz.autograd.tracer import trace
from gradviz.lang.errors import ProgramError
from gradviz.render.copies import BUDGET, MAX_SPAN, base_id, plan_copies
from gradviz.render.dot import AGAIN, RenderOptions, build_dot
from gradviz.render.export import render_bytes
from gradviz.render.layout import layout_json, run_dot
from gradviz.render.scene import layout_scene, patch_scene

LOOP = """
x = torch.randn(4, 8)
w = torch.randn(8, 8, requires_grad=True)
h = x
for i in range({steps}):
    h = torch.tanh(h @ w) + 0.1 * h
loss = h.pow(2).mean()
loss.backward()
"""


def _loop(steps: int) -> Graph:
    return trace(LOOP.format(steps=steps)).graph


def _depths(graph: Graph) -> dict[str, int]:
    """Steps along the longest path from a leaf, from the graph's edges (the test's own)."""
    operands: dict[str, list[str]] = {}
    for edge in graph.edges:
        operands.setdefault(edge.dst, []).append(edge.src)
    depth: dict[str, int] = {}
    for node in graph.nodes:
        below = [depth[src] for src in operands.get(node.id, [])]
        depth[node.id] = max(below) + 1 if below else 0
    return depth


def test_a_weight_a_long_loop_reuses_is_drawn_again_beside_each_stretch_of_uses() -> None:
    graph = _loop(40)
    w = graph.find("w")
    assert w is not None
    plan = plan_copies(graph)
    uses = [i for i, e in enumerate(graph.edges) if e.src == w.id]
    assert len(uses) == 40 and len(plan.copies[w.id]) >= 5
    depth = _depths(graph)
    served: dict[str, list[int]] = {}  # DOT node → the depths of the consumers it serves
    for index in uses:
        served.setdefault(plan.sources.get(index, w.id), []).append(depth[graph.edges[index].dst])
    assert set(served) == {w.id, *plan.copies[w.id]}
    assert all(max(d) - min(d) <= MAX_SPAN for d in served.values())
    assert all(base_id(name) == w.id for name in served)


def _crossed(graph: Graph, sources: dict[int, str]) -> int:
    """Ranks the edges cross: an op drawn below its operands, a leaf or a copy just above the
    first use it serves."""
    depth = _depths(graph)
    fed = {edge.dst for edge in graph.edges}
    served: dict[str, list[int]] = {}
    for index, edge in enumerate(graph.edges):
        served.setdefault(sources.get(index, edge.src), []).append(depth[edge.dst])
    total = 0
    for name, found in served.items():
        at = depth[name] if name in fed else min(found) - 1
        total += sum(max(0, d - at - 1) for d in found)
    return total


def test_copies_bring_the_ranks_long_edges_cross_within_the_budget() -> None:
    op_fan_out = (
        "x = torch.randn(4, 8, requires_grad=True)\nu = x * 2\nh = torch.zeros(4, 8)\n"
        "for i in range(100):\n    h = torch.tanh(h + u)\nloss = h.sum()\n"
    )
    gathered = (  # each step's output, gathered by one torch.cat at the end (d2l's RNN)
        "W = torch.randn(8, 8, requires_grad=True)\nH = torch.zeros(2, 8)\nout = []\n"
        "for i in range(100):\n    H = torch.tanh(H @ W + 1)\n    out.append(H * 2)\n"
        "loss = torch.cat(out).sum()\n"
    )
    for graph in (_loop(40), _loop(300), trace(op_fan_out).graph, trace(gathered).graph):
        assert _crossed(graph, {}) > BUDGET
        plan = plan_copies(graph)
        assert plan.copies and _crossed(graph, plan.sources) <= BUDGET


def test_a_short_loop_s_shared_weight_is_one_box() -> None:
    graph = _loop(8)
    assert _crossed(graph, {}) <= BUDGET and plan_copies(graph).copies == {}


def test_the_lecture_s_fan_out_is_one_box() -> None:
    graph = trace("x = 2.0\ny = 3.0\nz1 = x * y\nz2 = exp(z1)\nf = z1 + z2\n").graph
    assert plan_copies(graph).copies == {}
    assert AGAIN not in build_dot(graph)


def test_the_copies_show_the_weight_s_value_and_gradient_and_say_what_they_are() -> None:
    graph = _loop(40)
    w = graph.find("w")
    assert w is not None and isinstance(w.grad, torch.Tensor)
    svg = ET.fromstring(render_bytes(graph, "svg"))
    texts = ["".join(t.itertext()) for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    copies = len(plan_copies(graph).copies[w.id])
    assert texts.count(AGAIN) == copies
    assert texts.count("w") == copies + 1  # each copy is titled w
    # every edge dot wrote starts at the node plan_copies chose
    dot = build_dot(graph)
    for name in plan_copies(graph).copies[w.id]:
        assert re.search(rf'"?{re.escape(name)}"? -> n\d+', dot)


def test_a_three_hundred_step_loop_lays_out_and_its_copies_draw_the_weight() -> None:
    graph = _loop(300)
    scene = layout_scene(graph, RenderOptions())
    w = graph.find("w")
    assert w is not None
    drawn = [key for key, item in scene.nodes.items() if item.key == w.id]
    assert len(drawn) == 1 + len(plan_copies(graph).copies[w.id]) > 1
    patched = patch_scene(scene, graph, RenderOptions(), same_structure=True)
    assert patched is not None and set(patched.nodes) == set(scene.nodes)
    assert "objects" in layout_json(build_dot(_loop(60)))


def test_a_layout_past_its_time_is_stopped_with_a_clear_message() -> None:
    """What copies cannot shorten (here: a layout given a hundredth of a second) is stopped
    and said, never left running."""
    with pytest.raises(ProgramError, match=r"Graphviz took more than 0.01 s .* was stopped"):
        run_dot(build_dot(_loop(300)), "svg", seconds=0.01)


CELL = """
from torch import nn
cell = nn.RNNCell(4, 8)
head = nn.Linear(8, 1)
h = torch.zeros(3, 8)
preds = []
for x in torch.randn({steps}, 3, 4):
    h = cell(x, h)
    preds.append(head(h))
loss = torch.stack(preds).pow(2).mean()
"""


def test_a_module_a_long_loop_calls_at_every_step_is_drawn_without_its_box() -> None:
    """nn.RNNCell over 100 steps: one box as tall as the picture, beside the head's, took dot
    over a minute; over 10 steps both boxes stay."""
    short, long = trace(CELL.format(steps=10)).graph, trace(CELL.format(steps=100)).graph
    assert {"cell", "head"} <= set(short.modules) and {"cell", "head"} <= set(long.modules)
    assert 'id="module-box-cell"' in build_dot(short)
    assert 'id="module-box-head"' in build_dot(short)
    dot = build_dot(long)
    assert "module-box-" not in dot
    assert "objects" in layout_json(dot)


def test_every_far_input_of_one_cat_is_drawn_the_same_way() -> None:
    """Once some of a torch.cat's inputs are copies beside it, all its far inputs are: not a
    row of copies beside long edges from the rest."""
    graph = trace(
        "W = torch.randn(8, 8, requires_grad=True)\nH = torch.zeros(2, 8)\nout = []\n"
        "for i in range(60):\n    H = torch.tanh(H @ W + 1)\n    out.append(H * 2)\n"
        "loss = torch.cat(out).sum()\n"
    ).graph
    cat = next(n for n in graph.nodes if n.op == "CatBackward0")
    depth = _depths(graph)
    plan = plan_copies(graph)
    far = [
        i
        for i, e in enumerate(graph.edges)
        if e.dst == cat.id and depth[cat.id] - depth[e.src] - 1 > MAX_SPAN
    ]
    assert len(far) > 40 and all(i in plan.sources for i in far)
