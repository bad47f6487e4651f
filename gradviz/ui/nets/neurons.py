"""Each hidden unit's output over the plane, as TensorFlow Playground shows them: one column of
thumbnails per hidden layer, orange for negative, blue for positive (each unit on its own
symmetric scale), so students see the features each layer builds from the one before."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor

from gradviz.ui.nets.tasks import Snapshot
from gradviz.ui.type_size import on_font_change, text_size

MAX_UNITS = 16  # per layer; wider layers show their first units and say how many are left


def _unit_colours() -> pg.ColorMap:
    """Okabe–Ito orange (negative) → white (zero) → blue (positive), as the data points use."""
    return pg.ColorMap([0.0, 0.5, 1.0], [QColor("#E69F00"), QColor("#f7f7f7"), QColor("#0072B2")])


class NeuronView(pg.GraphicsLayoutWidget):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__()
        self.setAccessibleName("Hidden units")
        self.images: dict[str, list[pg.ImageItem]] = {}
        self._shape: tuple[tuple[str, int], ...] | None = None  # layers and their widths
        self._colours = _unit_colours()
        on_font_change(self, self._rebuild_at_next_picture)  # labels in the new type size

    def _rebuild_at_next_picture(self) -> None:
        self._shape = None

    def show_snapshot(self, shot: Snapshot) -> None:
        neurons = shot.neurons
        if neurons is None:
            return  # not computed for this picture (the view was not shown)
        shape = tuple((name, len(grids)) for name, grids in neurons.items())
        if shape != self._shape:
            self._build(shape)
        for name, grids in neurons.items():
            for image, grid in zip(self.images[name], grids, strict=False):
                reach = float(np.nanmax(np.abs(grid))) if grid.size else 0.0
                reach = reach if reach > 0 else 1.0
                image.setImage(grid, levels=(-reach, reach), autoLevels=False)

    def _build(self, shape: tuple[tuple[str, int], ...]) -> None:
        self.clear()
        self.images = {}
        self._shape = shape
        if not shape:
            self.addLabel(
                "This network has no hidden layers: add one in the builder.", size=text_size()
            )
        for column, (name, units) in enumerate(shape):
            shown = min(units, MAX_UNITS)
            more = f" (first {shown})" if units > shown else ""
            self.addLabel(f"{name}<br>{units} units{more}", row=0, col=column, size=text_size())
            self.images[name] = []
            for row in range(shown):
                box = self.addViewBox(row=row + 1, col=column, lockAspect=True, enableMouse=False)
                box.setMenuEnabled(False)
                image = pg.ImageItem(axisOrder="row-major")  # rows are y, as in the data view
                image.setColorMap(self._colours)
                box.addItem(image)
                box.invertY(False)
                self.images[name].append(image)
