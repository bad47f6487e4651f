"""The scene description: the traced graph as a Graphviz DOT document with HTML-like labels.

The same DOT text is laid out once by `dot`; exports render it directly (png/svg/pdf) and the
app draws the `-Tjson` drawing operations of the same text, so both show the same picture.
"""

from __future__ import annotations

import itertools
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from html import escape

import graphviz
import torch

from gradviz.autograd.collapse import enclosing_module
from gradviz.autograd.graph import Graph
from gradviz.render.colors import MagnitudeScale, interpolate
from gradviz.render.copies import plan_copies, tall_modules
from gradviz.render.labels import NodeLabel, build_labels, format_number, gradient_scale
from gradviz.render.theme import LIGHT, Theme

NOTE_WIDTH = 90  # characters per line of a note under the graph


@dataclass(frozen=True)
class RenderOptions:
    """How to draw: theme, direction (TB top-down or LR left-right), which view."""

    theme: Theme = LIGHT
    orientation: str = "TB"
    view: str = "backward"  # "forward": values only; "backward": values and gradients
    dpi: float | None = None  # bitmap resolution (png); None leaves Graphviz's default
    legend: bool = True
    modules: bool = True  # group each nn.Module's nodes in a box named by its path

    @property
    def backward(self) -> bool:
        return self.view == "backward"


CURRENT_CLASS = "gradviz_current"  # (dot writes a hyphen as &#45; in SVG)
AGAIN = "drawn again here: the same tensor"  # the line a copy adds (render/copies.py)


def _text(value: str) -> str:
    return escape(value, quote=True)


def _font(text: str, *, face: str, size: float, colour: str, bold: bool = False) -> str:
    inner = f"<b>{_text(text)}</b>" if bold and text else _text(text)  # (dot refuses <b></b>)
    return f'<font face="{face}" point-size="{size:g}" color="{colour}">{inner}</font>'


def node_html(label: NodeLabel, theme: Theme, again: bool = False) -> str:
    """The HTML-like table of one node (every user-chosen text escaped); `again` marks a
    copy drawn beside far-away consumers (render/copies.py)."""
    style = ",".join(s for s, on in (("rounded", label.rounded), ("dashed", label.dashed)) if on)
    style_attr = f' style="{style}"' if style else ""
    title = _font(label.title, face=theme.font, size=theme.font_size, colour=theme.text, bold=True)
    subtitle = _font(label.subtitle, face=theme.font, size=theme.small_size, colour=theme.muted)
    value = _font(label.value_line, face=theme.mono, size=theme.font_size, colour=theme.text)
    rows = [
        f'<tr><td align="left" balign="left">{title}</td><td align="right">{subtitle}</td></tr>',
        f'<tr><td colspan="2" align="left">{value}</td></tr>',
    ]
    if label.grad_line is not None:
        grad = _font(label.grad_line, face=theme.mono, size=theme.font_size, colour=label.grad_text)
        rows.append(
            f'<tr><td colspan="2" align="left" bgcolor="{label.grad_fill}">{grad}</td></tr>'
        )
    if label.alert:
        alert = _font(
            f"⚠ {label.alert}", face=theme.font, size=theme.small_size, colour=theme.alert
        )
        rows.append(f'<tr><td colspan="2" align="left">{alert}</td></tr>')
    if again:
        note = _font(AGAIN, face=theme.font, size=theme.small_size, colour=theme.muted)
        rows.append(f'<tr><td colspan="2" align="left">{note}</td></tr>')
    pad = 4 if theme.font_size < 20 else 7
    spacing = 2 if label.rounded else 0  # keeps the gradient band inside rounded corners
    return (
        f'<<table border="{label.border_width:g}" cellborder="0" cellspacing="{spacing}" '
        f'cellpadding="{pad}" bgcolor="{label.fill}" color="{label.border}"{style_attr}>'
        + "".join(rows)
        + "</table>>"
    )


def legend_html(
    graph: Graph, theme: Theme, options: RenderOptions, scale: MagnitudeScale | None = None
) -> str | None:
    """The key under the graph: gradient colour scale, node kinds and notes."""
    rows: list[str] = []
    small = theme.small_size
    scale = scale or gradient_scale(graph)
    if options.backward and not scale.empty:
        low, high = scale.ticks()
        cells = "".join(
            f'<td bgcolor="{interpolate(theme.palette, i / 8)}" width="{small * 1.6:g}"> </td>'
            for i in range(9)
        )
        caption = _font(
            "∇ = ∂output/∂node  ·  colour: |∇| (log scale)",
            face=theme.font,
            size=small,
            colour=theme.text,
        )
        lo = _font(format_number(low, 3), face=theme.mono, size=small, colour=theme.text)
        hi = _font(format_number(high, 3), face=theme.mono, size=small, colour=theme.text)
        rows.append(f'<tr><td colspan="3">{caption}</td></tr>')
        rows.append(
            f'<tr><td align="right">{lo}</td><td><table border="0" cellspacing="0" '
            f'cellpadding="0"><tr>{cells}</tr></table></td><td align="left">{hi}</td></tr>'
        )
    kinds = "rounded: leaf (blue input, amber parameter) · dashed: constant · bold: output"
    key = _font(kinds, face=theme.font, size=small, colour=theme.muted)
    rows.append(f'<tr><td colspan="3">{key}</td></tr>')
    for note in graph.notes:
        lines = "<br/>".join(
            _font(line, face=theme.font, size=small, colour=theme.text)
            for line in textwrap.wrap(note, NOTE_WIDTH) or [""]
        )
        rows.append(f'<tr><td colspan="3">{lines}</td></tr>')
    if not rows:
        return None
    return f'<<table border="0" cellspacing="2">{"".join(rows)}</table>>'


def edge_label(grad: torch.Tensor | None) -> str | None:
    """Scalar contributions are written on their edge (the terms of each gradient's sum)."""
    if grad is None or grad.numel() != 1:
        return None
    return format_number(float(grad.item()))


def _cluster(
    parent: graphviz.Digraph,
    graph: Graph,
    path: str,
    members: dict[str, list[str]],
    inside: dict[str | None, list[str]],
    theme: Theme,
    numbers: Iterator[int],
) -> None:
    """A dashed box around one module's nodes (parameters and the ops it ran), titled with its
    module path, holding the boxes of the modules inside it (a class's layers)."""
    with parent.subgraph(name=f"cluster_{next(numbers)}") as box:
        box.attr(
            id=f"module-box-{path}",  # the app finds the box by it (double-click folds it)
            label=f"{path} · {graph.modules[path]}",
            labeljust="l",
            style="rounded,dashed",
            color=theme.muted,
            fontcolor=theme.muted,
            fontname=theme.font,
            fontsize=f"{theme.small_size:g}",
            margin="10",
        )
        for member in members.get(path, []):
            box.node(member)
        for child in inside.get(path, []):
            if _holds_nodes(child, members, inside):
                _cluster(box, graph, child, members, inside, theme, numbers)


def _holds_nodes(
    path: str, members: dict[str, list[str]], inside: dict[str | None, list[str]]
) -> bool:
    """Whether a module's box would hold anything (a folded module's has nothing left)."""
    return bool(members.get(path)) or any(
        _holds_nodes(child, members, inside) for child in inside.get(path, [])
    )


def _box_of(module: str | None, modules: dict[str, str]) -> str | None:
    """The box a node of `module` sits in: its module's, else the nearest one around it (an op
    a container such as nn.Sequential ran sits in the box of the class that holds it)."""
    if module is None:
        return None
    return module if module in modules else enclosing_module(module, modules)


def _boxed(graph: Graph) -> dict[str, str]:
    """The modules drawn as boxes: all but the tall ones (render/copies.py)."""
    tall = tall_modules(graph)
    return {path: kind for path, kind in graph.modules.items() if path not in tall}


def build_dot(
    graph: Graph,
    options: RenderOptions | None = None,
    labels: dict[str, NodeLabel] | None = None,
    scale: MagnitudeScale | None = None,
    edge_texts: list[str | None] | None = None,
    current: str | None = None,
) -> str:
    """The DOT text of the picture for `graph` (with its node labels and gradient colour scale,
    where the caller made them already: each magnitude is a pass over a gradient; and each
    edge's label, where the caller chose them: a walk-through's placeholders). The node
    `current` gets the SVG class CURRENT_CLASS (a walk-through's step, outlined by a style)."""
    options = options or RenderOptions()
    theme = options.theme
    scale = scale or gradient_scale(graph)
    labels = labels or build_labels(graph, theme, options.backward, scale)
    dot = graphviz.Digraph("gradviz")
    graph_attr = {
        "rankdir": options.orientation,
        "bgcolor": theme.background,
        "fontname": theme.font,
        "fontcolor": theme.text,
        "nodesep": "0.35" if theme.font_size < 20 else "0.6",
        "ranksep": "0.45" if theme.font_size < 20 else "0.7",
        "pad": "0.25",
    }
    if options.dpi:
        graph_attr["dpi"] = f"{options.dpi:g}"
    legend = legend_html(graph, theme, options, scale) if options.legend else None
    if legend:
        graph_attr.update({"label": legend, "labelloc": "b", "labeljust": "c"})
    dot.attr("graph", **graph_attr)
    dot.attr("node", shape="plain", fontname=theme.font, fontcolor=theme.text)
    dot.attr(
        "edge",
        color=theme.edge,
        penwidth=f"{theme.pen_width:g}",
        arrowsize="0.8" if theme.font_size < 20 else "1.2",
        fontname=theme.mono,
        fontsize=f"{theme.small_size:g}",
        fontcolor=theme.edge_label,
    )
    boxed = _boxed(graph) if options.modules and graph.modules else {}
    grouped = bool(boxed)
    clusters: dict[str, list[str]] = {}
    plan = plan_copies(graph)
    for node in graph.nodes:
        html = node_html(labels[node.id], theme)
        box = _box_of(node.module, boxed) if grouped else None
        copies = plan.copies.get(node.id, [])
        if box is not None:
            clusters.setdefault(box, []).extend([node.id, *copies])
        if node.id == current:
            dot.node(node.id, label=html, **{"class": CURRENT_CLASS})
        else:
            dot.node(node.id, label=html)
        for copy in copies:
            dot.node(copy, label=node_html(labels[node.id], theme, again=True))
    if grouped:
        inside: dict[str | None, list[str]] = {}
        for path in boxed:
            inside.setdefault(enclosing_module(path, boxed), []).append(path)
        numbers = itertools.count()
        for path in inside.get(None, []):
            if _holds_nodes(path, clusters, inside):
                _cluster(dot, graph, path, clusters, inside, theme, numbers)
    for index, edge in enumerate(graph.edges):
        attrs: dict[str, str] = {"id": f"e{index}"}  # dot may reorder edges; ids keep track
        if edge_texts is not None:
            text = edge_texts[index]
        else:
            text = edge_label(edge.grad) if options.backward else None
        if text is not None:
            attrs["label"] = f" {text} "
        if edge.input_index is None:
            attrs["style"] = "dashed"
        dot.edge(plan.sources.get(index, edge.src), edge.dst, **attrs)
    source: str = dot.source
    return source
