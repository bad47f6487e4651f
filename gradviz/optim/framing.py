"""Framing a race: the window grown to show where the optimizers went, for surfaces whose
window is only a guess (a network's loss landscape, a typed f(x, y))."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

Window = tuple[float, float, float, float]  # x0, x1, y0, y1

MARGIN = 0.08  # of the grown window's width and height, beyond the farthest point
MOST = 4.0  # the grown window is at most this many times as wide (and tall) as the surface's


def covering_window(
    window: Window,
    paths: Sequence[np.ndarray],
    domain: Window | None = None,
    margin: float = MARGIN,
    most: float = MOST,
) -> Window | None:
    """`window` grown just enough to show every finite point of `paths` (each steps × 2)
    with a margin, never shrunk, and never past (most − 1) / 2 of the surface's `domain`
    (its usual window; `window` itself without one) beyond each of its sides: None when every
    point is in view already, or none is finite, or there is no room left to grow.

    A path that runs off towards infinity is followed only that far, however many races run:
    the surface stays readable, and the path leaves it where it runs away."""
    x0, x1, y0, y1 = window
    d0, d1, e0, e1 = domain if domain is not None else window
    width, height = d1 - d0, e1 - e0
    if not (width > 0 and height > 0 and x1 > x0 and y1 > y0):
        return None
    points = [np.asarray(p, dtype=np.float64).reshape(-1, 2) for p in paths]
    stacked = np.concatenate(points) if points else np.zeros((0, 2))
    finite = stacked[np.isfinite(stacked).all(axis=1)]
    if finite.size == 0:
        return None
    low_x, low_y = finite.min(axis=0)
    high_x, high_y = finite.max(axis=0)
    reach_x, reach_y = (most - 1) / 2 * width, (most - 1) / 2 * height
    pad_x = margin * (max(high_x, x1) - min(low_x, x0))
    pad_y = margin * (max(high_y, y1) - min(low_y, y0))
    grown = (
        min(x0, max(low_x - pad_x, d0 - reach_x)) if low_x < x0 else x0,
        max(x1, min(high_x + pad_x, d1 + reach_x)) if high_x > x1 else x1,
        min(y0, max(low_y - pad_y, e0 - reach_y)) if low_y < y0 else y0,
        max(y1, min(high_y + pad_y, e1 + reach_y)) if high_y > y1 else y1,
    )
    if grown == (x0, x1, y0, y1):
        return None
    return (float(grown[0]), float(grown[1]), float(grown[2]), float(grown[3]))
