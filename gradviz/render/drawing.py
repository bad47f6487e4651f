"""Graphviz's drawing operations as plain data (no torch, no Qt): what the app's canvas paints.

`dot -Tjson` returns, for the same DOT text the exports render, every polygon, curve and text
run it would draw; this module turns them into Shapes and Texts in scene coordinates (y down).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gradviz.render.copies import base_id

if TYPE_CHECKING:
    from gradviz.render.labels import NodeLabel

Point = tuple[float, float]


@dataclass(frozen=True)
class Shape:
    """A polygon, polyline, Bézier curve or ellipse, in scene coordinates (y down)."""

    kind: str  # "polygon" | "polyline" | "bezier" | "ellipse"
    points: tuple[Point, ...]  # ellipse: (centre, (rx, ry))
    filled: bool
    pen: str
    fill: str
    line_width: float = 1.0
    dash: str = "solid"


@dataclass(frozen=True)
class Text:
    """A run of text; (x, y) is the baseline point, `align` says which end x is."""

    x: float
    y: float
    align: str  # "l" | "c" | "r"
    width: float  # Graphviz's measured width (the space the layout gave it)
    text: str
    face: str
    size: float
    color: str
    bold: bool = False
    italic: bool = False


Drawable = Shape | Text


@dataclass
class SceneItem:
    """What one node or edge (or the graph itself) draws."""

    kind: str  # "node" | "edge" | "graph"
    key: str  # node id, edge index as text, or "graph"
    drawables: list[Drawable]
    bbox: tuple[float, float, float, float]  # x, y, width, height (scene coordinates)


@dataclass
class Scene:
    """The whole picture: size, background, and items for every node and edge."""

    width: float
    height: float
    background: str
    nodes: dict[str, SceneItem]
    edges: list[SceneItem]
    graph: SceneItem
    labels: dict[str, NodeLabel] = field(default_factory=dict)  # what each node's box says
    edge_texts: list[str | None] = field(default_factory=list)
    structure: tuple[object, ...] = ()
    clusters: dict[str, tuple[float, float, float, float]] = field(default_factory=dict)  # boxes


def room_in_box(text: Text, bbox: tuple[float, float, float, float], margin: float) -> float:
    """The width a text line may take inside its node's box (x, y, w, h), `margin` kept clear
    each side, given where it is anchored."""
    left, right = bbox[0], bbox[0] + bbox[2]
    if text.align == "l":
        room = right - text.x - margin
    elif text.align == "r":
        room = text.x - left - margin
    else:
        room = 2 * (min(text.x - left, right - text.x) - margin)
    return max(room, 0.0)


@dataclass
class _Pen:
    pen: str = "#000000"
    fill: str = "#000000"
    width: float = 1.0
    dash: str = "solid"
    face: str = "Times-Roman"
    size: float = 14.0
    flags: int = 0


def _style(pen: _Pen, style: str) -> None:
    if style.startswith("setlinewidth("):
        pen.width = float(style[len("setlinewidth(") : -1])
    elif style in ("solid", "dashed", "dotted"):
        pen.dash = style
    elif style == "bold":
        pen.width = 2.0


def parse_ops(ops: list[dict[str, Any]], height: float, pen: _Pen | None = None) -> list[Drawable]:
    """xdot operations (y up) to drawables (y down), resolving colours, fonts and styles."""
    state = dataclasses.replace(pen) if pen else _Pen()
    out: list[Drawable] = []

    def flip(points: list[list[float]]) -> tuple[Point, ...]:
        return tuple((float(x), height - float(y)) for x, y in points)

    for op in ops:
        kind = op.get("op")
        if kind == "c":
            state.pen = op["color"]
        elif kind == "C":
            state.fill = op["color"]
        elif kind == "S":
            _style(state, op["style"])
        elif kind == "F":
            state.face, state.size = op["face"], float(op["size"])
        elif kind == "t":
            state.flags = int(op["fontchar"])
        elif kind in ("P", "p", "L", "B", "b"):
            shape = {"P": "polygon", "p": "polygon", "L": "polyline", "B": "bezier", "b": "bezier"}
            out.append(
                Shape(
                    shape[kind],
                    flip(op["points"]),
                    kind in ("P", "b"),
                    state.pen,
                    state.fill,
                    state.width,
                    state.dash,
                )
            )
        elif kind in ("E", "e"):
            cx, cy, rx, ry = (float(v) for v in op["rect"])
            out.append(
                Shape(
                    "ellipse",
                    ((cx, height - cy), (rx, ry)),
                    kind == "E",
                    state.pen,
                    state.fill,
                    state.width,
                    state.dash,
                )
            )
        elif kind == "T":
            x, y = op["pt"]
            out.append(
                Text(
                    float(x),
                    height - float(y),
                    op["align"],
                    float(op["width"]),
                    op["text"],
                    state.face,
                    state.size,
                    state.pen,
                    bool(state.flags & 1),
                    bool(state.flags & 2),
                )
            )
    return out


def _bbox(drawables: list[Drawable]) -> tuple[float, float, float, float]:
    xs: list[float] = []
    ys: list[float] = []
    for d in drawables:
        if isinstance(d, Shape):
            if d.kind == "ellipse":
                (cx, cy), (rx, ry) = d.points
                xs += [cx - rx, cx + rx]
                ys += [cy - ry, cy + ry]
            else:
                xs += [p[0] for p in d.points]
                ys += [p[1] for p in d.points]
        else:
            xs += [d.x - d.width, d.x + d.width]
            ys += [d.y - d.size, d.y + d.size * 0.3]
    if not xs:
        return (0.0, 0.0, 0.0, 0.0)
    return (min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))


def scene_from_json(data: dict[str, Any]) -> Scene:
    """Build the Scene from `dot -Tjson` output."""
    _, _, width, height = (float(v) for v in data["bb"].split(","))
    background = data.get("bgcolor", "#ffffff")
    graph_ops = parse_ops(data.get("_draw_", []) + data.get("_ldraw_", []), height)
    gvid_to_name: dict[int, str] = {}
    nodes: dict[str, SceneItem] = {}
    clusters: dict[str, tuple[float, float, float, float]] = {}
    for obj in data.get("objects", []):
        if "nodes" in obj or "subgraphs" in obj or "pos" not in obj:
            # a cluster (an nn.Module's box): drawn with the graph, beneath the nodes
            graph_ops += parse_ops(obj.get("_draw_", []) + obj.get("_ldraw_", []), height)
            box_id = str(obj.get("id", ""))
            if box_id.startswith("module-box-") and "bb" in obj:
                x0, y0, x1, y1 = (float(v) for v in obj["bb"].split(","))
                clusters[box_id.removeprefix("module-box-")] = (x0, height - y1, x1 - x0, y1 - y0)
            continue
        gvid_to_name[int(obj["_gvid"])] = obj["name"]
        drawables = parse_ops(obj.get("_draw_", []) + obj.get("_ldraw_", []), height)
        cx, cy = (float(v) for v in obj["pos"].split(","))
        w, h = float(obj["width"]) * 72, float(obj["height"]) * 72
        # (a copy, `n0@1`, is keyed by its own name and draws the graph node `n0`)
        nodes[obj["name"]] = SceneItem(
            "node", base_id(obj["name"]), drawables, (cx - w / 2, height - cy - h / 2, w, h)
        )
    edges: list[SceneItem] = []
    listed = data.get("edges", [])
    # dot does not keep the order edges were written in: the id attribute says which is which.
    ordered = sorted(listed, key=lambda e: int(str(e.get("id", "e0"))[1:] or 0))
    for index, edge in enumerate(ordered):
        ops: list[dict[str, Any]] = []
        for part in ("_draw_", "_hdraw_", "_tdraw_", "_ldraw_", "_hldraw_", "_tldraw_"):
            ops.extend(edge.get(part, []))
        drawables = parse_ops(ops, height)
        edges.append(SceneItem("edge", str(index), drawables, _bbox(drawables)))
    graph_item = SceneItem("graph", "graph", graph_ops, (0.0, 0.0, width, height))
    return Scene(width, height, background, nodes, edges, graph_item, clusters=clusters)
