"""Plots and side panels follow the theme's type size (projector: 14 pt), also when the theme
changes with the tabs already open."""

from __future__ import annotations

from PySide6.QtWidgets import QScrollArea

TIMEOUT = 60_000


def _sizes(plot) -> set[str]:  # type: ignore[no-untyped-def]
    item = plot.getPlotItem()
    sizes = {item.titleLabel.opts["size"]} if item.titleLabel.text else set()
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
