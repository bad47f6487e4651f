"""Nodes drawn again beside far-apart consumers, where long edges would make dot's layout
slow: a weight a loop reuses at every step (an RNN's W_hh over 100 steps) sends an edge
across the picture to each use, and dot lays out each long edge rank by rank (a 300-step
loop took it over ten minutes; 50 steps, ten seconds). Graphs whose long edges are few keep
every node once: the lecture's fan-out, a residual connection, a short loop's shared weight
(whose gradient, the sum over its uses, is the point of the picture)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # (the app's canvas reads base_id before torch is loaded)
    from gradviz.autograd.graph import Graph

MAX_SPAN = 6  # steps a copied node's edges reach down before its next copy
BUDGET = 1500  # ranks long edges may cross in all (dot's time grows with them) before copies
TALL_BOX = 80  # steps a module's nodes may span and still be drawn in one box
COPY_MARK = "@"  # a copy's DOT name: the node's id, COPY_MARK, its number (`n0@1`)


@dataclass(frozen=True)
class CopyPlan:
    """Which DOT node each edge starts from, where that is a copy of its source."""

    sources: dict[int, str] = field(default_factory=dict)  # edge index → a copy's name
    copies: dict[str, list[str]] = field(default_factory=dict)  # node id → its copies' names


def base_id(name: str) -> str:
    """The graph node a DOT node draws (`n0` for its copy `n0@2`)."""
    return name.split(COPY_MARK, 1)[0]


def plan_copies(graph: Graph, max_span: int = MAX_SPAN, budget: int = BUDGET) -> CopyPlan:
    """Copies for the nodes whose long edges cost most, until the ranks long edges cross come
    within `budget` (depth: steps along the longest path from a leaf, roughly how dot ranks).
    A copied node's consumers are grouped into windows of `max_span` steps, the first served
    by the node itself, each later one by a copy drawn just above it: a weight reused at every
    step of a loop, or each step's output gathered by one `torch.cat` at the end."""
    depth = _depths(graph)
    fed = {edge.dst for edge in graph.edges}
    uses: dict[str, list[tuple[int, int]]] = {}  # node → (its consumer's depth, edge index)
    for index, edge in enumerate(graph.edges):
        uses.setdefault(edge.src, []).append((depth.get(edge.dst, 0), index))
    for found in uses.values():
        found.sort()
    # where dot draws each node: an op below its operands, a leaf just above its first use
    at = {src: depth.get(src, 0) if src in fed else found[0][0] - 1 for src, found in uses.items()}
    costs = {src: sum(max(0, d - at[src] - 1) for d, _ in found) for src, found in uses.items()}
    total = sum(costs.values())
    plan = CopyPlan()
    for src in sorted(costs, key=costs.__getitem__, reverse=True):
        if total <= budget:
            break
        found = uses[src]
        if found[-1][0] - at[src] - 1 <= max_span:
            continue  # every use is near: copies would shorten nothing
        total -= costs[src] - _window(src, found, at[src] + 1, max_span, plan)
    _alike(graph, depth, at, max_span, plan)
    return plan


def _alike(
    graph: Graph, depth: dict[str, int], at: dict[str, int], max_span: int, plan: CopyPlan
) -> None:
    """A consumer some of whose operands come from copies gets copies of its other far
    operands too: every input of one `torch.cat` drawn the same way, not some from afar."""
    served = {graph.edges[index].dst for index in plan.sources}
    for index, edge in enumerate(graph.edges):
        if edge.dst not in served or index in plan.sources:
            continue
        if depth.get(edge.dst, 0) - at.get(edge.src, 0) - 1 > max_span:
            copies = plan.copies.setdefault(edge.src, [])
            name = f"{edge.src}{COPY_MARK}{len(copies) + 1}"
            copies.append(name)
            plan.sources[index] = name


def _window(
    src: str, found: list[tuple[int, int]], first: int, max_span: int, plan: CopyPlan
) -> int:
    """Group `src`'s consumers (the first window starting at depth `first`, where the node
    itself serves them) into windows served by copies; returns the ranks left to cross."""
    start = first
    name: str | None = None
    left = 0
    for depth, index in found:
        if depth - start > max_span:
            start = depth
            copies = plan.copies.setdefault(src, [])
            name = f"{src}{COPY_MARK}{len(copies) + 1}"
            copies.append(name)
        if name is not None:
            plan.sources[index] = name
        left += max(0, depth - start)
    return left


def tall_modules(graph: Graph, limit: int = TALL_BOX) -> set[str]:
    """Modules whose nodes lie more than `limit` steps apart: a cell a loop calls at every
    step (an nn.RNNCell over 100 steps) would be one box as tall as the picture, beside its
    loop's other modules' boxes, which dot must keep whole rank by rank (over a minute)."""
    depth = _depths(graph)
    spans: dict[str, list[int]] = {}
    for node in graph.nodes:
        path = node.module
        while path:  # (a box holds the boxes inside it: their nodes count for it too)
            spans.setdefault(path, []).append(depth[node.id])
            path = path.rpartition(".")[0]
    return {path for path, found in spans.items() if max(found) - min(found) > limit}


def _depths(graph: Graph) -> dict[str, int]:
    """Each node's steps along the longest path from a leaf (nodes come in forward order)."""
    inputs: dict[str, list[str]] = {}
    for edge in graph.edges:
        inputs.setdefault(edge.dst, []).append(edge.src)
    depth: dict[str, int] = {}
    for node in graph.nodes:
        below = [depth.get(src, 0) for src in inputs.get(node.id, [])]
        depth[node.id] = 1 + max(below) if below else 0
    return depth
