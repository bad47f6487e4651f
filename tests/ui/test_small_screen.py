"""A 1280×720 projector in the projector theme: every tab fits the screen, no plot is cut off at
its widget's edge, and no legend lies over the curves or the surface."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from gradviz.ui.lab.racers import KIND_NAMES
from gradviz.ui.type_size import fit_to_contents

TIMEOUT = 60_000
SCREEN = (1280, 720)


def _plots(lab, network):  # type: ignore[no-untyped-def]
    return {
        "lab surface": lab.view,
        "lab loss": lab.plots.loss,
        "lab distance": lab.plots.distance,
        "network loss": network.plots.loss,
        "network gradient norms": network.plots.grads,
    }


def _settle(qtbot) -> None:  # type: ignore[no-untyped-def]
    for _ in range(3):
        QApplication.processEvents()
        qtbot.wait(50)


def _check_drawn_whole(name: str, plot) -> None:  # type: ignore[no-untyped-def]
    item = plot.getPlotItem()
    width = plot.viewport().width()
    # pyqtgraph lays a plot out wider than its widget where something in it (a title) needs
    # more, and the widget cuts it off: the right axis end and the last tick label gone
    assert item.sceneBoundingRect().right() <= width + 1, (name, item.sceneBoundingRect(), width)
    legend = item.legend
    if legend is None or not legend.items:
        return
    view = item.getViewBox().sceneBoundingRect()
    box = legend.sceneBoundingRect()
    assert not box.intersects(view), (name, box, view)  # beside the data, not over it
    for sample, label in legend.items:  # every entry inside the widget, none cut off
        for part in (sample, label):
            drawn = part.mapRectToScene(part.boundingRect())
            assert drawn.right() <= width + 1, (name, label.text, drawn, width)
            assert drawn.bottom() <= plot.viewport().height() + 1, (name, label.text, drawn)


def test_every_tab_fits_a_1280_projector(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    window.apply_theme("projector")
    lab = window.open_lab()
    qtbot.waitUntil(lambda: lab.race is not None, timeout=TIMEOUT)
    network = window.open_network()
    with qtbot.waitSignal(network.snapshot_shown, timeout=TIMEOUT):
        network.train(30)  # the status then names step, epoch, both losses, accuracy, speed
    assert "accuracy" in network.status.text()

    # the training status beside the buttons made the Network tab 1,670 px wide, the loss
    # landscape's controls in one row 1,360 px
    network.views.setCurrentIndex(1)  # (the landscape view is built when first shown)
    _settle(qtbot)
    assert window.minimumSizeHint().width() <= SCREEN[0], window.minimumSizeHint()
    window.resize(*SCREEN)
    for page in (lab, network):
        window.tabs.setCurrentWidget(page)
        _settle(qtbot)
        assert page.width() <= SCREEN[0]
    plots = {**_plots(lab, network), "network landscape": network.landscape.view}
    for name, plot in plots.items():
        window.tabs.setCurrentWidget(lab if name.startswith("lab") else network)
        _settle(qtbot)
        _check_drawn_whole(name, plot)
    # the plots beside a view keep a readable width (they went down to 70 px)
    assert network.plots.width() >= 10 * network.plots.fontMetrics().height()


def test_optimizer_boxes_narrow_their_lists_whole(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    lab = window.open_lab()
    box = lab.racers.rows[0].kind
    view = box.view()
    longest = max(view.sizeHintForColumn(0), 1)
    # "rmsprop-centered" no longer sets the width of the lab's whole side panel ...
    as_long_as_its_longest = QComboBox()
    as_long_as_its_longest.addItems(KIND_NAMES)
    as_long_as_its_longest.setFont(box.font())
    assert box.minimumSizeHint().width() < as_long_as_its_longest.minimumSizeHint().width()
    # ... its list still shows every name whole, and the box says it whole when it cuts it
    assert view.minimumWidth() >= longest
    box.setCurrentText("rmsprop-centered")
    assert box.toolTip() == "rmsprop-centered"
    assert set(KIND_NAMES) == {box.itemText(i) for i in range(box.count())}


def test_a_side_panel_widens_for_contents_added_later(qtbot) -> None:  # type: ignore[no-untyped-def]
    """A side panel measured its contents once (before Qt had polished them, in the lab): in
    the projector's type optimizer rows added later were cut off behind a sideways scroll
    bar. It now follows every change of its contents' layout."""
    content = QWidget()
    rows = QVBoxLayout(content)
    rows.addWidget(QPushButton("a short row"))
    panel = QScrollArea()
    panel.setWidget(content)
    panel.setWidgetResizable(True)
    qtbot.addWidget(panel)
    fit_to_contents(panel)
    panel.show()
    qtbot.waitExposed(panel)
    before = panel.minimumWidth()
    rows.addWidget(QPushButton("a row added later, much wider than the first one was"))
    qtbot.waitUntil(lambda: panel.minimumWidth() > before, timeout=5000)
    rows.activate()  # (the contents' own measure up to date)
    scrollbar = panel.verticalScrollBar().sizeHint().width()
    assert panel.minimumWidth() >= content.minimumSizeHint().width() + scrollbar
