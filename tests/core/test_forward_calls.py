"""Every op node's recorded forward call, re-run with torch, gives the node's value, and each
operand that is a node's value equals that node's (the chain-rule panel's numbers are the
graph's): over the examples and the corpus."""

from __future__ import annotations

import pytest
import torch

from gradviz.autograd.graph import Graph, GraphNode
from gradviz.autograd.tracer import trace
from gradviz.resources import examples
from tests.core import test_constants_as_read as constants
from tests.core import test_writes_through_views as views
from tests.core.corpus import CASES

RANDOM = ("bernoulli", "dropout", "rand", "normal", "uniform", "multinomial", "randperm")
PROGRAMS = (
    [(e.name, e.source) for e in examples()]
    + [(c.name, c.source) for c in CASES]
    + [
        ("written after read", constants.WRITTEN_AFTER),
        ("batch norm", constants.BATCH_NORM),
        ("step before backward", constants.STEP_BEFORE_BACKWARD),
        ("writes through views", views.SOURCE),
    ]
)


def _aten(op: str) -> object:
    _, name, overload = op.split(".")
    return getattr(getattr(torch.ops.aten, name), overload)


def _same(a: torch.Tensor, b: torch.Tensor) -> bool:
    if a.shape != b.shape:
        return False
    if not (a.is_floating_point() or a.is_complex()):
        return torch.equal(a, b)
    return torch.allclose(a.double(), b.double(), rtol=1e-4, atol=1e-5, equal_nan=True)


def _output(node: GraphNode, number: int) -> object:
    if number == 0:
        return node.value
    extra = node.extra_outputs
    return extra[number - 1].value if number - 1 < len(extra) else None


def _operands_are_their_nodes_values(graph: Graph, node: GraphNode, leaves: bool) -> None:
    """A tensor operand read from a node is that node's value, or a view of it (a named
    constant or a leaf is drawn whole: `x` though mm read x viewed as a row). Without
    `leaves`, operands read from leaves are not checked (a leaf is one node, drawn as its
    first reader read it, though the program may write it between two reads)."""
    call = node.call
    assert call is not None
    for arg, ref in zip(call.args, call.refs, strict=False):
        if not (isinstance(arg, torch.Tensor) and isinstance(ref, tuple) and len(ref) == 2):
            continue
        source = graph.node(ref[0])
        shown = _output(source, ref[1])
        assert isinstance(shown, torch.Tensor)
        if not leaves and source.kind in ("input", "param"):
            continue
        if source.kind == "op" and shown.shape == arg.shape:
            assert _same(arg, shown), f"{node.name}: operand from {source.name}"
        elif shown.numel() == arg.numel() and shown.is_contiguous() and arg.is_contiguous():
            assert _same(arg.reshape(shown.shape), shown), f"{node.name}: {source.name}"


def assert_calls_rerun(graph: Graph, name: str = "", leaves: bool = True) -> int:
    """Each op node has a value; each recorded call's operands are their nodes' values, and
    the call re-run with torch gives the node's value. Returns how many calls were re-run."""
    checked = 0
    for node in graph.nodes:
        if node.kind != "op":
            continue
        assert node.value is not None, f"{name}: {node.op} has no value"
        call = node.call
        if call is None:
            continue
        _operands_are_their_nodes_values(graph, node, leaves)
        if any(word in call.op for word in RANDOM):
            continue
        args = [a.clone() if isinstance(a, torch.Tensor) else a for a in call.args]
        result = _aten(call.op)(*args, **call.kwargs)  # type: ignore[operator]
        first = result[0] if isinstance(result, (tuple, list)) else result
        if isinstance(first, torch.Tensor) and isinstance(node.value, torch.Tensor):
            assert _same(first, node.value), f"{name}: {node.name} ({call.op})"
            checked += 1
    return checked


@pytest.mark.parametrize(("name", "source"), PROGRAMS, ids=[p[0] for p in PROGRAMS])
def test_each_recorded_call_rerun_gives_its_nodes_value(name: str, source: str) -> None:
    graph = trace(source).graph
    checked = assert_calls_rerun(graph, name)
    assert checked > 0 or not any(n.call for n in graph.nodes)
