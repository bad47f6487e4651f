"""The Network tab (pytest-qt, offscreen): builder ↔ editor, live training, CSV, landscape —
the numbers on screen checked against plain PyTorch computed here."""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PySide6.QtCore import Qt

from gradviz.nets.codegen import program
from gradviz.nets.read_back import read_back
from gradviz.nets.spec import Data, Layer
from tests.core.test_nets import TRAINED, plain_loop, reference_data
from tests.ui.conftest import set_program

TIMEOUT = 60_000


@pytest.fixture
def network(qtbot, window):  # type: ignore[no-untyped-def]
    set_program(qtbot, window, program(TRAINED))
    widget = window.open_network()
    qtbot.waitUntil(lambda: widget.shot is not None, timeout=TIMEOUT)
    return widget


def test_the_builder_shows_the_editor_program(network) -> None:  # type: ignore[no-untyped-def]
    builder = network.builder
    assert builder.dataset.currentData() == "moons"
    assert [row[1].value() for row in builder.layer_rows] == [6, 5]
    assert [row[2].currentText() for row in builder.layer_rows] == ["relu", "tanh"]
    assert builder.dropout.value() == pytest.approx(0.2)
    assert builder.features["xy"].isChecked() and not builder.features["x²"].isChecked()
    assert not network.banner.isVisible()
    assert network.shot.step == 0


def test_steps_and_play_match_a_plain_pytorch_loop(qtbot, network) -> None:  # type: ignore[no-untyped-def]
    for _ in range(3):
        with qtbot.waitSignal(network.snapshot_shown, timeout=TIMEOUT):
            qtbot.mouseClick(network.step_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(network.snapshot_shown, timeout=TIMEOUT):
        qtbot.mouseClick(network.epoch_button, Qt.MouseButton.LeftButton)
    steps = 3 + -(-90 // TRAINED.batch_size)  # an epoch: one pass over the 90 training points
    assert network.shot.step == steps
    model, losses = plain_loop(TRAINED, steps)
    assert network.shot.metrics.batch_loss == pytest.approx(losses, abs=1e-6)
    # the status line's training loss and accuracy: the whole training set, in eval mode
    torch.manual_seed(TRAINED.seed)
    x, y, target = reference_data("moons", 120, 0.1)
    features = torch.stack([x, y, x * y], dim=1)
    model.eval()
    with torch.no_grad():
        out = model(features[30:])
        loss = torch.nn.functional.binary_cross_entropy_with_logits(out, target[30:, None])
        test_out = model(features[:30])
        accuracy = ((test_out[:, 0] > 0).float() == target[:30]).float().mean()
    status = network.status.text().replace("\N{NO-BREAK SPACE}", " ")  # (it wraps between parts)
    assert f"training loss {loss.item():.4g}" in status
    assert f"test accuracy {accuracy.item():.0%}" in status
    # Play trains on in the worker until paused
    network.toggle_play()
    qtbot.waitUntil(lambda: network.shot.step > steps + 20, timeout=TIMEOUT)
    network.toggle_play()
    assert not network.playing
    # while playing, the losses are measured once an epoch: the status says at which step
    status = network.status.text().replace("\N{NO-BREAK SPACE}", " ")
    measured = int(network.shot.metrics.eval_steps[-1])
    assert (f"(at step {measured})" in status) == (measured != network.shot.step)
    curve = network.plots.train.getData()
    assert len(curve[0]) == len(network.shot.metrics.eval_steps)


def test_the_decision_picture_fills_its_view_and_says_what_its_colours_mean(qtbot, network) -> None:  # type: ignore[no-untyped-def]
    """A colour bar beside the picture, 0 to 1 for a classifier's P(class 1); the picture's
    window has the view's own shape (no empty strip beside it), and a resized view gets a
    picture of its new shape without a training step."""
    from gradviz.nets.trainer import MAX_ASPECT
    from gradviz.ui.nets.network_widget import RESHAPE_TOLERANCE

    view = network.decision
    assert view.bar.levels() == (0.0, 1.0)
    assert "P(class 1)" in view.bar.getAxis("right").labelText

    def follows() -> bool:  # the picture has the view's shape (within the 4:1 cap)
        wanted = min(MAX_ASPECT, max(1 / MAX_ASPECT, view.aspect()))
        return abs(math.log(_shape(network.shot.extent) / wanted)) <= RESHAPE_TOLERANCE

    network.window().resize(1900, 900)
    qtbot.waitUntil(follows, timeout=TIMEOUT)
    step, before = network.shot.step, view.aspect()
    network.window().resize(1300, 1000)
    qtbot.waitUntil(lambda: abs(view.aspect() - before) > 0.1, timeout=TIMEOUT)
    qtbot.waitUntil(follows, timeout=TIMEOUT)
    assert network.shot.step == step  # a new picture, no training
    x0, x1, y0, y1 = network.shot.extent
    rows, columns = network.shot.grid.shape
    assert (x1 - x0) / (columns - 1) == pytest.approx((y1 - y0) / (rows - 1), rel=0.05)


def test_the_gradient_norms_name_each_layer_as_the_builder_does(network) -> None:  # type: ignore[no-untyped-def]
    """Module paths alone do not say which layer is first: the legend adds the builder's
    names (hidden layers 1 and 2, then the output layer)."""
    curves = network.plots._grad_curves
    assert list(curves) == ["model.0", "model.3", "model.6"]
    assert [curve.name() for curve in curves.values()] == [
        "model.0 · layer 1", "model.3 · layer 2", "model.6 · output",
    ]  # fmt: skip


def _shape(extent: tuple[float, ...]) -> float:
    x0, x1, y0, y1 = extent
    return (x1 - x0) / (y1 - y0)


def test_building_rewrites_the_program_and_undo_brings_it_back(qtbot, window, network) -> None:  # type: ignore[no-untyped-def]
    before = window.editor.toPlainText()
    qtbot.mouseClick(network.builder.add_layer, Qt.MouseButton.LeftButton)
    text = window.editor.toPlainText()
    spec = read_back(text)
    assert spec.layers == (Layer(6, "relu"), Layer(5, "tanh"), Layer(5, "tanh"))
    assert "nn.Linear(5, 5), nn.Tanh(), nn.Dropout(0.2)," in text
    qtbot.waitUntil(lambda: network.shot is not None and network.shot.step == 0, timeout=TIMEOUT)
    window.editor.undo()
    assert window.editor.toPlainText() == before
    qtbot.waitUntil(lambda: len(network.builder.layer_rows) == 2, timeout=TIMEOUT)


def test_typing_in_the_editor_updates_the_builder(qtbot, window, network) -> None:  # type: ignore[no-untyped-def]
    text = window.editor.toPlainText()
    edited = text.replace("nn.Linear(3, 6), nn.ReLU()", "nn.Linear(3, 9), nn.GELU()")
    edited = edited.replace("nn.Linear(6, 5)", "nn.Linear(9, 5)").replace("n = 120", "n = 80")
    window.editor.setPlainText(edited)
    qtbot.waitUntil(lambda: network.builder.layer_rows[0][1].value() == 9, timeout=TIMEOUT)
    assert network.builder.layer_rows[0][2].currentText() == "gelu"
    assert network.builder.samples.value() == 80
    # a program the builder cannot show: a banner, and the builder keeps its network
    window.editor.setPlainText(edited.replace("nn.GELU()", "nn.Conv1d(1, 1, 1)"))
    qtbot.waitUntil(lambda: network.banner.isVisible(), timeout=TIMEOUT)
    assert "Conv1d" in network.banner.text() and "line" in network.banner.text()
    qtbot.mouseClick(network.use_builder, Qt.MouseButton.LeftButton)
    assert "nn.Linear(3, 9), nn.GELU()" in window.editor.toPlainText()
    assert not network.banner.isVisible()


@pytest.mark.parametrize(
    "changes",
    [
        {"optimizer": "sgd:lr=100"},  # a learning rate to watch diverge
        {"optimizer": "adam:lr=3e-07"},
        {"optimizer": "sgd:lr=0.05,momentum=0.9"},
        {"data": Data("moons", samples=120, noise=0.125, test_fraction=0.25)},
        {"data": Data("moons", samples=120, noise=0.1, test_fraction=0.333)},
        {"dropout": 0.99},
        {"weight_decay": 1e-06},
    ],
)
def test_the_builder_shows_a_programs_numbers_as_written(qtbot, changes) -> None:  # type: ignore[no-untyped-def]
    """The builder writes its numbers back into the program on any change; one it rounded or
    clamped on the way in (lr 100 shown as 10, noise 0.125 as 0.13) would be rewritten."""
    from gradviz.ui.nets.builder import BuilderPanel

    panel = BuilderPanel()
    qtbot.addWidget(panel)
    written = read_back(program(TRAINED.with_(**changes)))  # as the program states it
    panel.set_spec(written)
    assert panel.spec() == written


def test_absurd_settings_and_bad_csv_files(qtbot, network, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    network.builder.features["x"].setChecked(False)
    network.builder.features["y"].setChecked(False)
    network.builder.features["xy"].setChecked(False)
    assert "at least one input feature" in network.status.text()
    network.builder.features["x"].setChecked(True)
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y,label\n" + "1,2,0\n" * 12 + "1,oops,1\n")
    assert not network.load_csv(str(bad))
    assert "line 14, column 2: 'oops' is not a number" in network.status.text()
    good = tmp_path / "good.csv"
    rows = [(i / 10, (i % 5) / 5, float(i % 2)) for i in range(40)]
    good.write_text("".join(f"{a},{b},{c}\n" for a, b, c in rows))
    with qtbot.waitSignal(network.snapshot_shown, timeout=TIMEOUT):
        assert network.load_csv(str(good))
    assert network.spec.data.name == "csv" and len(network.spec.data.csv_rows) == 40
    assert "40 rows" in network.builder.csv_label.text()
    shown = sorted(map(tuple, network.shot.points.tolist()))
    np.testing.assert_allclose(shown, sorted((a, b) for a, b, _ in rows), atol=1e-6)


def _bce_of_plain_loop(steps: int) -> float:
    """The training-set loss of a plain PyTorch loop after `steps` steps."""
    model, _ = plain_loop(TRAINED, steps)
    torch.manual_seed(TRAINED.seed)
    x, y, target = reference_data("moons", 120, 0.1)
    model.eval()
    with torch.no_grad():
        out = model(torch.stack([x, y, x * y], dim=1)[30:])
        loss = torch.nn.functional.binary_cross_entropy_with_logits(out, target[30:, None])
    return loss.item()


def test_loss_landscape_of_the_trained_weights(qtbot, network) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(network.snapshot_shown, timeout=TIMEOUT):
        network.train(40)
    panel = network.landscape
    panel.grid.setValue(7)
    with qtbot.waitSignal(network.worker.done, timeout=TIMEOUT):
        panel.request()
    result = panel.result
    assert result is not None and result.losses.shape == (7, 7)
    expected = _bce_of_plain_loop(40)
    assert result.center == pytest.approx(expected, abs=1e-6)
    assert float(result.losses[3, 3]) == pytest.approx(expected, abs=1e-5)
    assert "step 40" in panel.label.text()
    panel.mode.setCurrentIndex(panel.mode.findData("pca"))
    with qtbot.waitSignal(network.worker.done, timeout=TIMEOUT):
        panel.request()
    assert panel.result.directions == "PCA of the trajectory"
    assert len(panel.view.paths) == 1 and len(panel.view.paths[0].points) >= 3
    # which way training ran: its two ends are labelled, at the path's first and last points
    path = panel.view.paths[0].points
    ends = [(label.toPlainText(), (label.pos().x(), label.pos().y())) for label in panel._ends]
    assert ends == [("step 0", tuple(path[0])), ("step 40", tuple(path[-1]))]
    panel.mode.setCurrentIndex(panel.mode.findData("random"))
    with qtbot.waitSignal(network.worker.done, timeout=TIMEOUT):
        panel.request()
    assert panel._ends == []  # no trajectory on random directions: no labels left behind


def test_training_does_not_wait_for_a_landscape(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    """Play while a big network's landscape computes (about a minute here): training starts at
    once, the landscape is dropped (its weights are moving), and computed again on pause."""
    big = TRAINED.with_(data=Data("moons", 5000), layers=(Layer(256, "tanh"),) * 4)
    set_program(qtbot, window, program(big))
    network = window.open_network()
    qtbot.waitUntil(lambda: network.shot is not None, timeout=TIMEOUT)
    panel = network.landscape
    panel.grid.setValue(101)
    network.views.setCurrentWidget(panel)  # opening the tab starts the computation
    assert network.worker.busy("landscape") and panel.label.text() == "computing…"
    qtbot.wait(300)
    with qtbot.waitSignal(network.snapshot_shown, timeout=5_000):
        qtbot.mouseClick(network.play_button, Qt.MouseButton.LeftButton)
    assert not network.worker.busy("landscape") and panel.result is None
    assert panel.label.text() == "The landscape is computed when training stops."
    panel.grid.setValue(5)
    network.pause()
    qtbot.waitUntil(lambda: panel.result is not None, timeout=TIMEOUT)
    assert panel.computed_at == network.shot.step and panel.result.losses.shape == (5, 5)


def test_the_landscape_tab_opened_while_training_shows_one(qtbot, network) -> None:  # type: ignore[no-untyped-def]
    """Opening the tab during Play computes a landscape without pausing (Play's next chunk
    does not cancel it; a user's Play, Step or epoch would)."""
    panel = network.landscape
    panel.grid.setValue(7)
    network.toggle_play()
    qtbot.waitUntil(lambda: network.shot.step > 5, timeout=TIMEOUT)
    network.views.setCurrentWidget(panel)
    qtbot.waitUntil(lambda: panel.result is not None, timeout=TIMEOUT)
    assert network.playing and panel.computed_at is not None and panel.computed_at > 5
    network.toggle_play()


def test_the_landscape_view_is_built_when_its_tab_is_first_opened(qtbot, network) -> None:  # type: ignore[no-untyped-def]
    assert network._landscape is None  # opening the Network tab did not build it
    with qtbot.waitSignal(network.snapshot_shown, timeout=TIMEOUT):
        network.train(4)
    network.views.setCurrentIndex(1)  # as a click on "Loss landscape"
    panel = network._landscape
    assert panel is not None and network.views.currentWidget() is panel
    assert network.views.tabText(1) == "Loss landscape"
    qtbot.waitUntil(lambda: panel.result is not None, timeout=TIMEOUT)
    assert panel.computed_at == 4
    assert panel.result.center == pytest.approx(_bce_of_plain_loop(4), abs=1e-6)


def test_opening_the_landscape_tab_computes_it(qtbot, network) -> None:  # type: ignore[no-untyped-def]
    """No empty plot behind a Compute button: the tab computes the landscape at the weights
    when opened, again when training moved them while paused, and not when nothing changed."""
    panel = network.landscape
    panel.grid.setValue(7)
    with qtbot.waitSignal(network.snapshot_shown, timeout=TIMEOUT):
        network.train(10)
    network.views.setCurrentWidget(panel)
    qtbot.waitUntil(lambda: panel.result is not None, timeout=TIMEOUT)
    assert panel.computed_at == 10 and not network.playing
    assert panel.result.center == pytest.approx(_bce_of_plain_loop(10), abs=1e-6)
    first = panel.result
    network.views.setCurrentIndex(0)
    network.views.setCurrentWidget(panel)
    qtbot.wait(300)
    assert panel.result is first  # the same weights: nothing recomputed
    network.views.setCurrentIndex(0)
    with qtbot.waitSignal(network.snapshot_shown, timeout=TIMEOUT):
        network.train(5)
    network.views.setCurrentWidget(panel)
    qtbot.waitUntil(lambda: panel.computed_at == 15, timeout=TIMEOUT)
    assert panel.result.center == pytest.approx(_bce_of_plain_loop(15), abs=1e-6)
    with qtbot.waitSignal(network.snapshot_shown, timeout=TIMEOUT):  # a step, tab in view
        network.train(3)
    qtbot.waitUntil(lambda: panel.computed_at == 18, timeout=TIMEOUT)
    assert panel.result.center == pytest.approx(_bce_of_plain_loop(18), abs=1e-6)


@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="the 3D view needs Xvfb")
def test_the_landscape_in_3d_under_xvfb(tmp_path: Path) -> None:
    out = tmp_path / "landscape3d.png"
    source = tmp_path / "net.py"
    source.write_text(program(TRAINED))
    code = f"""
from pathlib import Path
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication
app = QApplication([])
from gradviz.ui.autosave import Autosaver
from gradviz.ui.main_window import MainWindow
from gradviz.ui.settings import Preferences
scratch = Path({str(tmp_path)!r})
w = MainWindow(Preferences(QSettings(str(scratch / "s.ini"), QSettings.Format.IniFormat)),
               Autosaver(scratch))
w.resize(1400, 900); w.show(); w.start({str(source)!r})
def go():
    n = w.open_network()
    n.worker.done.connect(lambda channel, result: channel == "landscape" and shoot())
    n.snapshot_shown.connect(shown)
def shown():
    n = w.network
    n.train(30) if n.shot.step == 0 else n.shot.step == 30 and compute()
def compute():
    panel = w.network.landscape
    panel.mode.setCurrentIndex(panel.mode.findData("pca")); panel.grid.setValue(21)
    panel.request()
shots = []
def shoot():
    panel = w.network.landscape
    shots.append(1)
    if len(shots) == 2:  # computed again with the 3D view on: the mesh is the new landscape
        print('3d grid', panel.view3d.grid.values.shape)
        w.document.dirty = False; w.close(); app.quit()
        return
    panel.three_d.setChecked(True)
    QTimer.singleShot(1500, lambda: done(panel))
def done(panel):
    panel.view3d.grabFramebuffer().save({str(out)!r})
    print('mesh', panel.view3d.mesh is not None, 'lines', len(panel.view3d._lines))
    print('pinned at the weights', panel.view3d.marker == (0.0, 0.0))
    panel.grid.setValue(11)
    panel.request()
w.torch_ready.connect(lambda: QTimer.singleShot(300, go))
QTimer.singleShot(90000, app.quit)
app.exec()
"""
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    result = subprocess.run(
        ["xvfb-run", "-a", "-s", "-screen 0 1920x1080x24", sys.executable, "-c", code],
        capture_output=True, text=True, timeout=180, env=env,
    )  # fmt: skip
    assert "mesh True lines 1" in result.stdout, result.stdout + result.stderr
    assert "pinned at the weights True" in result.stdout, result.stdout + result.stderr
    assert "3d grid (11, 11)" in result.stdout, result.stdout + result.stderr
    from PySide6.QtGui import QImage

    image = QImage(str(out))
    colours = {
        image.pixel(x, y) for x in range(0, image.width(), 37) for y in range(0, image.height(), 37)
    }
    assert len(colours) > 20  # a drawn surface, not a blank context


def test_the_hidden_units_view_shows_each_units_output(qtbot, network) -> None:  # type: ignore[no-untyped-def]
    """One thumbnail per hidden unit, showing the trainer's neuron grids (themselves checked
    against forward hooks in the core tests), refreshed as training goes on."""
    with qtbot.waitSignal(network.snapshot_shown, timeout=TIMEOUT):
        network.views.setCurrentWidget(network.neurons)  # asks for a picture of the units
    shot = network.shot
    assert shot.neurons is not None
    assert {k: v.shape[0] for k, v in shot.neurons.items()} == {"model.0": 6, "model.3": 5}
    view = network.neurons
    assert [len(images) for images in view.images.values()] == [6, 5]
    for name, images in view.images.items():
        for index, (image, grid) in enumerate(zip(images, shot.neurons[name], strict=True)):
            np.testing.assert_array_equal(image.image, grid)
            low, high = float(grid.min()), float(grid.max())  # what hovering says of it
            assert image.toolTip() == f"{name}, unit {index + 1}: from {low:.3g} to {high:.3g}"
    labels = [item.text for item in view.ci.items if hasattr(item, "text")]
    assert any(
        text.startswith("orange: negative · white: zero · blue: positive") for text in labels
    )
    before = shot.neurons["model.0"].copy()
    with qtbot.waitSignal(network.snapshot_shown, timeout=TIMEOUT):
        qtbot.mouseClick(network.epoch_button, Qt.MouseButton.LeftButton)
    assert not np.array_equal(network.shot.neurons["model.0"], before)  # training moved them
    network.views.setCurrentIndex(0)
    with qtbot.waitSignal(network.snapshot_shown, timeout=TIMEOUT):
        qtbot.mouseClick(network.step_button, Qt.MouseButton.LeftButton)
    assert network.shot.neurons is None  # not computed while nobody looks at them
    network.views.setCurrentWidget(network.neurons)
    for _ in range(len(network.builder.layer_rows)):  # no hidden layers left: it says so
        qtbot.mouseClick(network.builder.layer_rows[0][3], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: network.shot is not None and network.shot.neurons == {}, timeout=TIMEOUT
    )
    assert view.images == {}


def test_dead_units_are_marked(qtbot, network) -> None:  # type: ignore[no-untyped-def]
    """Two ReLU units of the first layer killed by a large negative bias: their thumbnails say
    "dead" (the others do not), the layer's title counts them, hovering says why, and the
    legend explains the word; flags checked against the layer's activations on the training
    set, computed here in plain torch."""
    trainer = network.holder["trainer"]
    first = trainer.model[0]
    with torch.no_grad():
        first.bias[2] = -100.0
        first.bias[5] = -100.0
        expected = (torch.relu(trainer.X_train @ first.weight.T + first.bias) == 0).all(0)
    assert expected.tolist() == [False, False, True, False, False, True]
    with qtbot.waitSignal(network.snapshot_shown, timeout=TIMEOUT):
        network.views.setCurrentWidget(network.neurons)
    view = network.neurons
    shown = [mark.isVisible() for mark in view.dead_marks["model.0"]]
    assert shown == expected.tolist()
    assert not any(mark.isVisible() for mark in view.dead_marks["model.3"])  # tanh: never 0
    images = view.images["model.0"]
    assert images[2].toolTip().startswith("model.0, unit 3: dead — it outputs 0 for every")
    assert images[0].toolTip().startswith("model.0, unit 1: from ")
    labels = [item.text for item in view.ci.items if hasattr(item, "text")]
    assert "model.0 · layer 1<br>6 units · 2 dead" in labels
    assert "model.3 · layer 2<br>5 units" in labels
    assert any("dead: 0 for every training point" in text for text in labels)


@pytest.mark.parametrize(
    ("count", "width", "height"), [(8, 380, 840), (16, 380, 840), (6, 300, 900), (5, 900, 200)]
)
def test_hidden_units_sit_abreast_as_space_allows(count: int, width: int, height: int) -> None:
    """The arrangement gives each square thumbnail the most room a grid of that column offers."""
    from gradviz.ui.nets.neurons import thumbnails_across

    def side(across: int) -> float:
        rows = -(-count // across)
        return min(width / across, height / rows)

    chosen = thumbnails_across(count, width, height)
    assert side(chosen) == max(side(a) for a in range(1, count + 1))
    if (count, width, height) == (8, 380, 840):
        assert chosen == 2 and side(chosen) > 1.8 * side(1)  # the Network tab's usual case


def test_save_picture_writes_the_view_and_plots(qtbot, network, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtGui import QImage

    for _ in range(2):
        with qtbot.waitSignal(network.snapshot_shown, timeout=TIMEOUT):
            qtbot.mouseClick(network.step_button, Qt.MouseButton.LeftButton)
    png, svg = tmp_path / "training.png", tmp_path / "training.svg"
    network.save_picture(str(png))
    network.save_picture(str(svg))
    image = QImage(str(png))
    view, plots = network.picture()
    assert view is network.decision  # the view shown, without the tabs above it
    ratio = view.devicePixelRatioF()
    assert (image.width(), image.height()) == (
        round((view.width() + plots.width()) * ratio),
        round(max(view.height(), plots.height()) * ratio),
    )
    assert len({image.pixel(x, image.height() // 2) for x in range(0, image.width(), 7)}) > 10
    text = svg.read_text(encoding="utf-8")
    assert "<svg" in text[:2000] and "gradviz network training" in text
    assert "training set" in text and "per layer" in text  # the plots' legend and title
    # the data points as vector symbols (drawn from pyqtgraph's pixmap cache, each of the 120
    # points would be an image of its own; the heatmap and the views' backgrounds are images)
    assert text.count("<image") < 10, text.count("<image")


def test_the_data_view_shows_the_new_points_after_a_data_change(qtbot, network) -> None:  # type: ignore[no-untyped-def]
    def shown() -> np.ndarray:
        train = network.decision.train_points.getData()
        test = network.decision.test_points.getData()
        points = np.concatenate([np.stack(train, 1), np.stack(test, 1)])
        return points[np.lexsort(points.T[::-1])]

    def expected(name: str) -> np.ndarray:
        torch.manual_seed(TRAINED.seed)
        x, y, _ = reference_data(name, 120, 0.1)
        points = torch.stack([x, y], 1).numpy()
        return points[np.lexsort(points.T[::-1])]

    np.testing.assert_allclose(shown(), expected("moons"), rtol=1e-6)
    with qtbot.waitSignal(network.snapshot_shown, timeout=TIMEOUT):  # a picture of the same data
        qtbot.mouseClick(network.step_button, Qt.MouseButton.LeftButton)
    np.testing.assert_allclose(shown(), expected("moons"), rtol=1e-6)
    network.builder.dataset.setCurrentIndex(network.builder.dataset.findData("xor"))
    qtbot.waitUntil(lambda: network.shot.step == 0, timeout=TIMEOUT)
    np.testing.assert_allclose(shown(), expected("xor"), rtol=1e-6)


def test_a_long_runs_curves_are_thinned_but_not_the_evaluations(qtbot) -> None:  # type: ignore[no-untyped-def]
    from gradviz.nets.curves import CurveRecorder
    from gradviz.nets.trainer import Metrics
    from gradviz.ui.nets.tasks import Snapshot
    from gradviz.ui.nets.views import MAX_POINTS, TrainingPlots

    rng = np.random.default_rng(0)
    n, evals = 30_000, 300
    metrics = Metrics(
        steps=list(range(1, n + 1)),
        batch_loss=list(rng.uniform(0.01, 2.0, n)),
        grad_norms={"model.0": list(rng.uniform(0.1, 1.0, n))},
        eval_steps=list(range(100, n + 1, 100)),
        train_loss=list(rng.uniform(0.05, 1.0, evals)),
        test_loss=list(rng.uniform(0.05, 1.0, evals)),
    )
    curves = CurveRecorder().update(metrics)
    plots = TrainingPlots()
    qtbot.addWidget(plots)
    plots.resize(500, 700)
    plots.show()
    grid, points = np.zeros((4, 4)), np.zeros((0, 2))
    shot = Snapshot(n, 1.0, curves, grid, (0, 1, 0, 1), points, np.zeros(0), np.zeros(0, bool),
                    True, 1.0, "cpu")  # fmt: skip
    plots.show_snapshot(shot)
    batch_x, batch_y = plots.batch.getData()
    columns = plots.loss.getViewBox().width()
    assert 100 <= columns < MAX_POINTS / 2
    assert len(batch_x) <= 2 * columns + 2  # a stretch a pixel column, its low and high kept
    assert np.max(batch_y) == pytest.approx(np.log10(max(metrics.batch_loss)))
    assert np.min(batch_y) == pytest.approx(np.log10(min(metrics.batch_loss)))
    assert len(plots.train.getData()[0]) == evals  # every evaluation drawn
    (x0, x1), (y0, y1) = plots.loss.getViewBox().viewRange()
    assert x0 <= 0 and x1 >= n  # the whole run in view
    assert y0 <= np.log10(min(metrics.batch_loss)) and y1 >= np.log10(max(metrics.batch_loss))


def test_a_picture_paints_each_training_plot_once_on_rounded_ranges(qtbot) -> None:  # type: ignore[no-untyped-def]
    """pyqtgraph applies a range at its next paint, and that paint's changes asked for a second
    one: every plot was painted twice a picture. The ranges are round numbers, so that the
    axes (laid out again whenever their range moves) hold still between most pictures."""
    from PySide6.QtCore import QEvent, QObject

    from gradviz.nets.curves import CurveRecorder
    from gradviz.nets.trainer import Metrics
    from gradviz.ui.nets.tasks import Snapshot
    from gradviz.ui.nets.views import TrainingPlots

    plots = TrainingPlots()
    qtbot.addWidget(plots)
    plots.resize(500, 700)
    plots.show()
    qtbot.waitExposed(plots)
    paints = {id(plots.loss): 0, id(plots.grads): 0}

    class Count(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint:
                paints[id(watched.parent())] += 1
            return False

    counter = Count()
    for plot in (plots.loss, plots.grads):
        plot.viewport().installEventFilter(counter)
    rng = np.random.default_rng(1)
    for n in (100, 300, 1234):  # the first makes the curves and their legend
        loss = np.exp(-np.linspace(0, 5, n)) + rng.uniform(0, 0.01, n)
        metrics = Metrics(steps=list(range(1, n + 1)), batch_loss=list(loss),
                          grad_norms={"model.0": list(rng.uniform(0.1, 1.0, n))},
                          eval_steps=[n], train_loss=[float(loss[-1])],
                          test_loss=[float(loss[-1])])  # fmt: skip
        curves, grid, points = CurveRecorder().update(metrics), np.zeros((4, 4)), np.zeros((0, 2))
        shot = Snapshot(n, 1.0, curves, grid, (0, 1, 0, 1), points, np.zeros(0),
                        np.zeros(0, bool), True, 1.0, "cpu")  # fmt: skip
        qtbot.wait(50)
        for key in paints:
            paints[key] = 0
        plots.show_snapshot(shot)
        qtbot.wait(200)
        if n == 100:
            continue
        assert list(paints.values()) == [1, 1]
        (_, x1), (y0, y1) = plots.loss.getViewBox().viewRange()
        right = {300: 300, 1234: 1250}[n]  # the next of 1, 1.25, 1.5, 2, … × 10^k
        assert x1 == pytest.approx(right + 0.02 * right, rel=1e-6)  # with 2 % padding
        low, high = math.log10(loss.min()), math.log10(loss.max())
        quarter_low, quarter_high = math.floor(4 * low) / 4, math.ceil(4 * high) / 4
        pad = 0.02 * (quarter_high - quarter_low)
        assert (y0, y1) == pytest.approx((quarter_low - pad, quarter_high + pad), abs=1e-9)


def test_the_points_share_a_brush_per_colour(qtbot) -> None:  # type: ignore[no-untyped-def]
    """pyqtgraph draws a symbol for every brush object it is given: the points' brushes are one
    per colour, two for classes, at most 64 shades of the targets' colour map for regression,
    each within half a shade of the exact colour."""
    from PySide6.QtGui import QColor

    from gradviz.ui.nets.tasks import Snapshot
    from gradviz.ui.nets.views import CLASS_COLOURS, REGRESSION_MAP, SHADES, DecisionView

    targets = np.random.default_rng(2).normal(size=2000)

    def shot(classification: bool) -> Snapshot:
        values = (targets > 0).astype(float) if classification else targets
        return Snapshot(0, 1.0, None, np.zeros((4, 4)), (0, 1, 0, 1), np.zeros((2000, 2)),
                        values, np.zeros(2000, bool), classification, 1.0, "cpu")  # fmt: skip

    brushes = DecisionView._brushes(shot(True))
    assert len({id(b) for b in brushes}) == 2
    assert [b.color().name() for b in brushes[:50]] == [
        CLASS_COLOURS[int(t > 0)].lower() for t in targets[:50]
    ]
    brushes = DecisionView._brushes(shot(False))
    assert 32 < len({id(b) for b in brushes}) <= SHADES
    scaled = (targets - targets.min()) / (targets.max() - targets.min())
    for brush, value in zip(brushes[:200], scaled[:200], strict=True):
        exact = REGRESSION_MAP.map(float(value), mode="qcolor")
        low = REGRESSION_MAP.map(max(0.0, value - 0.5 / (SHADES - 1)), mode="qcolor")
        high = REGRESSION_MAP.map(min(1.0, value + 0.5 / (SHADES - 1)), mode="qcolor")
        shown = QColor(brush.color())
        for channel in ("red", "green", "blue"):
            near = sorted(getattr(c, channel)() for c in (low, exact, high))
            assert near[0] - 1 <= getattr(shown, channel)() <= near[-1] + 1
