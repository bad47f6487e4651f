"""Folding an nn.Module's part of the graph into one node: its parameters and the ops it ran
become a single box showing what the module returned and the gradient that came back to it,
so a larger network reads as its layers. Plain data in, plain data out."""

from __future__ import annotations

from dataclasses import replace

from gradviz.autograd.graph import Graph, GraphEdge, GraphNode

FOLDED_PREFIX = "folded_"


def folded_id(path: str) -> str:
    return f"{FOLDED_PREFIX}{path}"


def _inside(module: str | None, path: str) -> bool:
    return module is not None and (module == path or module.startswith(path + "."))


def _owner(module: str | None, folded: list[str]) -> str | None:
    """The outermost folded module a node belongs to."""
    for path in folded:  # shortest first: an enclosing module wins over one inside it
        if _inside(module, path):
            return path
    return None


def enclosing_module(path: str, modules: dict[str, str]) -> str | None:
    """The nearest enclosing module the picture boxes (so the folded node sits in its box)."""
    parts = path.split(".")
    for end in range(len(parts) - 1, 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in modules:
            return candidate
    return None


def fold_modules(graph: Graph, paths: set[str] | frozenset[str]) -> Graph:
    """`graph` with every module in `paths` (and what is inside it) folded into one node.
    Paths the graph has no module for are ignored; with none left, `graph` itself."""
    folded = sorted((p for p in paths if p in graph.modules), key=lambda p: (p.count("."), p))
    if not folded:
        return graph
    owner = {node.id: _owner(node.module, folded) for node in graph.nodes}
    mapped = {nid: folded_id(path) if path else nid for nid, path in owner.items()}

    # a module's result: the last of its nodes that something outside it reads (or the output)
    result: dict[str, GraphNode] = {}
    for edge in graph.edges:
        path = owner.get(edge.src)
        if path and owner.get(edge.dst) != path:
            result[path] = graph.node(edge.src)
    for node in graph.nodes:
        path = owner[node.id]
        if path and node.id == graph.output:
            result[path] = node

    nodes: list[GraphNode] = []
    placed: set[str] = set()
    for node in graph.nodes:
        path = owner[node.id]
        if path is None:
            call = node.call
            if call is not None and any(mapped.get(a or "", a) != a for a in call.arg_nodes):
                # an operand folded away: the explanation names the module instead
                arg_nodes = tuple(mapped.get(a, a) if a else a for a in call.arg_nodes)
                node = replace(node, call=replace(call, arg_nodes=arg_nodes))
            nodes.append(node)
            continue
        if path in placed:
            continue
        placed.add(path)
        inner = [n for n in graph.nodes if owner[n.id] == path]
        shown = result.get(path) or inner[-1]
        count = f"{len(inner)} node{'' if len(inner) == 1 else 's'}"
        nodes.append(
            GraphNode(
                id=folded_id(path),
                kind="op",
                op=f"{graph.modules[path]} · {count} folded",
                name=path,
                value=shown.value,
                grad=shown.grad,
                sequence_nr=shown.sequence_nr,
                nonfinite_value=any(n.nonfinite_value for n in inner),
                nonfinite_grad=any(n.nonfinite_grad for n in inner),
                nonfinite_origin=any(n.nonfinite_origin for n in inner),
                grad_nonfinite_origin=any(n.grad_nonfinite_origin for n in inner),
                module=enclosing_module(path, graph.modules),
            )
        )

    edges: list[GraphEdge] = []
    seen: set[tuple[str, str]] = set()
    for edge in graph.edges:
        src, dst = mapped[edge.src], mapped[edge.dst]
        if src == dst or (src, dst) in seen:
            continue
        seen.add((src, dst))
        into_fold = dst != edge.dst
        edges.append(
            GraphEdge(src, dst, None if into_fold else edge.input_index, edge.output_nr, edge.grad)
        )

    order: list[str] = []
    for node_id in graph.backward_order:
        shown_id = mapped.get(node_id, node_id)
        if shown_id not in order:
            order.append(shown_id)
    output = mapped.get(graph.output, graph.output) if graph.output else None
    return Graph(
        nodes, edges, output, order, graph.device, list(graph.notes), graph.seed,
        dict(graph.modules),
    )  # fmt: skip
