"""Playing a traced graph step by step: the engine's backward order, the lecture's recursion,
or the forward pass. Every number shown comes from the trace (PyTorch's hooks)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch

from gradviz.autograd.failed_pass import stopped_in_failed_pass
from gradviz.autograd.graph import Graph, GraphNode
from gradviz.render.labels import tensor_text

BACKWARD, RECURSIVE, FORWARD = "backward", "recursive", "forward"


@dataclass(frozen=True)
class Step:
    """What the picture shows at one step."""

    index: int
    node_id: str | None  # the node this step is about
    caption: str
    grads: dict[str, torch.Tensor | None]  # gradients visible now (others: not reached yet)
    sent: frozenset[int]  # edges (indices into graph.edges) whose contributions are visible
    values: frozenset[str] | None = None  # forward: the nodes computed so far (None: all)
    stack: tuple[str, ...] = ()  # recursive: the calls in progress, outermost first
    cache: tuple[str, ...] = ()  # recursive: nodes whose gradient is known


def _name(graph: Graph, node_id: str) -> str:
    node = graph.node(node_id)
    return node.name or node.label


def _leaf_sums(graph: Graph, sent: set[int]) -> dict[str, torch.Tensor]:
    """Leaves accumulate .grad: the sum of the contributions that reached them so far."""
    sums: dict[str, torch.Tensor] = {}
    for index in sorted(sent):
        edge = graph.edges[index]
        node = graph.node(edge.src)
        if node.kind in ("input", "param") and edge.grad is not None:
            grad = edge.grad.reshape(node.grad.shape) if node.grad is not None else edge.grad
            sums[edge.src] = sums[edge.src] + grad if edge.src in sums else grad
    return sums


def backward_steps(graph: Graph) -> list[Step]:
    """One step per op node, in the order PyTorch's engine ran them (recorded by hooks)."""
    if graph.output is None:
        return []
    out = graph.node(graph.output)
    seed = f"start: ∂out/∂{_name(graph, out.id)} = {tensor_text(out.grad)}"
    steps = [Step(0, out.id, seed, {out.id: out.grad}, frozenset())]
    done: dict[str, torch.Tensor | None] = {out.id: out.grad}
    sent: set[int] = set()
    stopped = stopped_in_failed_pass(graph)
    total = len(graph.backward_order) + len(stopped)
    for k, node_id in enumerate(graph.backward_order, start=1):
        node = graph.node(node_id)
        done[node_id] = node.grad
        outgoing = [
            i for i, e in enumerate(graph.edges) if e.dst == node_id and e.input_index is not None
        ]
        sent.update(outgoing)
        targets = ", ".join(_name(graph, graph.edges[i].src) for i in outgoing) or "nothing"
        caption = (
            f"step {k}/{total}: {node.op} at {_name(graph, node_id)} sends gradients to {targets}"
        )
        steps.append(
            Step(k, node_id, caption, {**done, **_leaf_sums(graph, sent)}, frozenset(sent))
        )
    for k, node in enumerate(stopped, start=len(graph.backward_order) + 1):
        done[node.id] = node.grad  # what reached it (where all of it did)
        caption = (
            f"step {k}/{total}: backward() stopped at {_name(graph, node.id)} ({node.op}) with "
            "an error: the gradient reached it, but it sent none on"
        )
        steps.append(
            Step(k, node.id, caption, {**done, **_leaf_sums(graph, sent)}, frozenset(sent))
        )
    return steps


def forward_steps(graph: Graph) -> list[Step]:
    """Values appearing in execution order: leaves and constants first, then each op."""
    known = {n.id for n in graph.nodes if n.kind != "op"}
    steps = [
        Step(
            0,
            None,
            "start: the inputs, parameters and constants",
            {},
            frozenset(),
            frozenset(known),
        )
    ]
    ops = [n for n in graph.nodes if n.kind == "op"]  # graph order is forward order
    for k, node in enumerate(ops, start=1):
        known.add(node.id)
        result = f"{_name(graph, node.id)} = {tensor_text(node.value)}"
        caption = f"step {k}/{len(ops)}: {node.op} computes {result}"
        steps.append(Step(k, node.id, caption, {}, frozenset(), frozenset(known)))
    return steps


def recursive_steps(graph: Graph, start: str) -> list[Step]:
    """The lecture's algorithm from node `start`: grad(V) = Σ over consumers c of
    grad(c)·∂c/∂V, recursively, each gradient cached once computed."""
    events: list[tuple[str, str, tuple[str, ...], tuple[str, ...], set[int]]] = []
    cache: dict[str, torch.Tensor | None] = {}
    sent: set[int] = set()
    stack: list[str] = []

    def record(node_id: str, text: str) -> None:
        events.append((node_id, text, tuple(stack), tuple(cache), set(sent)))

    def grad(node_id: str) -> None:
        name = _name(graph, node_id)
        if node_id in cache:
            record(node_id, f"grad({name}) is cached: {tensor_text(cache[node_id])}")
            return
        node = graph.node(node_id)
        if node_id == graph.output:
            cache[node_id] = node.grad
            record(node_id, f"grad({name}) = 1: {name} is the output")
            return
        stack.append(node_id)
        consumers = [
            (i, e) for i, e in enumerate(graph.edges)
            if e.src == node_id and e.input_index is not None and e.grad is not None
        ]  # fmt: skip
        record(node_id, f"compute grad({name}): loop over its {len(consumers)} consumer(s)")
        for index, edge in consumers:
            grad(edge.dst)
            sent.add(index)
            consumer = _name(graph, edge.dst)
            record(
                node_id,
                f"G_{consumer} = grad({consumer}) · ∂{consumer}/∂{name} = {tensor_text(edge.grad)}",
            )
        cache[node_id] = node.grad
        terms = " + ".join(f"G_{_name(graph, e.dst)}" for _, e in consumers) or "0"
        record(node_id, f"grad({name}) = {terms} = {tensor_text(node.grad)}")
        stack.pop()

    grad(start)
    steps = []
    for k, (node_id, text, frames, cached, edges) in enumerate(events):
        shown = {n: graph.node(n).grad for n in cached}
        steps.append(
            Step(
                k,
                node_id,
                f"{k + 1}/{len(events)}: {text}",
                shown,
                frozenset(edges),
                None,
                frames,
                cached,
            )
        )
    return steps


def steps_for(graph: Graph, mode: str, start: str | None = None) -> list[Step]:
    if mode == FORWARD:
        return forward_steps(graph)
    if mode == RECURSIVE:
        leaf = start or next((n.id for n in graph.nodes if n.kind in ("input", "param")), None)
        return recursive_steps(graph, leaf) if leaf else []
    return backward_steps(graph)


def partial_at(graph: Graph, step: Step) -> frozenset[str]:
    """The nodes whose gradient shown at this step is a sum still waiting for a consumer's
    contribution (a leaf's .grad as the engine accumulates it)."""
    if step.values is not None:
        return frozenset()
    edges = enumerate(graph.edges)
    waiting = {edge.src for i, edge in edges if edge.grad is not None and i not in step.sent}
    return frozenset(node for node in waiting if step.grads.get(node) is not None)


def graph_at(graph: Graph, step: Step) -> Graph:
    """The graph as this step shows it: gradients only where they have been computed."""
    nodes: list[GraphNode] = []
    for node in graph.nodes:
        shown_grad = step.grads.get(node.id) if step.values is None else None
        hidden = step.values is not None and node.id not in step.values
        reached = step.values is None and node.id in step.grads
        extras = [  # a multi-output op's other outputs, staged alike
            dataclasses.replace(
                e, grad=e.grad if reached else None, value=None if hidden else e.value
            )
            for e in node.extra_outputs
        ]
        nodes.append(
            dataclasses.replace(
                node,
                grad=shown_grad,
                value=None if hidden else node.value,
                extra_outputs=extras,
            )
        )
    edges = [
        dataclasses.replace(edge, grad=edge.grad if i in step.sent else None)
        for i, edge in enumerate(graph.edges)
    ]
    return Graph(
        nodes,
        edges,
        graph.output,
        graph.backward_order,
        graph.device,
        graph.notes,
        graph.seed,
        graph.modules,  # (the module boxes: a step's picture drew none)
    )
