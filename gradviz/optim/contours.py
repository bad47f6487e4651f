"""Contour lines of a surface grid as plain arrays (contourpy's marching squares), computed in
the worker that made the grid: pyqtgraph's own isocurve took 1.8 s of the UI thread for the
lab's 640² Rosenbrock grid, contourpy 20–30 ms."""

from __future__ import annotations

from dataclasses import dataclass

import contourpy
import numpy as np

CONTOURS = 12  # lines per surface, evenly spaced between its lowest and highest value


@dataclass(frozen=True)
class Contour:
    """One level's lines, each an (n, 2) array of (column, row) in pixel units: pixel (c, r)
    spans [c, c + 1] × [r, r + 1], so a value sits at its pixel's centre (c + ½, r + ½)."""

    level: float
    lines: list[np.ndarray]


def contour_levels(values: np.ndarray, count: int = CONTOURS) -> list[float]:
    """`count` levels evenly inside the finite values' range (none where all are equal)."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return []
    low, high = float(finite.min()), float(finite.max())
    if not high > low:
        return []
    return [float(v) for v in np.linspace(low, high, count + 2)[1:-1]]


def contour_lines(values: np.ndarray, levels: list[float] | None = None) -> list[Contour]:
    """The lines of `values` (rows are y) at each level; no line enters a NaN or infinite
    value (those cells are masked out, not filled with a stand-in value)."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 2 or min(values.shape) < 2:
        return []
    chosen = contour_levels(values) if levels is None else levels
    rows, columns = values.shape
    generator = contourpy.contour_generator(
        x=np.arange(columns) + 0.5,
        y=np.arange(rows) + 0.5,
        z=np.ma.masked_invalid(values),
        line_type=contourpy.LineType.Separate,
    )
    return [
        Contour(level, [np.asarray(line) for line in generator.lines(level)]) for level in chosen
    ]
