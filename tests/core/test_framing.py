"""The lab's framing of a race: the window grows to show the paths, within limits."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from gradviz.optim.framing import MOST, covering_window

WINDOW = (-1.0, 1.0, -1.0, 1.0)


def test_paths_in_view_leave_the_window_alone() -> None:
    inside = np.array([[-0.9, 0.9], [0.0, 0.0], [0.5, -1.0]])
    assert covering_window(WINDOW, [inside]) is None


def test_a_path_off_one_side_grows_that_side_only_with_a_margin() -> None:
    path = np.array([[-0.7, 0.6], [-1.3, 0.2], [-1.5, -0.4]])
    x0, x1, y0, y1 = covering_window(WINDOW, [path])  # type: ignore[misc]
    assert (x1, y0, y1) == (1.0, -1.0, 1.0)
    assert x0 < -1.5  # the farthest point is inside, not on the edge
    assert math.isclose(-1.5 - x0, 0.08 * (1.0 - -1.5))


def test_growth_is_capped_and_a_diverging_path_is_followed_only_that_far() -> None:
    path = np.array([[0.0, 0.0], [5.0, 0.0], [1e9, -1e9], [np.inf, np.nan]])
    x0, x1, y0, y1 = covering_window(WINDOW, [path])  # type: ignore[misc]
    assert (x0, y1) == (-1.0, 1.0)
    assert math.isclose(x1, 1.0 + (MOST - 1) / 2 * 2.0)  # one side: (MOST - 1) / 2 widths
    assert math.isclose(y1 - y0, 2.0 + (MOST - 1) / 2 * 2.0)


def test_nothing_finite_or_no_paths_gives_none() -> None:
    assert covering_window(WINDOW, []) is None
    assert covering_window(WINDOW, [np.array([[np.nan, np.nan], [np.inf, 0.0]])]) is None
    assert covering_window((0.0, 0.0, -1.0, 1.0), [np.array([[5.0, 5.0]])]) is None


coordinate = st.floats(-3.0, 3.0, allow_nan=False)


@given(st.lists(st.tuples(coordinate, coordinate), min_size=1, max_size=30))
def test_the_grown_window_holds_the_old_one_and_every_point_within_reach(
    points: list[tuple[float, float]],
) -> None:
    """(±3 is within reach of a ±1 window: (MOST − 1) / 2 = 1.5 widths of 2 on each side.)"""
    path = np.array(points)
    grown = covering_window(WINDOW, [path])
    if grown is None:
        assert (np.abs(path) <= 1.0).all()
        return
    x0, x1, y0, y1 = grown
    assert x0 <= -1.0 and x1 >= 1.0 and y0 <= -1.0 and y1 >= 1.0
    assert (path[:, 0] >= x0).all() and (path[:, 0] <= x1).all()
    assert (path[:, 1] >= y0).all() and (path[:, 1] <= y1).all()
    assert x1 - x0 <= MOST * 2.0 + 1e-9 and y1 - y0 <= MOST * 2.0 + 1e-9


def test_growth_is_measured_from_the_surface_domain_so_races_again_do_not_compound() -> None:
    runaway = [np.array([[0.0, 0.0], [1e6, 0.0]])]
    first = covering_window(WINDOW, runaway, domain=WINDOW)
    assert first == (-1.0, 1.0 + (MOST - 1) / 2 * 2.0, -1.0, 1.0)
    assert covering_window(first, runaway, domain=WINDOW) is None  # no room left: as it is
    zoomed_out = (-10.0, 10.0, -10.0, 10.0)  # a view the user zoomed out to is never shrunk
    assert covering_window(zoomed_out, runaway, domain=WINDOW) is None
