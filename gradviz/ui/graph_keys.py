"""Arrow keys on the graph canvas: the selection moves to the neighbour drawn that way (an
operand above, a consumer below, a sibling beside, in a top-down layout), the inspector along."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gradviz.render.neighbours import related, step_towards

if TYPE_CHECKING:
    from gradviz.ui.main_window import MainWindow


def move_selection(window: MainWindow, dx: float, dy: float) -> None:
    """Select the node `window`'s selection neighbours in direction (dx, dy) on screen. Not while
    walking through backprop: the player's steps choose the node then."""
    canvas, graph = window.canvas, window.graph
    current = canvas.selected
    if window.walkthrough.active or graph is None or current is None:
        return
    near = related(current, ((e.src, e.dst) for e in graph.edges))
    target = step_towards(current, (dx, dy), canvas.centres(), near)
    if target is not None:
        canvas.select(target)  # the inspector follows (node_selected)
        canvas.reveal(target)
