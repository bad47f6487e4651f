"""Moving from node to node with the arrow keys: to the neighbour drawn in that direction."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

Point = tuple[float, float]

# How far off the key's direction a node may lie and still count as "that way" (degrees).
CONE = 70.0


def related(node: str, edges: Iterable[tuple[str, str]]) -> set[str]:
    """The nodes an arrow key looks at first: `node`'s operands and consumers, the other
    operands of its consumers (its siblings) and the other consumers of its operands."""
    pairs = list(edges)
    operands = {src for src, dst in pairs if dst == node}
    consumers = {dst for src, dst in pairs if src == node}
    siblings = {src for src, dst in pairs if dst in consumers}
    co_consumers = {dst for src, dst in pairs if src in operands}
    return (operands | consumers | siblings | co_consumers) - {node}


def step_towards(
    node: str, direction: Point, centres: Mapping[str, Point], near: set[str]
) -> str | None:
    """The node to move to from `node` when an arrow key points along `direction` (screen
    coordinates, y down): among `near` (see related) the closest one lying within CONE degrees
    of that direction, an angle off it counting as distance; else the closest such node of
    all; None where nothing lies that way."""
    if node not in centres:
        return None
    x0, y0 = centres[node]
    dx, dy = direction
    length = math.hypot(dx, dy)
    if length == 0:
        return None

    def cost(other: str) -> float | None:
        x, y = centres[other]
        vx, vy = x - x0, y - y0
        distance = math.hypot(vx, vy)
        if distance == 0:
            return None
        cos = (vx * dx + vy * dy) / (distance * length)
        angle = math.degrees(math.acos(max(-1.0, min(1.0, cos))))
        if angle > CONE:
            return None
        return distance * (1.0 + 2.0 * angle / CONE)

    for pool in ([k for k in near if k in centres], [k for k in centres if k != node]):
        scored = [(c, k) for k in pool if (c := cost(k)) is not None]
        if scored:
            return min(scored)[1]
    return None
