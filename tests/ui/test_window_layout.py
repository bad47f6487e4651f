"""How the user divided the window (the editor wider, to show a lecture's long lines in the
projector's type) is how the next start divides it."""

from __future__ import annotations

from pathlib import Path

from tests.ui.conftest import close_window, make_window


def test_the_editor_keeps_the_width_it_was_dragged_to(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    first = make_window(qtbot, tmp_path)
    try:
        qtbot.waitExposed(first)
        default = first.splitter.sizes()
        first.splitter.setSizes([default[0] + 300, default[1] - 300])  # the editor wider
        side = first.side_splitter.sizes()
        first.side_splitter.setSizes([side[0] + 100, side[1], side[2] - 100])  # console shorter
        dragged, side_dragged = first.splitter.sizes(), first.side_splitter.sizes()
        assert dragged[0] > default[0] + 200 and side_dragged[2] < side[2] - 50
    finally:
        close_window(first)

    second = make_window(qtbot, tmp_path)  # the same settings: a later start
    try:
        qtbot.waitExposed(second)
        assert abs(second.splitter.sizes()[0] - dragged[0]) <= 2
        restored = second.side_splitter.sizes()
        assert all(abs(a - b) <= 6 for a, b in zip(restored, side_dragged, strict=True))
    finally:
        close_window(second)
