"""Plots in the application's theme: background, axes, titles, labels and legends take its colours
and type size (pyqtgraph draws black plots with 9 pt grey text), now and after every switch."""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import TypeVar

import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QColor, QPalette, QPen
from PySide6.QtWidgets import QApplication, QWidget

from gradviz.ui.type_size import OnEvents, point_size, text_size

_Widget = TypeVar("_Widget", bound=QWidget)

APPEARANCE_EVENTS = (
    QEvent.Type.FontChange,
    QEvent.Type.ApplicationFontChange,
    QEvent.Type.PaletteChange,
    QEvent.Type.ApplicationPaletteChange,
)


@dataclass(frozen=True)
class PlotColours:
    background: QColor  # the palette's base: a plot is a page, as the editor is
    foreground: QColor  # axes, tick labels, titles, legend text
    legend_fill: QColor  # the base, mostly opaque: curves under a legend stay readable
    legend_border: QColor


def plot_colours() -> PlotColours:
    """The colours of the application's palette now (appearance.apply sets it per theme)."""
    palette = QApplication.palette()
    base = palette.color(QPalette.ColorRole.Base)
    text = palette.color(QPalette.ColorRole.Text)
    fill = QColor(base)
    fill.setAlpha(215)
    return PlotColours(base, text, fill, palette.color(QPalette.ColorRole.PlaceholderText))


# each curve's width as its code drew it, scaled with the type (the projector's lines are thicker)
_BASE_WIDTHS: weakref.WeakKeyDictionary[pg.PlotDataItem, float] = weakref.WeakKeyDictionary()


def line_scale() -> float:
    """How much wider than drawn curves are at the theme's type size (1 at 10 pt)."""
    return max(1.0, point_size() / 10.0)


def restyle(widget: pg.GraphicsView) -> None:
    """Give every axis, label, legend and curve in `widget`'s scene the theme's colours, type
    size and line width (call again after adding curves)."""
    if getattr(widget, "closed", False):  # closed (pyqtgraph drops its scene), not yet deleted
        return
    colours, size, scale = plot_colours(), text_size(), line_scale()
    widget.setBackground(colours.background)
    scene = widget.scene()
    if scene is None:
        return
    overflow = round(2.5 * point_size())  # half a "300" label's width, at this type size
    for item in scene.items():
        if isinstance(item, pg.AxisItem):
            item.setPen(colours.foreground)
            # the axis title in the theme's size (it kept the size it was made with, 10 pt
            # after a switch to the projector's 14), and its colour: setTextPen applies both
            item.labelStyle["font-size"] = size
            item.setTextPen(colours.foreground)
            if item.orientation == "bottom":  # the last tick's label may overhang the end
                item.setStyle(hideOverlappingLabels=overflow)
        elif isinstance(item, pg.PlotItem):
            _title_never_widens(item)
            left, top, _, bottom = item.layout.getContentsMargins()  # room on the right
            item.layout.setContentsMargins(left, top, overflow, bottom)  # for that overhang
        elif isinstance(item, pg.LegendItem):
            item.opts["labelTextSize"] = size  # for entries added later
            item.setLabelTextColor(colours.foreground)
            item.setBrush(colours.legend_fill)
            item.setPen(colours.legend_border)
        elif isinstance(item, pg.LabelItem):  # plot titles, legend entries, captions
            item.opts["size"] = size
            item.opts["color"] = colours.foreground
            if item.text:
                item.setText(item.text)
        elif isinstance(item, pg.PlotDataItem):
            _scale_pen(item, scale)
    for item in scene.items():
        if isinstance(item, pg.LegendItem):
            item.updateSize()  # (its entries have their new size only now)


def _scale_pen(curve: pg.PlotDataItem, scale: float) -> None:
    pen = curve.opts.get("pen")
    if not isinstance(pen, QPen) or pen.style() == Qt.PenStyle.NoPen:
        return
    base = _BASE_WIDTHS.setdefault(curve, pen.widthF())
    if pen.widthF() != base * scale:
        wider = QPen(pen)
        wider.setWidthF(base * scale)
        curve.setPen(wider)


def _title_never_widens(item: pg.PlotItem) -> None:
    """A plot as narrow as its column, whatever its title: pyqtgraph makes the title's width
    the plot's minimum, and a plot wider than its widget is cut off at the widget's edge, axis
    and all (a long title in the narrow column of a 1280 px projector). The title stays
    centred, over the axes if it must."""
    label = item.titleLabel
    if getattr(label, "_never_widens", False):
        return
    measure = label.updateMin

    def update_min() -> None:
        measure()
        height = label.minimumHeight()
        label._sizeHint[Qt.SizeHint.MinimumSize] = (0, height)
        label.setMinimumWidth(0)

    label.updateMin = update_min
    label._never_widens = True
    update_min()


def follow_appearance(widget: _Widget) -> _Widget:
    """`widget` (a PlotWidget or GraphicsLayoutWidget) in the theme's colours and type size,
    now and after every theme change; legend entries and titles added later follow too."""
    assert isinstance(widget, pg.GraphicsView)
    restyle(widget)
    OnEvents(widget, lambda: restyle(widget), APPEARANCE_EVENTS)
    return widget
