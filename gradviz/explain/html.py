"""A step of the walk-through in words, as HTML (every name escaped): the chain rule at the
node for a backward step, the value for a forward one, the stack and cache for the recursion."""

from __future__ import annotations

from html import escape

from gradviz.autograd.graph import Graph
from gradviz.explain.chain import Explanation, explain
from gradviz.explain.steps import FORWARD, RECURSIVE, Step
from gradviz.render.labels import tensor_text


def step_html(graph: Graph, step: Step, mode: str, muted: str = "#555555") -> str:
    """What the player's chain-rule panel shows at `step` of a walk in `mode` (the operands'
    line in the theme's `muted` colour)."""
    if step.node_id is None:
        return ""
    node = graph.node(step.node_id)
    if mode == FORWARD:
        inputs = ", ".join(
            escape(graph.node(e.src).name or graph.node(e.src).label)
            for e in graph.inputs_of(node.id)
        )
        return (
            f"<h3>{escape(node.name or node.label)} = {escape(node.op or '')}({inputs})</h3>"
            f"<p>value: <b>{escape(tensor_text(node.value))}</b></p>"
        )
    if mode == RECURSIVE:
        stack = " → ".join(escape(graph.node(n).name or n) for n in step.stack) or "(empty)"
        cache = ", ".join(escape(graph.node(n).name or n) for n in step.cache) or "(empty)"
        return f"<p><b>recursion stack</b>: {stack}</p><p><b>cache</b>: {cache}</p>"
    if step.index == 0:
        return "<p>The backward pass starts at the output: ∂out/∂out = 1.</p>"
    return explanation_html(explain(graph, node), muted)


def explanation_html(explanation: Explanation, muted: str = "#555555") -> str:
    """The chain rule at one node as HTML (escaped): arriving sum, rule, numbers, result."""
    parts = [f"<h3>{escape(explanation.heading)}</h3>"]
    for line in explanation.inputs:
        parts.append(f"<p style='color:{escape(muted)}'>{escape(line)}</p>")
    if explanation.arriving_total:
        terms = " + ".join(
            f"{escape(v)} <i>(from {escape(n)})</i>" for n, v in explanation.arriving
        )
        parts.append(f"<p><b>gradient arriving, summed over consumers</b>: {terms}</p>")
        parts.append(f"<p>= <b>{escape(explanation.arriving_total.split(' = ')[-1])}</b></p>")
    parts.append(f"<p>{escape(explanation.upstream)}</p>")
    if explanation.changed:  # a gradient hook replaced what arrived
        parts.append(f"<p><b>{escape(explanation.changed)}</b></p>")
    if explanation.fallback:
        parts.append(f"<p><i>{escape(explanation.fallback)}</i></p>")
    for term in explanation.terms:
        parts.append(
            f"<p>→ <b>{escape(term.operand)}</b>: {escape(term.partial)} {escape(term.local)}<br>"
            f"&nbsp;&nbsp;&nbsp;chain rule: {escape(term.product)}</p>"
        )
    return "".join(parts)
