"""Plots and side panels follow the theme's type size (projector: 14 pt) and plots its colours
and line width, also when the theme changes with the tabs already open."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QScrollArea, QTableWidget

TIMEOUT = 60_000


def _sizes(plot) -> set[str]:  # type: ignore[no-untyped-def]
    item = plot.getPlotItem()
    sizes = {item.titleLabel.opts["size"]} if item.titleLabel.text else set()
    for side in ("left", "bottom"):  # the axis titles ("step"; after a switch too)
        axis = item.getAxis(side)
        if axis.labelText:
            sizes.add(axis.labelStyle.get("font-size"))
    if item.legend is not None:
        sizes.add(item.legend.opts["labelTextSize"])
        sizes |= {label.opts["size"] for _, label in item.legend.items}
    return sizes


def _panel(widget) -> QScrollArea:  # type: ignore[no-untyped-def]
    return next(s for s in widget.findChildren(QScrollArea) if s.widget() is not None)


def test_lab_and_network_text_follow_the_theme(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    lab = window.open_lab()
    qtbot.waitUntil(lambda: lab.race is not None, timeout=TIMEOUT)
    network = window.open_network()
    plots = [lab.view, lab.plots.loss, lab.plots.distance, network.plots.loss, network.plots.grads]
    assert all(_sizes(p) == {"10pt"} for p in plots), [_sizes(p) for p in plots]
    narrow = _panel(lab).minimumWidth()

    window.apply_theme("projector")
    qtbot.waitUntil(lambda: all(_sizes(p) == {"14pt"} for p in plots), timeout=TIMEOUT)
    for widget in (lab, network):
        panel = _panel(widget)
        content = panel.widget()
        assert panel.minimumWidth() >= content.minimumSizeHint().width()
    assert _panel(lab).minimumWidth() > narrow  # bigger type, wider panel
    # a legend entry added after the switch (a new race) has the new size too
    with qtbot.waitSignal(lab.race_shown, timeout=TIMEOUT):
        lab.request_race()
    assert _sizes(lab.view) == {"14pt"}

    window.apply_theme("light")
    qtbot.waitUntil(lambda: all(_sizes(p) == {"10pt"} for p in plots), timeout=TIMEOUT)


def _colours(plot) -> tuple[str, set[str]]:  # type: ignore[no-untyped-def]
    """The plot's background, and the colours of its axes' text, title and legend entries."""
    item = plot.getPlotItem()
    texts = {item.getAxis(side).textPen().color().name() for side in ("left", "bottom")}
    if item.titleLabel.text:
        texts.add(QColor(item.titleLabel.opts["color"]).name())
    if item.legend is not None:
        texts |= {QColor(label.opts["color"]).name() for _, label in item.legend.items}
    return plot.backgroundBrush().color().name(), texts


def test_plots_take_the_theme_colours_and_line_width(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    lab = window.open_lab()
    qtbot.waitUntil(lambda: lab.race is not None, timeout=TIMEOUT)
    network = window.open_network()
    plots = [lab.view, lab.plots.loss, lab.plots.distance, network.plots.loss, network.decision]
    seen = set()
    for theme in ("dark", "projector", "light"):
        window.apply_theme(theme)
        palette = QApplication.palette()
        page = palette.color(QPalette.ColorRole.Base).name()
        ink = palette.color(QPalette.ColorRole.Text).name()
        qtbot.waitUntil(
            lambda page=page, ink=ink: all(_colours(p) == (page, {ink}) for p in plots),
            timeout=TIMEOUT,
        )
        seen.add((page, ink))
        # curves are drawn wider with the projector's bigger type, and back again
        width = network.plots.train.opts["pen"].widthF()
        assert width == pytest.approx(3 * 14 / 10 if theme == "projector" else 3), (theme, width)
    assert len(seen) == 3  # each theme its own page and ink (not pyqtgraph's black everywhere)


def test_error_messages_and_table_headers_follow_the_type_size(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    from tests.ui.conftest import set_program

    window.apply_theme("projector")
    set_program(qtbot, window, "x = torch.randn(3, 4)\nw = torch.randn(5, 2)\ny = x @ w\n")
    label = window.error_label
    # the projector's 14 pt, not a size frozen at 9 pt by a style sheet
    qtbot.waitUntil(lambda: label.isVisible() and label.fontInfo().pointSizeF() >= 13.5)
    assert label.font().bold()
    assert label.palette().color(QPalette.ColorRole.WindowText).name() == "#b00000"  # its red
    for table in window.inspector.findChildren(QTableWidget):
        header = table.horizontalHeader()
        metrics = header.fontMetrics()
        for column in range(table.columnCount() - 1):  # (the last one stretches)
            text = table.horizontalHeaderItem(column).text()
            assert header.sectionSize(column) >= metrics.horizontalAdvance(text), text
    window.apply_theme("light")
    qtbot.waitUntil(lambda: label.fontInfo().pointSizeF() < 11, timeout=TIMEOUT)


def test_emphasised_text_stays_larger_than_the_rest_in_every_theme(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    inspector = window.inspector
    for theme, base in (("projector", 14.0), ("light", 10.0)):
        window.apply_theme(theme)
        qtbot.waitUntil(
            lambda base=base: inspector.title.font().pointSizeF() == pytest.approx(1.5 * base),
            timeout=TIMEOUT,
        )
        assert inspector.title.font().bold()
        assert inspector.value_view.number.font().pointSizeF() == pytest.approx(1.4 * base)


def test_dock_titles_follow_the_type_size(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    """QDockWidget draws its title with the font it had when made (9 pt) unless its own font
    differs from its class's; the docks get a bold one at the theme's size, their contents plain."""
    docks = [window.inspector_dock, window.walkthrough.dock]
    for theme, size in (("projector", 14.0), ("light", 10.0)):
        window.apply_theme(theme)
        for dock in docks:
            qtbot.waitUntil(
                lambda dock=dock, size=size: dock.font().pointSizeF() == pytest.approx(size),
                timeout=TIMEOUT,
            )
            assert dock.font().bold() and dock.font() != QApplication.font("QDockWidget")
            assert not dock.widget().font().bold()
            assert dock.widget().font().pointSizeF() == pytest.approx(size)
