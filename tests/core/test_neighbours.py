"""Arrow keys on the graph: each moves to a neighbour drawn that way, on the layout dot made."""

from __future__ import annotations

import math

import pytest

from gradviz.autograd.tracer import trace
from gradviz.render.dot import RenderOptions
from gradviz.render.neighbours import CONE, related, step_towards
from gradviz.render.scene import layout_scene

UP, DOWN, LEFT, RIGHT = (0.0, -1.0), (0.0, 1.0), (-1.0, 0.0), (1.0, 0.0)
PROGRAM = "x = 2.0\ny = 3.0\nz1 = x*y\nz2 = exp(z1)\nz3 = z1 + z2\nf = z3 * y\n"


def _that_way(centres, a: str, b: str, direction) -> bool:  # type: ignore[no-untyped-def]
    (xa, ya), (xb, yb) = centres[a], centres[b]
    vx, vy = xb - xa, yb - ya
    length = math.hypot(vx, vy)
    cos = (vx * direction[0] + vy * direction[1]) / length if length else -1.0
    return math.degrees(math.acos(max(-1.0, min(1.0, cos)))) <= CONE


def _laid_out(orientation: str):  # type: ignore[no-untyped-def]
    graph = trace(PROGRAM).graph
    scene = layout_scene(graph, RenderOptions(orientation=orientation))
    centres = {
        key: (x + w / 2, y + h / 2)
        for key, item in scene.nodes.items()
        for x, y, w, h in [item.bbox]
    }
    edges = [(e.src, e.dst) for e in graph.edges]
    return graph, centres, edges


@pytest.mark.parametrize(
    ("orientation", "inward", "outward"), [("TB", UP, DOWN), ("LR", LEFT, RIGHT)]
)
def test_towards_the_inputs_and_towards_the_output(orientation: str, inward, outward) -> None:  # type: ignore[no-untyped-def]
    graph, centres, edges = _laid_out(orientation)
    for node in graph.nodes:
        operands = {e.src for e in graph.inputs_of(node.id)}
        consumers = {e.dst for e in graph.consumers_of(node.id)}
        near = related(node.id, edges)
        assert operands | consumers <= near
        for direction, targets in ((inward, operands), (outward, consumers)):
            moved = step_towards(node.id, direction, centres, near)
            if any(_that_way(centres, node.id, t, direction) for t in targets):
                # a neighbour that way: the move goes to a related node drawn that way
                assert moved in near and _that_way(centres, node.id, moved, direction)
            if moved is not None:
                assert _that_way(centres, node.id, moved, direction)
    # from the output towards the inputs, step by step: every step to an operand drawn
    # that way, ending at a leaf
    seen = []
    key: str | None = graph.output
    while key is not None and key not in seen:
        seen.append(key)
        key = step_towards(key, inward, centres, related(key, edges))
    assert graph.node(seen[-1]).kind in ("input", "param", "const") and len(seen) >= 3


def test_a_step_lies_within_the_cone_and_siblings_are_side_by_side() -> None:
    centres = {"a": (0.0, 0.0), "b": (100.0, 0.0), "c": (50.0, 100.0), "far": (-400.0, 5.0)}
    edges = [("a", "c"), ("b", "c")]
    assert step_towards("a", RIGHT, centres, related("a", edges)) == "b"  # its sibling
    assert step_towards("b", LEFT, centres, related("b", edges)) == "a"
    assert step_towards("a", DOWN, centres, related("a", edges)) == "c"
    assert step_towards("c", UP, centres, related("c", edges)) in {"a", "b"}
    # nothing related that way: the nearest node of all that lies that way
    assert step_towards("a", LEFT, centres, related("a", edges)) == "far"
    assert step_towards("a", UP, centres, related("a", edges)) is None  # nothing up there
    assert step_towards("missing", UP, centres, set()) is None
    assert 0 < CONE < 90
