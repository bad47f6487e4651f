"""A race's paths thinned to what the screen can show: points closer than a fraction of a
pixel along the path add nothing to a drawn line but cost the painter (a converging optimizer
piles hundreds of steps into a few pixels), so each frame draws the kept points up to the
current step, then the current point itself."""

from __future__ import annotations

import numpy as np

MIN_PIXELS = 0.75  # along the path, between kept points


def kept_indices(points: np.ndarray, pixel_size: tuple[float, float]) -> np.ndarray:
    """Indices of `points` (n × 2, data units) about MIN_PIXELS apart along the path, at a
    view where one pixel spans pixel_size = (dx, dy) data units. Always keeps the first."""
    if len(points) < 3:
        return np.arange(len(points))
    dx, dy = pixel_size
    scale = np.array([1.0 / dx if dx > 0 else 1.0, 1.0 / dy if dy > 0 else 1.0])
    on_screen = np.where(np.isfinite(points), points, 0.0) * scale
    arc = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(on_screen, axis=0).T))])
    bucket = np.floor(arc / MIN_PIXELS)
    first_of_bucket = np.concatenate([[True], bucket[1:] != bucket[:-1]])
    return np.flatnonzero(first_of_bucket)


def shown_points(points: np.ndarray, kept: np.ndarray, step: int) -> np.ndarray:
    """The path up to `step`: the kept points before it, then the point of that step."""
    count = int(np.searchsorted(kept, step, side="left"))
    return np.concatenate([points[kept[:count]], points[step : step + 1]])
