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
# short lines: a label is as wide as its longest, and a wider one would widen the view past
# its window (the projector theme's type cut off the last layer at 1920 × 1080)
LEGEND = (
    "orange: negative · white: zero · blue: positive<br>"
    "each unit on its own scale (hover over one for its range)"
)
DEAD_LEGEND = "<br>dead: 0 for every training point, so no gradient reaches its weights"
DEAD_TIP = (
    "{}, unit {}: dead — it outputs 0 for every training point, so no gradient reaches its "
    "weights through it and it has stopped learning"
)
DEAD_TEXT = "#555555"  # on a dead unit's thumbnail, which is all zero: always near white


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
        self.dead_marks: dict[str, list[pg.TextItem]] = {}  # "dead" over each unit's thumbnail
        self._headers: dict[str, tuple[pg.LabelItem, str]] = {}  # each layer's title, unmarked
        self._legend: pg.LabelItem | None = None
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
        dead_layers = shot.dead or {}
        for name, grids in neurons.items():
            dead = dead_layers.get(name, np.zeros(len(grids), dtype=bool))
            marks = self.dead_marks[name]
            for index, (image, grid) in enumerate(zip(self.images[name], grids, strict=False)):
                finite = grid[np.isfinite(grid)] if grid.size else grid
                reach = float(np.abs(finite).max()) if finite.size else 0.0
                reach = reach if reach > 0 else 1.0
                image.setImage(grid, levels=(-reach, reach), autoLevels=False)
                is_dead = bool(dead[index]) if index < len(dead) else False
                tip = DEAD_TIP.format(name, index + 1) if is_dead else None
                image.setToolTip(tip or _range_text(name, index, finite))
                marks[index].setPos(grid.shape[-1] / 2, grid.shape[0] / 2)
                marks[index].setVisible(is_dead)
            label, title = self._headers[name]
            count = int(dead.sum())
            _set_text(label, f"{title} · {count} dead" if count else title)
        if self._legend is not None:
            anywhere = any(bool(flags.any()) for flags in dead_layers.values())
            _set_text(self._legend, LEGEND + (DEAD_LEGEND if anywhere else ""))

    def _build(self, shape: tuple[tuple[str, int], ...]) -> None:
        self.clear()
        self.images, self.dead_marks, self._headers, self._legend = {}, {}, {}, None
        self._shape = shape
        if not shape:
            self.addLabel(
                "This network has no hidden layers: add one in the builder.", size=text_size()
            )
        self._across = self._arrangement(shape)
        for column, (name, units) in enumerate(shape):
            shown = min(units, MAX_UNITS)
            more = f" (first {shown})" if units > shown else ""
            title = f"{name} · layer {column + 1}<br>{units} units{more}"
            label = self.addLabel(title, row=0, col=column, size=text_size())
            self._headers[name] = (label, title)
            self.images[name] = []
            self.dead_marks[name] = []
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
                mark = pg.TextItem("dead", color=DEAD_TEXT, anchor=(0.5, 0.5))
                mark.setVisible(False)
                box.addItem(mark, ignoreBounds=True)
                self.dead_marks[name].append(mark)
        if shape:  # what the colours mean: the thumbnails alone do not say
            self._legend = self.addLabel(LEGEND, row=2, col=0, colspan=len(shape), size=text_size())
        restyle(self)  # the new labels in the theme's colours


def _set_text(label: pg.LabelItem, text: str) -> None:
    """A label's new text, only where it changed: set again, it laid the whole view out anew
    (every thumbnail repainted) at each picture of a training run."""
    if label.text != text:
        label.setText(text)


def _range_text(layer: str, index: int, values: np.ndarray) -> str:
    """A thumbnail's tooltip: which unit, and the lowest and highest output it draws."""
    if not values.size:
        return f"{layer}, unit {index + 1}: no finite output"
    return f"{layer}, unit {index + 1}: from {values.min():.3g} to {values.max():.3g}"
