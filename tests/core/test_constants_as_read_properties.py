"""Property-based: programs that read constants and a leaf, and write them in place between
the reads, draw every op's operands and value as torch computed them, operand by operand."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gradviz.autograd.graph import Graph
from gradviz.autograd.tracer import trace

START = {"c1": [1.0, -2.0, 0.5], "c2": [3.0, 0.25, -1.0], "w": [0.5, 1.5, -2.5]}
OPERANDS = ["c1", "c2", "w"]


@dataclass(frozen=True)
class Read:
    """`zK = left + right`: the leaf w or the previous z (so that every z requires grad),
    plus a constant or w."""

    left: str
    right: str


@dataclass(frozen=True)
class Write:
    """`target.add_(amount)` (under no_grad for the leaf w)."""

    target: str
    amount: float


Step = Read | Write


def steps() -> st.SearchStrategy[list[Step]]:
    read = st.builds(Read, st.sampled_from(["w", "prev"]), st.sampled_from(OPERANDS))
    write = st.builds(Write, st.sampled_from(OPERANDS), st.sampled_from([1.0, -0.5, 2.0, 10.0]))
    return st.lists(st.one_of(read, write), min_size=1, max_size=10).filter(
        lambda s: any(isinstance(x, Read) for x in s)
    )


def _left(step: Read, count: int) -> str:
    """The left operand's name in read number `count`: the previous z (w for the first)."""
    return (f"z{count - 1}" if count > 1 else "w") if step.left == "prev" else step.left


def source(program: list[Step]) -> str:
    lines = [
        f"c1 = torch.tensor({START['c1']})",
        f"c2 = torch.tensor({START['c2']})",
        f"w = torch.tensor({START['w']}, requires_grad=True)",
    ]
    count = 0
    for step in program:
        if isinstance(step, Read):
            count += 1
            lines.append(f"z{count} = {_left(step, count)} + {step.right}")
        elif step.target == "w":
            lines += ["with torch.no_grad():", f"    w.add_({step.amount})"]
        else:
            lines.append(f"{step.target}.add_({step.amount})")
    total = " + ".join(f"z{k}.sum()" for k in range(1, count + 1))
    return "\n".join([*lines, f"loss = {total}", "loss.backward()"]) + "\n"


Reads = dict[str, tuple[torch.Tensor, torch.Tensor, torch.Tensor]]


def reference(program: list[Step]) -> tuple[Reads, torch.Tensor]:
    """zK → (left as read, right as read, value), computed with torch step by step; and the
    leaf w as its first reader read it."""
    tensors = {k: torch.tensor(v) for k, v in START.items()}
    found: Reads = {}
    first_w: torch.Tensor | None = None
    count = 0
    for step in program:
        if isinstance(step, Read):
            count += 1
            left_name = _left(step, count)
            left = found[left_name][2] if left_name.startswith("z") else tensors[left_name]
            right = tensors[step.right]
            found[f"z{count}"] = (left.clone(), right.clone(), left + right)
            if first_w is None and "w" in (left_name, step.right):
                first_w = tensors["w"].clone()
        else:
            tensors[step.target].add_(step.amount)
    assert first_w is not None
    return found, first_w


def _node_value(graph: Graph, node_id: str | None) -> torch.Tensor:
    assert node_id is not None
    value = graph.node(node_id).value
    assert isinstance(value, torch.Tensor)
    return value


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps())
def test_operands_are_drawn_as_each_op_read_them(program: list[Step]) -> None:
    """The op nodes' values and operands always; the operand nodes too: a constant written
    between two reads is two nodes, each as read; the leaf is one node (its gradients
    accumulate in one .grad), drawn as its first reader read it."""
    graph = trace(source(program)).graph
    reads, first_w = reference(program)
    for name, (left, right, value) in reads.items():
        node = graph.find(name)
        assert node is not None and node.call is not None
        torch.testing.assert_close(node.value, value)
        torch.testing.assert_close(node.call.args[0], left)
        torch.testing.assert_close(node.call.args[1], right)
        for source_id, read in zip(node.call.arg_nodes, (left, right), strict=True):
            shown = graph.node(source_id)  # type: ignore[arg-type]
            expected = first_w if shown.kind == "input" else read
            torch.testing.assert_close(_node_value(graph, shown.id), expected)
