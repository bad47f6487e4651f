"""The optimizer lab tab (pytest-qt, offscreen): start, play, settings, device, exports."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor

from gradviz.optim.registry import parse_spec
from gradviz.optim.surfaces import get_surface

TIMEOUT = 60_000


@pytest.fixture
def lab(qtbot, window):  # type: ignore[no-untyped-def]
    widget = window.open_lab()
    qtbot.waitUntil(lambda: widget.race is not None, timeout=TIMEOUT)
    return widget


def reference(spec_text: str, start: tuple[float, float], steps: int) -> np.ndarray:
    spec = parse_spec(spec_text)
    p = torch.tensor(start, requires_grad=True)
    optimizer = spec.kind.cls([p], **spec.params())
    surface = get_surface("rosenbrock")
    points = [p.detach().clone()]
    for _ in range(steps):
        optimizer.zero_grad()
        surface(p[0], p[1]).backward()
        optimizer.step()
        points.append(p.detach().clone())
    return torch.stack(points).numpy()


def test_the_default_race_runs_real_torch_optim(lab) -> None:  # type: ignore[no-untyped-def]
    race = lab.race
    assert race.paths[0].label.startswith("SGD")
    start = get_surface("rosenbrock").start
    np.testing.assert_allclose(
        race.paths[0].points, reference("sgd:lr=0.001", start, 300), rtol=1e-5, atol=1e-6
    )
    assert lab.view.image.image is not None and len(lab.view.contours.levels) > 0


def test_the_legend_markers_are_the_racers_markers(lab) -> None:  # type: ignore[no-untyped-def]
    view = lab.view
    lab.show_frame(lab.max_steps())
    heads = view.heads.data
    samples = [sample for sample, _ in view.legend.items]
    assert len(samples) == len(view.paths) == len(heads) == 4
    for sample, path, head in zip(samples, view.paths, heads, strict=True):
        drawn = sample.item.scatter.opts  # what the legend paints its marker with
        assert drawn["symbol"] == head["symbol"]
        assert drawn["brush"].color().name() == QColor(path.colour).name()
        assert sample.item.opts["pen"].color().name() == QColor(path.colour).name()


def test_click_sets_the_start_and_reruns(qtbot, lab) -> None:  # type: ignore[no-untyped-def]
    view = lab.view
    target = view.getViewBox().mapViewToScene(QPointF(0.5, 2.5))
    with qtbot.waitSignal(lab.race_shown, timeout=TIMEOUT):
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.mapFromScene(target))
    x, y = lab.state.start
    assert abs(x - 0.5) < 0.05 and abs(y - 2.5) < 0.05
    for path in lab.race.paths:
        assert tuple(path.points[0]) == pytest.approx((x, y), abs=1e-5)
    np.testing.assert_allclose(
        lab.race.paths[0].points, reference("sgd:lr=0.001", (x, y), 300), rtol=1e-5, atol=1e-6
    )


def _mouse(widget, kind, pos, buttons) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    point = QPointF(pos)
    event = QMouseEvent(
        kind, point, widget.mapToGlobal(point), Qt.MouseButton.LeftButton, buttons,
        Qt.KeyboardModifier.NoModifier,
    )  # fmt: skip
    QApplication.sendEvent(widget, event)


def test_dragging_the_start_races_from_each_position(qtbot, lab) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QEvent

    view = lab.view
    box = view.getViewBox()
    x0, y0 = lab.race.start  # the surface's usual start, where the marker stands

    def at(x: float, y: float):  # type: ignore[no-untyped-def]
        return view.mapFromScene(box.mapViewToScene(QPointF(x, y)))

    held, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    viewport = view.viewport()
    _mouse(viewport, QEvent.Type.MouseButtonPress, at(x0, y0), held)
    previews = []
    lab.view.start_moved.connect(lambda x, y: previews.append((x, y)))
    for k in range(1, 6):  # towards (0.5, 2.5), a few moves
        x, y = x0 + (0.5 - x0) * k / 5, y0 + (2.5 - y0) * k / 5
        _mouse(viewport, QEvent.Type.MouseMove, at(x, y), held)
        qtbot.wait(20)
    assert len(previews) >= 3, "the marker did not follow the mouse"
    assert lab.state.start == pytest.approx(previews[-1])
    with qtbot.waitSignal(lab.race_shown, timeout=TIMEOUT):
        _mouse(viewport, QEvent.Type.MouseButtonRelease, at(0.5, 2.5), none)
    x, y = lab.state.start
    assert abs(x - 0.5) < 0.05 and abs(y - 2.5) < 0.05
    assert (
        lab.start_label.text().startswith("start: (") and "dragging" not in lab.start_label.text()
    )
    qtbot.waitUntil(lambda: tuple(lab.race.paths[0].points[0]) == pytest.approx((x, y), abs=1e-5))
    np.testing.assert_allclose(
        lab.race.paths[0].points, reference("sgd:lr=0.001", (x, y), 300), rtol=1e-5, atol=1e-6
    )


def test_play_advances_and_step_and_reset_work(qtbot, lab) -> None:  # type: ignore[no-untyped-def]
    lab.reset()
    lab.play()
    qtbot.waitUntil(lambda: lab.frame > 10, timeout=10_000)
    lab.pause()
    frozen = lab.frame
    qtbot.wait(100)
    assert lab.frame == frozen and not lab.playing
    lab.step_once()
    assert lab.frame == frozen + 1
    lab.reset()
    assert lab.frame == 0


def test_changing_a_hyperparameter_recomputes(qtbot, lab) -> None:  # type: ignore[no-untyped-def]
    row = lab.racers.rows[0]
    with qtbot.waitSignal(lab.race_shown, timeout=TIMEOUT):
        row.lr.setValue(0.0005)
    start = lab.state.start or get_surface("rosenbrock").start
    np.testing.assert_allclose(
        lab.race.paths[0].points, reference("sgd:lr=0.0005", start, 300), rtol=1e-5, atol=1e-6
    )
    with qtbot.waitSignal(lab.race_shown, timeout=TIMEOUT):
        row.enabled.setChecked(False)
    assert len(lab.race.paths) == 3


def test_a_bad_hyperparameter_is_reported_and_the_race_kept(qtbot, lab) -> None:  # type: ignore[no-untyped-def]
    before = lab.race
    row = lab.racers.rows[0]
    row.extra.setText("momentum=-1")  # torch refuses a negative momentum
    row.extra.editingFinished.emit()
    qtbot.waitUntil(lambda: "momentum" in lab.status.text(), timeout=TIMEOUT)
    assert lab.race is before


def test_device_toggle_state(lab) -> None:  # type: ignore[no-untyped-def]
    item = lab.device.model().item(1)
    assert item.isEnabled() == torch.cuda.is_available()
    if not torch.cuda.is_available():
        assert "CUDA unavailable" in lab.device.toolTip()


def test_basin_map_and_typed_function(qtbot, lab) -> None:  # type: ignore[no-untyped-def]
    index = lab.surface.findData("himmelblau")
    with qtbot.waitSignal(lab.race_shown, timeout=TIMEOUT):
        lab.surface.setCurrentIndex(index)
    lab.basin_resolution.setValue(32)
    lab.basin_steps.setValue(100)
    with qtbot.waitSignal(lab.basins_shown, timeout=TIMEOUT):
        lab.request_basins()
    assert lab.basins.rgba.shape == (32, 32, 4)
    assert "starts" in lab.basin_label.text()
    with qtbot.waitSignal(lab.race_shown, timeout=TIMEOUT):
        lab.surface.setCurrentIndex(lab.surface.findData("function"))
    lab.function.setText("x**2 + 10*y**2 + undefined_name")
    lab.function.editingFinished.emit()
    qtbot.waitUntil(lambda: "not defined" in lab.status.text(), timeout=TIMEOUT)


def test_a_basin_map_of_another_surface_is_dropped_not_shown(qtbot, lab) -> None:  # type: ignore[no-untyped-def]
    """A basin map takes seconds; switching the surface (or retyping f) while it computes
    stops it: the new surface's grid and race come at once, and no map of the old surface is
    painted over the new one when the old computation would have finished."""
    with qtbot.waitSignal(lab.race_shown, timeout=TIMEOUT):
        lab.surface.setCurrentIndex(lab.surface.findData("himmelblau"))
    lab.basin_resolution.setValue(256)
    lab.basin_steps.setValue(2000)  # about 40 s here
    lab.request_basins()
    assert lab.basin_label.text() == "computing…"
    qtbot.wait(300)
    with qtbot.waitSignal(lab.race_shown, timeout=5_000):
        lab.surface.setCurrentIndex(lab.surface.findData("rosenbrock"))
    assert not lab.worker.busy("basins") and lab.basin_label.text() == ""
    assert lab.basins is None and lab.view.overlay.image is None
    lab.surface.setCurrentIndex(lab.surface.findData("function"))
    lab.basin_resolution.setValue(16)
    lab.basin_steps.setValue(20)
    with qtbot.waitSignal(lab.basins_shown, timeout=TIMEOUT):
        lab.request_basins()
    lab.function.setText("x**2 + 3*y**2")
    lab.function.editingFinished.emit()
    assert lab.basins is None and lab.view.overlay.image is None


def test_exports_view_and_race(qtbot, lab, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    png, svg, gif = tmp_path / "v.png", tmp_path / "v.svg", tmp_path / "r.gif"
    lab.save_view(str(png))
    lab.save_view(str(svg))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"<svg" in svg.read_bytes()[:2000]
    lab.steps.setValue(20)
    qtbot.waitUntil(lambda: lab.max_steps() == 20, timeout=TIMEOUT)
    lab.save_race(str(gif))
    qtbot.waitUntil(lambda: "Saved" in lab.status.text(), timeout=TIMEOUT)
    assert gif.read_bytes()[:6] in (b"GIF89a", b"GIF87a")


@pytest.mark.gl
@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="the 3D view needs Xvfb")
def test_3d_view_renders_under_xvfb(tmp_path: Path) -> None:
    out = tmp_path / "lab3d.png"
    code = f"""
import os, sys
from PySide6.QtWidgets import QApplication
from PySide6.QtCore import QTimer
app = QApplication([])
from gradviz.ui.lab.lab_widget import LabWidget
lab = LabWidget(); lab.resize(1400, 900); lab.show()
def go():
    lab.three_d.setChecked(True)
    QTimer.singleShot(3000, shoot)
def shoot():
    lab.pause(); lab.show_frame(lab.max_steps()); app.processEvents()
    image = lab.view3d.grabFramebuffer(); image.save({str(out)!r})
    print('mesh', lab.view3d.mesh is not None, 'lines', len(lab.view3d._lines))
    view = lab.view3d
    print('wires', len(view.wires.pos) > 0, 'pin', view.marker == tuple(lab.race.start),
          'balls', all(ball.visible() for ball in (*view._heads, view.pin_head)))
    print('unlit, no normals', view.mesh.normals is None)
    app.quit()
lab.race_shown.connect(lambda: QTimer.singleShot(200, go))
QTimer.singleShot(60000, app.quit)
app.exec()
"""
    env = {k: v for k, v in __import__("os").environ.items() if k != "QT_QPA_PLATFORM"}
    result = subprocess.run(
        ["xvfb-run", "-a", "-s", "-screen 0 1920x1080x24", sys.executable, "-c", code],
        capture_output=True, text=True, timeout=180, env=env,
    )  # fmt: skip
    assert "mesh True lines 4" in result.stdout, result.stdout + result.stderr
    # the wireframe drawn, the start pinned, each racer's ball (and the pin's) placed
    assert "wires True pin True balls True" in result.stdout, result.stdout + result.stderr
    # drawn unlit: no normals worked out (pyqtgraph's Python loop froze the window 0.5 s)
    assert "unlit, no normals True" in result.stdout, result.stdout + result.stderr
    from PySide6.QtGui import QImage

    image = QImage(str(out))
    assert image.width() > 300
    colours = {
        image.pixel(x, y) for x in range(0, image.width(), 37) for y in range(0, image.height(), 37)
    }
    assert len(colours) > 20  # a drawn surface, not a blank context


@pytest.mark.parametrize("suffix", ["png", "gif", "mp4"])
def test_optimize_cli_writes_pictures_and_animations(tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"race.{suffix}"
    result = subprocess.run(
        [sys.executable, "-m", "gradviz", "optimize", "--surface", "himmelblau", "--optimizer",
         "adam:lr=0.1", "--optimizer", "sgd:lr=0.01", "--steps", "40", "-o", str(out)],
        capture_output=True, text=True, timeout=240,
        env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    data = out.read_bytes()
    magic = {"png": b"\x89PNG", "gif": b"GIF8", "mp4": b"ftyp"}[suffix]
    assert magic in data[:12]
    if suffix == "gif":
        import imageio.v2 as imageio

        assert len(imageio.mimread(str(out))) == 41  # one frame per step, the start included


NETWORK = """
import torch
import torch.nn.functional as F
from torch import nn
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 2))
X = torch.randn(1000, 2)
y = (X[:, 0] * X[:, 1] > 0).long()
loss = F.cross_entropy(model(X), y)
"""


def test_a_landscape_screenshot_waits_for_the_surface(tmp_path: Path) -> None:
    """A network's landscape comes after the race (the view grows to where the optimizers
    went, then the surface is computed for it): the picture has the surface, not a blank plot."""
    program, out = tmp_path / "net.py", tmp_path / "shot.png"
    program.write_text(NETWORK)
    result = subprocess.run(
        [sys.executable, "-m", "gradviz", str(program), "--tab", "landscape", "--screenshot",
         str(out)],
        capture_output=True, text=True, timeout=240,
        env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    from PySide6.QtGui import QImage

    image = QImage(str(out))
    assert (image.width(), image.height()) == (1920, 1080)
    greys = set()
    for x in range(700, 1300, 7):  # inside the surface's plot
        for y in range(200, 900, 7):
            colour = image.pixelColor(x, y)
            if colour.red() == colour.green() == colour.blue():
                greys.add(colour.red())
    assert len(greys) > 20  # the grey scale of the loss (a blank plot: white and a grid line)


def test_quadratic_bowl_controls(qtbot, lab) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(lab.race_shown, timeout=TIMEOUT):
        lab.surface.setCurrentIndex(lab.surface.findData("quadratic"))
    assert lab.condition.isVisible() and lab.angle.isVisible()
    lab.condition.setValue(100.0)
    with qtbot.waitSignal(lab.race_shown, timeout=TIMEOUT):
        lab.condition.editingFinished.emit()
    assert lab._surface_key() == "quadratic:condition=100,angle=30"


def test_contours_lie_where_the_surface_has_their_level(lab) -> None:  # type: ignore[no-untyped-def]
    """Each contour line, mapped to (x, y), passes where log10 f equals its level (the
    default Rosenbrock is far from symmetric: transposed lines would be far off)."""
    surface = get_surface("rosenbrock")
    viewbox = lab.view.getViewBox()
    shown = lab.view.image.image
    spread = float(np.nanmax(shown) - np.nanmin(shown))
    checked = 0
    item = lab.view.contours
    for level, path in item.levels:
        if level < np.nanmin(shown) + 3.0:
            continue  # near the minimum the log is too steep for pixel-sized sampling
        points = [path.elementAt(i) for i in range(0, path.elementCount(), 7)]
        mapped = [viewbox.mapFromItemToView(item, QPointF(p.x, p.y)) for p in points]
        xs = torch.tensor([p.x() for p in mapped], dtype=torch.float64)
        ys = torch.tensor([p.y() for p in mapped], dtype=torch.float64)
        # the lab colours log10(f − min + ε), ε far below every contour's level here
        error = (torch.log10(surface(xs, ys)) - level).abs().median()
        assert float(error) < 0.02 * spread, (level, float(error))
        checked += 1
    assert checked >= 5


def test_the_network_landscape_surface(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    from gradviz.nets.surface import network_surface
    from gradviz.resources import example

    source = example("12_mlp_two_layers.py").source
    window.editor.setPlainText(source)
    lab = window.open_lab()
    with qtbot.waitSignals([lab.race_shown, lab.grid_shown], timeout=TIMEOUT):
        lab.surface.setCurrentIndex(lab.surface.findData("network"))
    assert not lab.basin_button.isEnabled()
    assert lab.view.getPlotItem().getAxis("bottom").labelText.startswith("α")
    rows, columns = lab.view.image.image.shape
    assert rows == columns == 61  # capped: each point is a forward pass of the network
    # the race is real torch.optim on L(θ + α·d₁ + β·d₂), computed here independently
    surface = network_surface(source)
    path = lab.race.paths[3]
    assert path.label.startswith("Adam")
    point = torch.tensor(surface.start, requires_grad=True)
    optimizer = torch.optim.Adam([point], lr=0.05)
    for step in range(20):
        np.testing.assert_allclose(path.points[step], point.detach().numpy(), atol=1e-5)
        optimizer.zero_grad()
        surface(point[0], point[1]).backward()
        optimizer.step()
    # a program without a network gets a clear message, and the last landscape stays
    window.editor.setPlainText("x = 2.0\ny = x * x\n")
    with qtbot.waitSignal(lab.failure_shown, timeout=TIMEOUT) as failure:
        lab.set_program(window.editor.toPlainText())
    assert "torch.nn parameters" in failure.args[0]
    assert "torch.nn parameters" in lab.status.text()
    assert lab.view.image.image.shape == (61, 61)


def test_contour_lines_are_made_off_the_ui_thread(qtbot, lab, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The lab's grids arrive with their contour lines, made in the lab's worker, as paths:
    the UI thread only draws them (pyqtgraph's isocurve on it froze the window for seconds;
    the paths, 15–55 ms on Rastrigin)."""
    import threading

    import gradviz.optim.contours as contours

    threads: list[str] = []
    made = contours.contour_lines

    def recording(*args, **kwargs):  # type: ignore[no-untyped-def]
        threads.append(threading.current_thread().name)
        return made(*args, **kwargs)

    import gradviz.ui.lab.contours as lines

    path_threads: list[str] = []
    made_paths = lines.contour_paths

    def recording_paths(*args, **kwargs):  # type: ignore[no-untyped-def]
        path_threads.append(threading.current_thread().name)
        return made_paths(*args, **kwargs)

    monkeypatch.setattr(contours, "contour_lines", recording)
    monkeypatch.setattr("gradviz.ui.lab.surface_view.contour_lines", recording)
    monkeypatch.setattr(lines, "contour_paths", recording_paths)  # and their QPainterPaths
    with qtbot.waitSignal(lab.grid_shown, timeout=TIMEOUT):
        lab.surface.setCurrentIndex(lab.surface.findData("himmelblau"))
    assert threads and threading.main_thread().name not in threads
    assert path_threads and threading.main_thread().name not in path_threads
    shown = lab.view.image.image
    levels = [level for level, _ in lab.view.contours.levels]
    finite = shown[np.isfinite(shown)]
    assert levels == pytest.approx(list(np.linspace(finite.min(), finite.max(), 14)[1:-1]))
    assert all(not path.isEmpty() for _, path in lab.view.contours.levels)


def test_an_exported_race_takes_the_theme_and_hides_the_arrow_at_a_minimum(qapp) -> None:  # type: ignore[no-untyped-def]
    """`gradviz optimize --theme projector -o …` drew the light theme's 10 pt type; its colour
    bar's 14 pt tick labels then ran into the bar's title; a racer sitting on a minimum showed
    an arrow pointing wherever rounding left its gradient, its marker hidden under the star."""
    from gradviz.optim.trajectories import race
    from gradviz.ui import appearance
    from gradviz.ui.lab.animation import grab
    from gradviz.ui.lab_export import race_view

    surface = get_surface("himmelblau")
    result = race(surface, [parse_spec("sgd")], (0.0, 0.0), 50)
    font, palette = qapp.font(), qapp.palette()
    appearance.apply(qapp, "projector")
    try:
        view = race_view(surface, result)
        view.show()
        view.show_step(50)
        for _ in range(2):  # axes widen to their labels as they paint
            grab(view)
            qapp.processEvents()
        assert [label.opts["size"] for _, label in view.legend.items] == ["14pt"]
        axis = view.bar.axis
        # room for the widest tick label and the title beside it (pyqtgraph counts 0.8 of the
        # title's box, the rest being its margins); a fixed 45 px left the title on the ticks
        assert axis.width() >= axis.textWidth + 0.8 * axis.label.boundingRect().height()
        end = np.asarray(result.runs[0].points[-1])
        assert np.linalg.norm(end - np.array([3.0, 2.0])) < 1e-3  # SGD reached (3, 2)
        arrow = view._arrows[0]
        assert len(arrow.getData()[0]) == 0  # at the minimum: no arrow
        assert view.heads.zValue() > view.minima.zValue()  # its marker over the star
        view.show_step(5)  # on the way down: the arrow points downhill, −∇f
        xs, ys = arrow.getData()
        assert len(xs) == 2
        point = torch.tensor(result.runs[0].points[5], requires_grad=True)
        surface(point[0], point[1]).backward()
        assert point.grad is not None
        downhill = -point.grad.double().numpy()
        direction = np.array([xs[1] - xs[0], ys[1] - ys[0]])
        cosine = direction @ downhill / np.linalg.norm(direction) / np.linalg.norm(downhill)
        assert cosine > 0.999
        view.close()
    finally:
        qapp.setFont(font)
        qapp.setPalette(palette)


def test_number_boxes_show_no_trailing_zeros_and_take_typed_values(qtbot) -> None:  # type: ignore[no-untyped-def]
    from gradviz.ui.number_box import CompactSpinBox

    box = CompactSpinBox()
    qtbot.addWidget(box)
    box.setDecimals(6)
    box.setRange(0.0, 100.0)
    box.setPrefix("lr ")
    for value, text in ((0.001, "lr 0.001"), (0.0005, "lr 0.0005"), (1.0, "lr 1"), (0.0, "lr 0")):
        box.setValue(value)
        assert box.text() == text
    box.lineEdit().selectAll()
    qtbot.keyClicks(box, "0.0025")
    box.interpretText()
    assert box.value() == pytest.approx(0.0025)
    assert box.text() == "lr 0.0025"


def test_a_number_box_is_wide_enough_for_small_values(qtbot) -> None:  # type: ignore[no-untyped-def]
    from gradviz.ui.number_box import CompactSpinBox

    box = CompactSpinBox()
    qtbot.addWidget(box)
    box.setDecimals(6)
    box.setRange(0.0, 100.0)  # Qt alone would size it for "lr 100" and "lr 0"
    box.setPrefix("lr ")
    box.setValue(0.0001)
    box.resize(box.minimumSizeHint())
    box.show()
    qtbot.waitExposed(box)
    assert box.lineEdit().width() >= box.fontMetrics().horizontalAdvance(box.text())


def test_the_last_step_keeps_its_label_in_every_theme(qtbot, window, lab) -> None:  # type: ignore[no-untyped-def]
    """A plot's last tick label overhangs the axis end by half its width; pyqtgraph hid it
    ("300" missing under the loss and distance plots), and more so in the projector's type."""
    from PySide6.QtGui import QImage, QPainter

    for theme in ("light", "projector"):
        window.apply_theme(theme)
        for plot in (lab.plots.loss, lab.plots.distance):
            axis = plot.getAxis("bottom")
            qtbot.waitUntil(lambda axis=axis: axis.width() > 0, timeout=TIMEOUT)
            image = QImage(8, 8, QImage.Format.Format_ARGB32)
            painter = QPainter(image)
            try:
                _, _, texts = axis.generateDrawSpecs(painter)
            finally:
                painter.end()
            assert str(lab.max_steps()) in [text for _, _, text in texts], (theme, texts)


def test_the_same_racers_on_another_surface_draw_its_paths(qtbot, lab) -> None:  # type: ignore[no-untyped-def]
    def drawn() -> list[np.ndarray]:
        lab.show_frame(lab.max_steps())
        lines = [np.stack(line.getData(), 1) for line in lab.view._lines]
        losses = [curve.getData()[1] for curve in lab.plots._loss_curves]
        return [*lines, *losses]

    first = drawn()
    with qtbot.waitSignal(lab.race_shown, timeout=TIMEOUT):
        lab.surface.setCurrentIndex(lab.surface.findData("himmelblau"))
    spec = parse_spec("sgd:lr=0.001")
    himmelblau = get_surface("himmelblau")
    p = torch.tensor(lab.race.start, requires_grad=True)
    optimizer = spec.kind.cls([p], **spec.params())
    points, losses = [p.detach().clone()], []
    for _ in range(lab.max_steps()):
        optimizer.zero_grad()
        loss = himmelblau(p[0], p[1])
        losses.append(loss.item())
        loss.backward()
        optimizer.step()
        points.append(p.detach().clone())
    losses.append(himmelblau(p[0], p[1]).item())
    now = drawn()
    assert lab.race.paths[0].label.startswith("SGD")
    line = now[0]  # thinned to what the zoom needs: each point drawn lies on the reference
    reference = torch.stack(points).numpy()
    gaps = np.linalg.norm(line[:, None, :] - reference[None, :, :], axis=2).min(axis=1)
    assert gaps.max() < 1e-4 and np.allclose(line[-1], reference[-1], atol=1e-4)
    shift = -min(losses) + 1e-12 if min(losses) <= 0 else 0.0  # as the log plot draws them
    np.testing.assert_allclose(  # (a log plot gives back what it draws: log₁₀ of the values)
        now[len(lab.view._lines)], np.log10(np.array(losses) + shift), rtol=1e-4
    )
    assert not np.array_equal(first[0][-1], now[0][-1])
    # another racer (a new label) gets its own legend entry
    with qtbot.waitSignal(lab.race_shown, timeout=TIMEOUT):
        lab.racers.rows[0].lr.setValue(0.0005)
    assert "0.0005" in lab.view.legend.items[0][1].text


def test_a_race_that_leaves_a_network_landscape_is_followed(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    """The network surface's ±1 window is a guess: where Adam runs past it (to the plane's
    minimum, on the two-moons example), the view grows to show every path and the surface is
    evaluated over that window; racing again inside it leaves the view alone."""
    from gradviz.resources import example

    window.editor.setPlainText(example("16_network_two_moons.py").source)
    lab = window.open_lab()
    with qtbot.waitSignal(lab.race_shown, timeout=TIMEOUT):
        lab.surface.setCurrentIndex(lab.surface.findData("network"))
    points = np.concatenate([p.points for p in lab.race.paths])
    points = points[np.isfinite(points).all(axis=1)]
    assert points[:, 0].min() < -1.0  # the case this test is about: the race left ±1
    qtbot.waitUntil(
        lambda: lab.view.window is not None and lab.view.window[0] < -1.0, timeout=TIMEOUT
    )
    x0, x1, y0, y1 = lab.view.window
    assert (x1, y0, y1) == (1.0, -1.0, 1.0)  # grown only where the paths went
    assert x0 <= points[:, 0].min() and points[:, 1].max() <= y1
    seen_x, seen_y = lab.view.getViewBox().viewRange()
    assert seen_y[0] <= -1.0 and seen_y[1] >= 1.0
    assert seen_x[0] <= points[:, 0].min() and seen_x[1] >= 1.0
    assert lab.view.image.image.shape == (61, 61)
    grown = lab.view.window
    bottom = lab.race.paths[3].points[-1]  # where Adam settled: every racer stays near it
    with qtbot.waitSignal(lab.race_shown, timeout=TIMEOUT):
        lab.set_start(float(bottom[0]), float(bottom[1]))
    qtbot.wait(300)
    assert lab.view.window == grown


def test_a_racer_into_points_where_f_is_undefined_says_so_in_the_legend(qtbot, lab) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(lab.race_shown, timeout=TIMEOUT):
        lab.surface.setCurrentIndex(lab.surface.findData("function"))
    lab.function.setText("log(x) + y")  # Adam at lr 0.05 and the rest go on past x = 0
    with qtbot.waitSignal(lab.race_shown, timeout=TIMEOUT):
        lab.function.editingFinished.emit()
    with qtbot.waitSignal(lab.race_shown, timeout=TIMEOUT):
        lab.set_start(0.5, 0.5)
    texts = [label.text for _, label in lab.view.legend.items]
    paths = lab.race.paths
    assert any(p.undefined_at is not None for p in paths)
    for path, text in zip(paths, texts, strict=True):
        if path.diverged_at is None and path.undefined_at is not None:
            assert text == f"{path.label}  ✗ f undefined from step {path.undefined_at}"
            assert path.points[path.undefined_at][0] < 0  # log of a negative number: NaN
