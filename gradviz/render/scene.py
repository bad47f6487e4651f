"""Laying out a graph into a Scene, and updating its numbers in place when only values change."""

from __future__ import annotations

import dataclasses

from gradviz.autograd.graph import Graph
from gradviz.render.colors import MagnitudeScale
from gradviz.render.dot import RenderOptions, build_dot, edge_label
from gradviz.render.drawing import (
    Drawable,
    Scene,
    SceneItem,
    Shape,
    Text,
    room_in_box,
    scene_from_json,
)
from gradviz.render.labels import NodeLabel, build_labels, gradient_scale
from gradviz.render.layout import check_layout_size, layout_json


def layout_scene(graph: Graph, options: RenderOptions) -> Scene:
    """Lay out `graph` with `dot` and return what to draw (one `dot` call)."""
    check_layout_size(len(graph.nodes))
    scale = gradient_scale(graph)
    labels = build_labels(graph, options.theme, options.backward, scale)
    scene = scene_from_json(layout_json(build_dot(graph, options, labels, scale)))
    scene.labels = labels
    scene.edge_texts = [edge_label(e.grad) if options.backward else None for e in graph.edges]
    scene.structure = (graph.structure_key(), options)
    return scene


def _patch_node(item: SceneItem, old: NodeLabel, new: NodeLabel) -> SceneItem:
    texts = {old.value_line: new.value_line}
    if old.grad_line is not None and new.grad_line is not None:
        texts[old.grad_line] = new.grad_line
    out: list[Drawable] = []
    grad_index = next(
        (
            i
            for i, d in enumerate(item.drawables)
            if isinstance(d, Text) and d.text == old.grad_line
        ),
        None,
    )
    for i, d in enumerate(item.drawables):
        if isinstance(d, Text) and d.text in texts:
            colour = new.grad_text if d.text == old.grad_line else d.color
            # (a longer new text: the layout measured the old one, and the painter would
            # squeeze the new one into that, its letters narrowed, though the box had room)
            width = (
                max(d.width, room_in_box(d, item.bbox, 0.4 * d.size) / 1.08)
                if texts[d.text] != d.text
                else d.width
            )
            d = dataclasses.replace(d, text=texts[d.text], color=colour, width=width)
        elif (
            isinstance(d, Shape)
            and d.filled
            and grad_index is not None
            and i < grad_index
            and d.fill == old.grad_fill
        ):
            d = dataclasses.replace(
                d, fill=new.grad_fill, pen=new.grad_fill if d.pen == old.grad_fill else d.pen
            )
        out.append(d)
    return SceneItem(item.kind, item.key, out, item.bbox)


def patch_scene(
    scene: Scene,
    graph: Graph,
    options: RenderOptions,
    *,
    same_structure: bool = False,
    placeholder: str | None = None,
    scale: MagnitudeScale | None = None,
    missing: str = "∇ none",
    partial: frozenset[str] = frozenset(),
) -> Scene | None:
    """The same layout with `graph`'s new numbers, or None if the structure differs.

    A walk-through step passes `same_structure` (it is the laid-out graph with some numbers
    hidden), `placeholder` for edge labels not yet sent, the whole pass's colour `scale`, and
    the nodes whose gradient is a `partial` sum so far.
    """
    if not same_structure and scene.structure != (graph.structure_key(), options):
        return None
    labels = build_labels(graph, options.theme, options.backward, scale, missing, partial)
    for node_id, label in labels.items():
        old = scene.labels[node_id]
        if (label.title, label.subtitle, label.alert, label.grad_line is None) != (
            old.title, old.subtitle, old.alert, old.grad_line is None,
        ):  # fmt: skip
            return None  # a row appears or disappears: that needs a new layout
    nodes = {
        key: _patch_node(item, scene.labels[item.key], labels[item.key])
        for key, item in scene.nodes.items()
    }
    edge_texts = [edge_label(e.grad) if options.backward else None for e in graph.edges]
    if placeholder is not None:
        edge_texts = [
            new if new is not None or old is None else placeholder
            for new, old in zip(edge_texts, scene.edge_texts, strict=True)
        ]
    edges = []
    for item, old_text, new_text in zip(scene.edges, scene.edge_texts, edge_texts, strict=True):
        if (old_text is None) != (new_text is None):
            return None
        drawables = [
            dataclasses.replace(d, text=f" {new_text} ") if isinstance(d, Text) and new_text else d
            for d in item.drawables
        ]
        edges.append(SceneItem(item.kind, item.key, drawables, item.bbox))
    graph_item = scene.graph  # the legend's range may change; it is redrawn on the next layout
    return Scene(
        scene.width, scene.height, scene.background, nodes, edges, graph_item,
        labels, edge_texts, scene.structure, scene.clusters,
    )  # fmt: skip
