"""A weight a long loop reuses, drawn again beside its later uses: clicking a copy selects the
weight (the inspector shows it), and selecting the weight outlines every copy too."""

from __future__ import annotations

from PySide6.QtCore import Qt

from tests.ui.conftest import set_program

LOOP = (
    "x = torch.randn(4, 8)\nw = torch.randn(8, 8, requires_grad=True)\nh = x\n"
    "for i in range(60):\n    h = torch.tanh(h @ w) + 0.1 * h\nloss = h.pow(2).mean()\n"
)


def test_a_copy_of_the_weight_stands_for_the_weight(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    set_program(qtbot, window, LOOP)
    graph, canvas = window.graph, window.canvas
    w = graph.find("w")
    assert w is not None
    copies = [item for key, item in canvas._copies.items() if item.key == w.id]
    assert len(copies) >= 3 and w.id in canvas.items_by_key
    canvas.fitInView(copies[-1], Qt.AspectRatioMode.KeepAspectRatio)
    centre = canvas.mapFromScene(copies[-1].sceneBoundingRect().center())
    assert canvas.node_at(centre) == w.id
    qtbot.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    assert canvas.selected == w.id and window.inspector.node_id == w.id
    assert canvas.items_by_key[w.id].selected and all(item.selected for item in copies)
    canvas.select(graph.output)
    assert not any(item.selected for item in copies)
    canvas.highlight({w.id})
    assert all(item.matched for item in copies)
