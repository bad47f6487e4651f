"""Each hidden unit's output over the plane, as TensorFlow Playground shows them: a column of
thumbnails per hidden layer (several abreast where the view is wide), orange for negative, blue
for positive (each unit on its own symmetric scale), so students see the features each layer
builds from the one before."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor, QResizeEvent

from gradviz.ui.nets.tasks import Snapshot
from gradviz.ui.plot_style import follow_appearance, restyle
from gradviz.ui.type_size import on_font_change, text_size

MAX_UNITS = 16  # per layer; wider layers show their first units and say how many are left


def _unit_colours() -> pg.ColorMap:
    """Okabe–Ito orange (negative) → white (zero) → blue (positive), as the data points use."""
    return pg.ColorMap([0.0, 0.5, 1.0], [QColor("#E69F00"), QColor("#f7f7f7"), QColor("#0072B2")])


def thumbnails_across(count: int, width: float, height: float) -> int:
    """How many of a layer's `count` square thumbnails to put side by side in a width × height
    column so that each is as big as it can be (a single file of 16 wastes a wide view)."""
    return max(
        range(1, max(count, 1) + 1),
        key=lambda across: min(width / across, height / -(-max(count, 1) // across)),
    )


class NeuronView(pg.GraphicsLayoutWidget):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__()
        self.setAccessibleName("Hidden units")
        self.images: dict[str, list[pg.ImageItem]] = {}
        self._shape: tuple[tuple[str, int], ...] | None = None  # layers and their widths
        self._colours = _unit_colours()
        self._across: list[int] = []  # thumbnails abreast, per layer
        on_font_change(self, self._rebuild_at_next_picture)  # another arrangement may fit
        follow_appearance(self)

    def _rebuild_at_next_picture(self) -> None:
        self._shape = None

    def _arrangement(self, shape: tuple[tuple[str, int], ...]) -> list[int]:
        """Thumbnails abreast for each layer, at the view's size now."""
        width = max(self.width(), 1) / max(len(shape), 1)
        height = max(self.height() - 60, 1)  # below the layers' labels
        return [thumbnails_across(min(units, MAX_UNITS), width, height) for _, units in shape]

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        shape = getattr(self, "_shape", None)  # (the first resize comes from Qt's constructor)
        if shape is not None and self._arrangement(shape) != self._across:
            self._rebuild_at_next_picture()  # another arrangement fits better now

    def show_snapshot(self, shot: Snapshot) -> None:
        neurons = shot.neurons
        if neurons is None:
            return  # not computed for this picture (the view was not shown)
        shape = tuple((name, len(grids)) for name, grids in neurons.items())
        if shape != self._shape:
            self._build(shape)
        for name, grids in neurons.items():
            for index, (image, grid) in enumerate(zip(self.images[name], grids, strict=False)):
                finite = grid[np.isfinite(grid)] if grid.size else grid
                reach = float(np.abs(finite).max()) if finite.size else 0.0
                reach = reach if reach > 0 else 1.0
                image.setImage(grid, levels=(-reach, reach), autoLevels=False)
                image.setToolTip(_range_text(name, index, finite))

    def _build(self, shape: tuple[tuple[str, int], ...]) -> None:
        self.clear()
        self.images = {}
        self._shape = shape
        if not shape:
            self.addLabel(
                "This network has no hidden layers: add one in the builder.", size=text_size()
            )
        self._across = self._arrangement(shape)
        for column, (name, units) in enumerate(shape):
            shown = min(units, MAX_UNITS)
            more = f" (first {shown})" if units > shown else ""
            self.addLabel(f"{name}<br>{units} units{more}", row=0, col=column, size=text_size())
            self.images[name] = []
            grid = self.addLayout(row=1, col=column)
            across = self._across[column]
            for index in range(shown):
                box = grid.addViewBox(
                    row=index // across, col=index % across, lockAspect=True, enableMouse=False
                )
                box.setMenuEnabled(False)
                image = pg.ImageItem(axisOrder="row-major")  # rows are y, as in the data view
                image.setColorMap(self._colours)
                box.addItem(image)
                box.invertY(False)
                self.images[name].append(image)
        if shape:  # what the colours mean: the thumbnails alone do not say
            self.addLabel(
                "orange: negative · white: zero · blue: positive — each unit on its own scale "
                "(hover over one for its range)",
                row=2, col=0, colspan=len(shape), size=text_size(),
            )  # fmt: skip
        restyle(self)  # the new labels in the theme's colours


def _range_text(layer: str, index: int, values: np.ndarray) -> str:
    """A thumbnail's tooltip: which unit, and the lowest and highest output it draws."""
    if not values.size:
        return f"{layer}, unit {index + 1}: no finite output"
    return f"{layer}, unit {index + 1}: from {values.min():.3g} to {values.max():.3g}"
