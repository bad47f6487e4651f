"""`gradviz optimize -o OUT.png|gif|mp4`: the lab's 2D view drawn off screen, frame by frame."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gradviz.optim.surfaces import Surface
    from gradviz.optim.trajectories import Race
    from gradviz.ui.lab.surface_view import SurfaceView


def export_race(surface: Surface, race: Race, path: str, theme: str = "light") -> None:
    """Write the final frame (PNG) or the whole race (GIF, MP4) of `race` on `surface`, in the
    application's `theme` (the projector's large type included)."""
    if not os.environ.get("DISPLAY") and not os.environ.get("QT_QPA_PLATFORM"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtWidgets import QApplication

    from gradviz.ui import appearance
    from gradviz.ui.lab.animation import frame_steps, grab, write_frames

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    appearance.apply(app, theme)
    view = race_view(surface, race)
    view.show()
    app.processEvents()
    total = max((len(p.points) for p in view.paths), default=1) - 1
    view.show_step(total)
    grab(view)  # a first paint: axes widen to their tick labels' width, laid out again below
    app.processEvents()
    steps = [total] if path.lower().endswith(".png") else frame_steps(total)
    frames = []
    for step in steps:
        view.show_step(step)
        app.processEvents()
        frames.append(grab(view))
    write_frames(frames, path)
    view.close()


def race_view(surface: Surface, race: Race) -> SurfaceView:
    """The lab's 2D view of `race` on `surface`, 1280 × 960, in the application's theme."""
    from gradviz.optim.grid import evaluate_grid
    from gradviz.ui.lab.palette import MARKERS, RACER_COLOURS
    from gradviz.ui.lab.surface_view import SurfaceView
    from gradviz.ui.lab.tasks import grid_image, path_of

    view = SurfaceView()
    view.resize(1280, 960)
    grid = evaluate_grid(surface, None, 512)
    view.set_grid(grid_image(surface, grid), [(m.x, m.y) for m in surface.minima], reset_view=True)
    paths = [
        path_of(surface, run, RACER_COLOURS[i % len(RACER_COLOURS)], MARKERS[i % len(MARKERS)])
        for i, run in enumerate(race.runs)
    ]
    view.set_paths(paths)
    if race.runs:
        view.set_start(*race.runs[0].points[0])
    return view
