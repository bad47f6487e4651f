"""No pyqtgraph right-click menu on any of gradviz's plots: its Export… fails on SVG under
Qt 6.11+ (a ValueError from SVGExporter, reported as "Something went wrong") and its transforms
(log, FFT, derivative) fight the axes gradviz sets; each view has its own Save picture…."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QMenu

from tests.ui.conftest import set_program

TIMEOUT = 60_000


def _views(widget) -> list[pg.ViewBox]:  # type: ignore[no-untyped-def]
    found = []
    for view in widget.findChildren(pg.GraphicsView):
        found += [item for item in view.scene().items() if isinstance(item, pg.ViewBox)]
    return found


def _menus_shown() -> list[QMenu]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, QMenu) and w.isVisible()]


def test_no_plot_offers_pyqtgraphs_menu(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    set_program(
        qtbot, window, "W = torch.randn(30, 40, requires_grad=True)\nloss = (W ** 2).sum()\n"
    )
    window.canvas.select(window.graph.find("W").id)  # the inspector's heatmaps
    lab = window.open_lab()
    qtbot.waitUntil(lambda: lab.race is not None, timeout=TIMEOUT)
    network = window.open_network()
    qtbot.waitUntil(lambda: network.shot is not None, timeout=TIMEOUT)
    for index in range(network.views.count()):  # the landscape view is built when first shown
        network.views.setCurrentIndex(index)
        qtbot.wait(50)

    views = _views(window) + _views(window.inspector)
    plots = {
        "lab surface": lab.view,
        "lab loss": lab.plots.loss,
        "lab distance": lab.plots.distance,
        "network decision boundary": network.decision,
        "network loss": network.plots.loss,
        "network gradient norms": network.plots.grads,
        "network landscape": network.landscape.view,
        "inspector value": window.inspector.value_view._heatmap[0],
    }
    for name, plot in plots.items():
        assert any(v.getViewWidget() is plot for v in views), name  # all looked at below
    offering = [v for v in views if v.menuEnabled()]
    assert not offering, [v.getViewWidget().accessibleName() or v for v in offering]

    # what a user does: a right-click on the surface and on a training plot opens nothing
    window.open_lab()
    for plot in (lab.view, lab.plots.loss):
        centre = plot.viewport().rect().center()
        qtbot.mouseClick(plot.viewport(), Qt.MouseButton.RightButton, pos=centre)
        qtbot.wait(50)
        assert not _menus_shown(), plot
        qtbot.mouseClick(plot.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(1, 1))
