"""The chain rule at one node: the gradient arriving, the local rule, the numbers, the result."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from gradviz.autograd.failed_pass import stopped_in_failed_pass
from gradviz.autograd.graph import ForwardCall, Graph, GraphEdge, GraphNode
from gradviz.explain.rules import rule_for
from gradviz.render.labels import format_number, shape_text, tensor_text


@dataclass
class Term:
    """What one operand of the node receives."""

    operand: str  # "a = x"
    source: str | None  # the operand's node id
    partial: str  # "∂z/∂a = b"
    local: str  # "b = 3.0" (numbers) or "b: 5×3" (shapes)
    product: str  # "404.43 × 3.0 = 1213.3"
    computed: torch.Tensor | None  # by the rule, from the forward arguments
    recorded: torch.Tensor | None  # by PyTorch (the hook on this node)


@dataclass
class Explanation:
    node_id: str
    heading: str  # "z1 = x · y   (MulBackward0)"
    inputs: list[str] = field(default_factory=list)  # "B = w: 5×3 μ …" for tensor operands
    arriving: list[tuple[str, str]] = field(default_factory=list)  # (from node, value text)
    arriving_total: str = ""
    upstream: str = ""  # "∂out/∂z1 = 404.43"
    terms: list[Term] = field(default_factory=list)
    fallback: str | None = None
    changed: str = ""  # "6.0 arrived; a gradient hook on y made it 12.0"


def _text(value: torch.Tensor | float | None) -> str:
    if value is None:
        return "none"
    if isinstance(value, torch.Tensor) and value.numel() > 1:
        return f"{shape_text(tuple(value.shape))} {tensor_text(value)}"
    return tensor_text(value)


def _is_scalar(value: object) -> bool:
    return isinstance(value, (int, float)) or (
        isinstance(value, torch.Tensor) and value.numel() == 1
    )


def _name(graph: Graph, node_id: str | None, fallback: str, output_nr: int = 0) -> str:
    """A node by its name; output k > 0 of a multi-output op (a split's chunk k) by the name
    the program gave it, else as `z6[k]`."""
    if node_id is None:
        return fallback
    node = graph.node(node_id)
    base = node.name or node.label
    if output_nr > 0:
        extra = node.extra_outputs[output_nr - 1] if output_nr <= len(node.extra_outputs) else None
        return extra.name if extra is not None and extra.name else f"{base}[{output_nr}]"
    return base


def _output_nr(call: ForwardCall, index: int) -> int:
    """Which output of its node argument `index` is (from the call's refs)."""
    ref = call.refs[index] if index < len(call.refs) else None
    if isinstance(ref, tuple) and len(ref) == 2 and isinstance(ref[1], int):
        return ref[1]
    return 0


def arriving_sum(graph: Graph, node: GraphNode) -> tuple[list[tuple[str, str]], str]:
    """The contributions summed into this node's gradient, one per consuming edge."""
    parts = [
        (_name(graph, e.dst, "?"), _text(e.grad))
        for e in graph.consumers_of(node.id)
        if e.grad is not None and e.output_nr == 0
    ]
    total = f"{' + '.join(v for _, v in parts)} = {_text(node.grad)}" if len(parts) > 1 else ""
    return parts, total


def changed_by_hook(graph: Graph, node: GraphNode) -> str:
    """Where the gradient a node passed on is not the sum of what arrived (a hook the program
    registered on the tensor returned another): both, in words; else ""."""
    arrived = [
        e.grad for e in graph.consumers_of(node.id) if e.grad is not None and e.output_nr == 0
    ]
    if not arrived or node.grad is None:
        return ""
    try:
        total = torch.stack(torch.broadcast_tensors(*arrived)).sum(0)
        if total.shape == node.grad.shape and torch.allclose(
            total.to(node.grad.dtype), node.grad, rtol=1e-4, atol=1e-6, equal_nan=True
        ):
            return ""
    except RuntimeError:
        return ""
    name = node.name or node.label
    return f"{_text(total)} arrived; a gradient hook on {name} made it {_text(node.grad)}"


def explain(graph: Graph, node: GraphNode) -> Explanation:
    """How PyTorch's backward at `node` turned the arriving gradient into contributions."""
    name = node.name or node.label
    call = node.call
    rule = rule_for(call.op) if call is not None else None
    operands = rule.operands if rule else ("a", "b", "c")
    arg_names: list[str] = []
    if call is not None:
        for i, (arg, source) in enumerate(zip(call.args, call.arg_nodes, strict=False)):
            label = operands[i] if i < len(operands) else f"arg{i}"
            scalar = arg if isinstance(arg, (torch.Tensor, int, float)) else None
            default = _text(scalar) if _is_scalar(arg) else label
            shown = _name(graph, source, default, _output_nr(call, i))
            arg_names.append(f"{label} = {shown}")
    formula = rule.formula if rule else (call.name if call else node.op or "")
    if call is None and (node.op or "").endswith("CopySlices"):  # `y[0] = 10`, `y[1:] *= 3`
        written = next((e.src for e in graph.inputs_of(node.id) if e.input_index == 0), None)
        at = f" at line {node.line}" if node.line else ""
        formula = f"{_name(graph, written, 'its base', 0)}, written in place through a view{at}"
    if node.defined_by:  # the program's own autograd.Function: `MyExp.apply(z1)`
        sources = [e for e in graph.inputs_of(node.id) if e.input_index is not None]
        sources.sort(key=lambda e: e.input_index or 0)
        names = ", ".join(_name(graph, e.src, "?", e.output_nr) for e in sources)
        formula = f"{node.defined_by}.apply({names})"
    outputs = name  # a multi-output op whose outputs the program named: `a, b = split`
    if any(e.name for e in node.extra_outputs):
        count = 1 + len(node.extra_outputs)
        outputs = ", ".join(_name(graph, node.id, name, nr) for nr in range(count))
    heading = f"{outputs} = {formula}   ({node.op})"
    parts, total = arriving_sum(graph, node)
    result = Explanation(node.id, heading, [], parts, total, _upstream(graph, node, name))
    result.changed = changed_by_hook(graph, node)
    if call is not None:
        for i, arg in enumerate(call.args):
            if isinstance(arg, torch.Tensor) and arg.numel() > 1 and i < len(arg_names):
                viewed = " viewed as" if _reshaped(graph, call, i, arg) else ":"
                result.inputs.append(f"{arg_names[i]}{viewed} {_text(arg)}")
    if any(n.id == node.id for n in stopped_in_failed_pass(graph)):
        result.fallback = (
            f"PyTorch's {node.op} raised the error here: the gradient "
            "arrived, and nothing was sent on"
        )
        return result
    if call is None or rule is None or node.grad is None:
        at = f" (line {node.defined_line})" if node.defined_line else ""
        own = f"the program's own {node.defined_by}.backward{at}"
        by = own if node.defined_by else f"PyTorch's {node.op}"
        reached = any(g is not None for _, g in _output_grads(graph, node))
        result.fallback = f"computed by {by}" + (
            _sent(graph, node) if reached else " (no gradient reached it)"
        )
        return result
    try:
        computed = rule.compute(call.args, call.kwargs, _output(node), node.grad)
    except (NotImplementedError, RuntimeError, TypeError, IndexError):
        result.fallback = (
            f"computed by PyTorch's {node.op} (this use of it has no rule written here)"
        )
        return result
    edges = [e for e in graph.inputs_of(node.id) if e.input_index is not None]
    used: set[int] = set()
    for i, (partial, value) in enumerate(zip(rule.partials, computed, strict=False)):
        if partial is None or value is None:
            continue
        source = call.arg_nodes[i] if i < len(call.arg_nodes) else None
        if source is not None and graph.node(source).kind == "const":
            continue  # constants get no gradient
        recorded = _recorded(edges, source, used)
        if source is None and recorded is None:
            continue
        label = operands[i] if i < len(operands) else f"arg{i}"
        result.terms.append(
            Term(
                arg_names[i] if i < len(arg_names) else label,
                source,
                f"∂{name}/∂{label} = {partial}",
                _local(value, node.grad),
                _product(node.grad, value),
                value,
                recorded,
            )
        )
    return result


def _reshaped(graph: Graph, call: ForwardCall, index: int, arg: torch.Tensor) -> bool:
    """Whether operand `index` is its node's value in another shape: torch.matmul(x, w) with a
    vector x runs mm on x as a 1×5 matrix."""
    source = call.arg_nodes[index] if index < len(call.arg_nodes) else None
    if source is None or _output_nr(call, index) != 0:
        return False
    value = graph.node(source).value
    return isinstance(value, torch.Tensor) and tuple(value.shape) != tuple(arg.shape)


def _output_grads(graph: Graph, node: GraphNode) -> list[tuple[int, torch.Tensor | None]]:
    return [(nr, graph.output_grad(node, nr)) for nr in range(1 + len(node.extra_outputs))]


def _upstream(graph: Graph, node: GraphNode, name: str) -> str:
    """The gradient that arrived at the node's output; at each output that got one, for a
    multi-output op (`torch.linalg.svd(A).S`: at z1[1], its S, though none at U)."""
    if not node.extra_outputs:
        return f"∂out/∂{name} = {_text(node.grad)}"
    reached = [
        f"∂out/∂{_name(graph, node.id, name, nr)} = {_text(grad)}"
        for nr, grad in _output_grads(graph, node)
        if grad is not None
    ]
    return ";  ".join(reached) or f"∂out/∂{name} = {_text(None)}"


def _sent(graph: Graph, node: GraphNode) -> str:
    """ ": it sent 403.43 to z1": the contributions the hooks recorded, operand by operand."""
    sent = [
        f"{_text(e.grad)} to {_name(graph, e.src, '?', e.output_nr)}"
        for e in sorted(graph.inputs_of(node.id), key=lambda e: e.input_index or 0)
        if e.grad is not None and e.input_index is not None
    ]
    return f": it sent {', '.join(sent)}" if sent else ""


def _output(node: GraphNode) -> torch.Tensor:
    value = node.value
    return value if isinstance(value, torch.Tensor) else torch.tensor(float(value or 0.0))


def _recorded(edges: list[GraphEdge], source: str | None, used: set[int]) -> torch.Tensor | None:
    for index, edge in enumerate(edges):
        if edge.src == source and index not in used:
            used.add(index)
            return edge.grad
    return None


def _local(contribution: torch.Tensor, upstream: torch.Tensor) -> str:
    """The local derivative with numbers: contribution ÷ upstream, where both are scalars."""
    if contribution.numel() == 1 and upstream.numel() == 1 and float(upstream) != 0:
        return f"= {format_number(float(contribution) / float(upstream))}"
    return f"shape {shape_text(tuple(contribution.shape))}"


def _product(upstream: torch.Tensor, contribution: torch.Tensor) -> str:
    if contribution.numel() == 1 and upstream.numel() == 1 and float(upstream) != 0:
        local = float(contribution) / float(upstream)
        return (
            f"{format_number(float(upstream))} × {format_number(local)} = "
            f"{format_number(float(contribution))}"
        )
    return f"upstream {_text(upstream)}  →  sends {_text(contribution)}"
