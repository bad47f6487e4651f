"""Contour lines of a grid: where the function has their level, in pixel-centre coordinates,
never through NaN cells."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("contourpy")  # a runtime dependency; absent on a bare GPU check machine

from gradviz.optim.contours import CONTOURS, contour_levels, contour_lines


def bowl(rows: int = 120, columns: int = 160) -> tuple[np.ndarray, float, float]:
    """f = (c − c₀)² + 2 (r − r₀)² at pixel centres (c + ½, r + ½): an ellipse per level."""
    c0, r0 = 70.3, 55.8
    c = np.arange(columns) + 0.5
    r = np.arange(rows) + 0.5
    cc, rr = np.meshgrid(c, r)
    return (cc - c0) ** 2 + 2 * (rr - r0) ** 2, c0, r0


def test_each_line_lies_on_its_level_set() -> None:
    values, c0, r0 = bowl()
    contours = contour_lines(values)
    assert len(contours) == CONTOURS
    closed = 0
    for contour in contours:
        for line in contour.lines:
            c, r = line[:, 0], line[:, 1]
            exact = (c - c0) ** 2 + 2 * (r - r0) ** 2
            # linear interpolation between neighbouring centres: error below a pixel's curvature
            assert np.abs(np.sqrt(exact) - np.sqrt(contour.level)).max() < 0.1
            closed += int(np.allclose(line[0], line[-1]))
    assert closed >= 3  # the small ellipses lie wholly inside the grid: closed loops


def test_levels_are_evenly_inside_the_finite_range() -> None:
    values = np.array([[0.0, 1.0], [np.nan, 13.0]])
    assert contour_levels(values) == pytest.approx(list(np.arange(1.0, 13.0)))
    assert contour_levels(np.full((3, 3), 2.0)) == []
    assert contour_levels(np.full((3, 3), np.nan)) == []


def test_no_line_enters_a_non_finite_cell() -> None:
    values, _, _ = bowl()
    values[:, 100:] = np.nan  # a diverged region to the right
    values[10, 10] = np.inf
    for contour in contour_lines(values):
        for line in contour.lines:
            assert line[:, 0].max() <= 99.5 + 1e-9  # stops at the last finite centre
    whole = contour_lines(bowl()[0])
    assert max(line[:, 0].max() for c in whole for line in c.lines) > 100  # it did reach there


def test_tiny_or_flat_grids_have_no_lines() -> None:
    assert contour_lines(np.zeros((1, 5))) == []
    assert all(not c.lines for c in contour_lines(np.zeros((4, 4)), [0.5]))
