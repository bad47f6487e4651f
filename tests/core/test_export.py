"""Exports: each format is a valid file of its kind and shows the names, values and gradients."""

from __future__ import annotations

import json
import struct
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import torch

from gradviz.autograd.tracer import trace
from gradviz.render.dot import RenderOptions, build_dot, node_html
from gradviz.render.export import export, render_bytes
from gradviz.render.labels import NodeLabel, format_number
from gradviz.render.theme import LIGHT, get_theme

LECTURE = "x = 2.0\ny = 3.0\nz1 = x*y\nz2 = exp(z1)\nz3 = z1 + z2"


@pytest.fixture(scope="module")
def graph():  # type: ignore[no-untyped-def]
    return trace(LECTURE).graph


def expected_texts() -> list[str]:
    x = torch.tensor(2.0, requires_grad=True)
    y = torch.tensor(3.0, requires_grad=True)
    z1 = x * y
    z1.retain_grad()
    z3 = z1 + torch.exp(z1)
    z3.backward()
    return [
        "z1", "z3", "MulBackward0", "ExpBackward0",
        format_number(z3.item()), format_number(float(z1.grad)),  # type: ignore[arg-type]
        format_number(float(x.grad)), format_number(float(y.grad)),  # type: ignore[arg-type]
    ]  # fmt: skip


def svg_text(data: bytes) -> str:
    root = ET.fromstring(data)
    return " ".join(t for el in root.iter() if el.tag.endswith("text") for t in el.itertext())


def test_svg_is_valid_and_shows_names_values_and_gradients(graph) -> None:  # type: ignore[no-untyped-def]
    text = svg_text(render_bytes(graph, "svg"))
    for expected in expected_texts():
        assert expected in text, expected


def test_png_is_a_png_and_scale_doubles_it(graph) -> None:  # type: ignore[no-untyped-def]
    def size(data: bytes) -> tuple[int, int]:
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)

    w1, h1 = size(render_bytes(graph, "png"))
    w2, h2 = size(render_bytes(graph, "png", scale=2.0))
    assert abs(w2 - 2 * w1) <= 4 and abs(h2 - 2 * h1) <= 4


def test_pdf_is_a_pdf(graph) -> None:  # type: ignore[no-untyped-def]
    data = render_bytes(graph, "pdf")
    assert data.startswith(b"%PDF-") and b"%%EOF" in data[-64:]


def test_dot_and_json(graph) -> None:  # type: ignore[no-untyped-def]
    dot = render_bytes(graph, "dot").decode()
    assert dot.startswith("digraph") and "MulBackward0" in dot
    data = json.loads(render_bytes(graph, "json"))
    assert data["schema"] == "gradviz.graph/1"


@pytest.mark.parametrize("theme", ["light", "dark", "projector"])
def test_every_theme_renders(graph, theme: str) -> None:  # type: ignore[no-untyped-def]
    options = RenderOptions(theme=get_theme(theme), orientation="LR")
    assert "z3" in svg_text(render_bytes(graph, "svg", options))


def test_forward_view_has_no_gradients(graph) -> None:  # type: ignore[no-untyped-def]
    text = svg_text(render_bytes(graph, "svg", RenderOptions(view="forward")))
    assert "∇" not in text and "z1" in text


def test_user_text_is_escaped_not_interpreted() -> None:
    label = NodeLabel("n0", "<b>&x", "op</td>", "1.0", None, "#fff", "#000", "#fff", "#000",
                      1, False, False, None)  # fmt: skip
    html = node_html(label, LIGHT)
    assert "&lt;b&gt;&amp;x" in html and "op&lt;/td&gt;" in html


def test_export_writes_atomically_and_refuses_unknown_formats(graph, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from gradviz.lang.errors import ProgramError

    with pytest.raises(ProgramError, match="cannot export"):
        export(graph, tmp_path / "out.bmp")
    out = tmp_path / "out.svg"
    export(graph, out)
    assert out.read_bytes().lstrip().startswith(b"<?xml")
    assert [p.name for p in tmp_path.iterdir()] == ["out.svg"]


def test_dot_is_one_scene_for_every_output(graph) -> None:  # type: ignore[no-untyped-def]
    source = build_dot(graph)
    assert render_bytes(graph, "dot").decode() == source


def test_scene_edges_are_in_graph_order() -> None:
    """dot reorders edges; the scene must still know which edge is which (labels, updates)."""
    from gradviz.render.drawing import Text
    from gradviz.render.labels import format_number
    from gradviz.render.scene import layout_scene

    g = trace("x = 2.0\ny = 3.0\nz1 = x*y\nz2 = exp(z1)\nz3 = z1 + z2").graph
    scene = layout_scene(g, RenderOptions())
    for edge, item in zip(g.edges, scene.edges, strict=True):
        texts = [d.text.strip() for d in item.drawables if isinstance(d, Text)]
        assert texts == [format_number(float(edge.grad))]  # type: ignore[arg-type]


def test_a_graph_too_big_to_lay_out_is_refused_at_once_but_its_json_and_dot_are_written() -> None:
    """A loop of 1,300 multiplications: 2,602 nodes, past what gradviz lays out (Graphviz took
    minutes on a 40,000-node chain, the app waiting on it)."""
    from gradviz.lang.errors import ProgramError
    from gradviz.render.layout import MAX_LAYOUT_NODES
    from gradviz.render.scene import layout_scene

    source = (
        "x = torch.ones(2, requires_grad=True)\ny = x\nfor i in range(1300):\n    y = y * 1.5\n"
    )
    graph = trace(source + "loss = y.sum()\n").graph
    assert len(graph.nodes) > MAX_LAYOUT_NODES
    for fmt in ("svg", "png", "pdf"):
        with pytest.raises(ProgramError, match=f"{len(graph.nodes):,} nodes"):
            render_bytes(graph, fmt)
    with pytest.raises(ProgramError, match="too many to lay out"):
        layout_scene(graph, RenderOptions())
    assert len(json.loads(render_bytes(graph, "json"))["nodes"]) == len(graph.nodes)
    assert render_bytes(graph, "dot").startswith(b"digraph")


def test_a_leaf_no_name_holds_is_drawn_and_called_so() -> None:
    """`torch.randn(3, requires_grad=True)` written inline: its box once had an empty bold
    title, which dot refuses, so no picture of the graph could be made at all."""
    graph = trace("y = (torch.randn(3, requires_grad=True) * 2).sum()\n").graph
    (leaf,) = [n for n in graph.nodes if n.kind == "input"]
    assert leaf.name is None and leaf.label == "(no name)"
    torch.testing.assert_close(leaf.grad, torch.full((3,), 2.0))  # d sum(2a)/da, as torch says
    svg = render_bytes(graph, "svg").decode()
    ET.fromstring(svg)
    assert "(no name)" in svg
    assert "<b></b>" not in build_dot(graph)
