"""The desktop app, driven as a user would (pytest-qt, offscreen); numbers checked against torch."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from gradviz.render.drawing import Text
from gradviz.ui.autosave import Autosaver
from tests.ui.conftest import close_window, make_window, set_program, wait_graph

LECTURE = "x = 2.0\ny = 3.0\nz1 = x*y\nz2 = exp(z1)\nz3 = z1 + z2\n"


def torch_lecture(x0: float, y0: float) -> dict[str, torch.Tensor]:
    x = torch.tensor(x0, requires_grad=True)
    y = torch.tensor(y0, requires_grad=True)
    z1 = x * y
    z1.retain_grad()
    z2 = torch.exp(z1)
    z2.retain_grad()
    z3 = z1 + z2
    z3.backward()
    return {"x": x.grad, "y": y.grad, "z1": z1.grad, "z2": z2.grad, "z3_value": z3.detach()}  # type: ignore[dict-item]


def node_texts(window, name: str) -> list[str]:  # type: ignore[no-untyped-def]
    node = window.graph.find(name)
    item = window.canvas.current.nodes[node.id]
    return [d.text for d in item.drawables if isinstance(d, Text)]


def test_typing_a_program_draws_its_graph_with_torchs_numbers(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    set_program(qtbot, window, LECTURE)
    expected = torch_lecture(2.0, 3.0)
    graph = window.graph
    assert {n.name for n in graph.nodes} == {"x", "y", "z1", "z2", "z3"}
    for name in ("x", "y", "z1", "z2"):
        torch.testing.assert_close(graph.find(name).grad, expected[name])
    torch.testing.assert_close(graph.find("z3").value, expected["z3_value"])
    from gradviz.render.labels import format_number

    assert f"∇ {format_number(float(expected['z1']))}" in node_texts(window, "z1")
    assert set(window.canvas.items_by_key) == {n.id for n in graph.nodes}


def test_an_error_is_underlined_and_the_last_graph_stays_dimmed(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    set_program(qtbot, window, LECTURE)
    good = window.graph
    set_program(qtbot, window, LECTURE + "w = z3 * undefined_thing\n")
    assert window.graph is good
    assert window.editor.error_line == 6
    assert window.error_label.isVisible() and "line 6, col 10" in window.error_label.text()
    assert "not defined" in window.error_label.text()
    assert all(item.opacity() < 1 for item in window.canvas.items_by_key.values())
    set_program(qtbot, window, LECTURE)
    assert window.editor.error_line is None and not window.error_label.isVisible()
    assert all(item.opacity() == 1 for item in window.canvas.items_by_key.values())


def test_an_error_before_any_graph_does_not_speak_of_a_dimmed_one(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.py"
    bad.write_text("W = torch.randn(3, 4)\nx = torch.randn(5)\ny = W @ x\n")
    win = make_window(qtbot, tmp_path)
    with qtbot.waitSignal(win.torch_ready, timeout=30_000):
        win.start(str(bad))
    wait_graph(qtbot, win)
    assert win.graph is None and win.editor.error_line == 3
    assert "dimmed" not in win.statusBar().currentMessage()
    assert "the 4 columns of W must match the 5 elements of x" in win.error_label.text()
    set_program(qtbot, win, LECTURE)
    set_program(qtbot, win, "W = torch.randn(3, 4)\nx = torch.randn(5)\ny = W @ x\n")
    assert win.graph is not None and "dimmed" in win.statusBar().currentMessage()
    close_window(win)


def test_slider_updates_values_in_place_and_matches_torch(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    set_program(qtbot, window, LECTURE)
    items_before = dict(window.canvas.items_by_key)
    slider, spin = window.variables.row("x")
    spin.setValue(1.25)
    wait_graph(qtbot, window)
    expected = torch_lecture(1.25, 3.0)
    torch.testing.assert_close(window.graph.find("y").grad, expected["y"])
    torch.testing.assert_close(window.graph.find("z1").grad, expected["z1"])
    assert window.outcome.relayout is False  # same structure: numbers changed, nothing moved
    assert window.canvas.items_by_key == items_before
    slider.setValue(slider.maximum())
    wait_graph(qtbot, window)
    x_value = float(window.graph.find("x").value)
    expected = torch_lecture(x_value, 3.0)
    torch.testing.assert_close(window.graph.find("x").grad, expected["x"])


def test_an_inputs_box_shows_the_number_as_the_program_wrote_it(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    """A small input (a learning rate) is not shown as 0.0000 in the Variables panel, and the
    graph it draws is the program's own value's, as torch computes it."""
    set_program(qtbot, window, "lr = 0.00003\nw = 2.0\nloss = (w * lr) ** 2\n")
    spin = window.variables.row("lr")[1]
    assert spin.text() == "0.00003" and spin.value() == 0.00003
    assert window.variables.row("w")[1].text() == "2"
    lr = torch.tensor(0.00003, requires_grad=True)
    w = torch.tensor(2.0, requires_grad=True)
    ((w * lr) ** 2).backward()
    torch.testing.assert_close(window.graph.find("lr").grad, lr.grad)


def test_a_file_failing_at_start_leaves_the_welcome_not_a_blank(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """(The command line refuses a missing file before any window; a session file that reads
    but is no session fails in the window.) The window says why and shows the welcome."""
    bad = tmp_path / "lesson.gradviz"
    bad.write_text('{"schema": 5}')
    win = make_window(qtbot, tmp_path)
    reported: list[str] = []
    win.report = lambda message, dialog=False: reported.append(message)  # type: ignore[method-assign]
    with qtbot.waitSignal(win.torch_ready, timeout=30_000):
        win.start(str(bad))
    wait_graph(qtbot, win)
    assert len(reported) == 1 and "is not a gradviz session" in reported[0]
    assert "exp(" in win.editor.toPlainText() and win.graph is not None  # the lecture's example
    close_window(win)


def test_gui_export_equals_cli_export(qtbot, window, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    set_program(qtbot, window, LECTURE)
    program = tmp_path / "p.py"
    program.write_text(LECTURE)
    for fmt in ("svg", "png"):
        gui = tmp_path / f"gui.{fmt}"
        job = window.export_to(str(gui))
        with qtbot.waitSignal(job.signals.done, timeout=30_000):
            pass
        cli = tmp_path / f"cli.{fmt}"
        result = subprocess.run(
            [sys.executable, "-m", "gradviz", "export", str(program), "-o", str(cli)],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert gui.read_bytes() == cli.read_bytes(), fmt


def test_session_save_and_open_round_trip(qtbot, window, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    set_program(qtbot, window, LECTURE)
    window.variables.row("y")[1].setValue(0.5)
    wait_graph(qtbot, window)
    path = tmp_path / "lesson.gradviz"
    assert window.save_to(str(path))
    assert not window.document.dirty
    data = json.loads(path.read_text())
    assert data["source"] == LECTURE and data["inputs"] == {"y": 0.5}
    window.set_document(type(window.document)("a = 1.0\nb = a * 2\n"))
    wait_graph(qtbot, window)
    assert window.open_path(str(path))
    wait_graph(qtbot, window)
    assert window.editor.toPlainText() == LECTURE
    torch.testing.assert_close(window.graph.find("x").grad, torch_lecture(2.0, 0.5)["x"])
    assert str(path.resolve()) in window.prefs.recent_files()


def test_a_corrupt_session_is_refused_and_the_current_one_kept(
    qtbot, window, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    set_program(qtbot, window, LECTURE)
    bad = tmp_path / "bad.gradviz"
    bad.write_text('{"schema": "gradviz.session/1", "source": 42}')
    assert not window.open_path(str(bad))
    assert window.editor.toPlainText() == LECTURE
    assert "not a gradviz session" in window.statusBar().currentMessage()


def test_autosave_is_offered_back_after_a_crash(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    crashed = Autosaver(tmp_path)
    crashed.path = tmp_path / "999999.gradviz-autosave"  # a process id that is not running
    crashed.save("q = 1.5\nr = q ** 2\n", None, {"q": 2.0})
    win = make_window(qtbot, tmp_path)
    win.ask_recover = lambda item: True  # type: ignore[method-assign]
    with qtbot.waitSignal(win.torch_ready, timeout=30_000):
        win.start(None)
    wait_graph(qtbot, win)
    assert win.editor.toPlainText() == "q = 1.5\nr = q ** 2\n"
    assert win.document.dirty and win.document.overrides == {"q": 2.0}
    torch.testing.assert_close(win.graph.find("r").value, torch.tensor(4.0))
    assert not crashed.path.exists()
    close_window(win)


def test_unsaved_changes_prompt_on_close(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    set_program(qtbot, window, LECTURE)
    window.mark_dirty()
    window.ask_unsaved = lambda: "cancel"  # type: ignore[method-assign]
    assert not window.close()
    assert window.isVisible()
    window.ask_unsaved = lambda: "discard"  # type: ignore[method-assign]
    assert window.close()


@pytest.mark.qt_no_exception_capture
def test_an_exception_in_a_slot_leaves_the_app_alive(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QTimer

    from gradviz.ui import safety

    safety.install(window.report)

    def broken() -> None:
        raise RuntimeError("boom")

    QTimer.singleShot(0, broken)
    qtbot.waitUntil(
        lambda: "Something went wrong" in window.statusBar().currentMessage(), timeout=5000
    )
    set_program(qtbot, window, "a = 3.0\nb = a * a\n")
    torch.testing.assert_close(window.graph.find("a").grad, torch.tensor(6.0))
    sys.excepthook = sys.__excepthook__


def test_device_toggle_is_disabled_with_a_reason_without_cuda(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    combo = window.actions_.device
    cuda_item = combo.model().item(1)
    if torch.cuda.is_available():
        assert cuda_item.isEnabled()
    else:
        assert not cuda_item.isEnabled()
        assert "CUDA" in combo.toolTip() and "unavailable" in combo.toolTip()
        window.set_device("cuda")
        assert window.device == "cpu"


def test_a_long_op_name_wraps_in_the_inspector(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    """BinaryCrossEntropyWithLogitsBackward0 ran out of the projector's inspector: it now wraps
    between its words, and reads the same."""
    source = (
        "z = torch.tensor([0.5, -1.0], requires_grad=True)\n"
        "loss = F.binary_cross_entropy_with_logits(z, torch.tensor([1.0, 0.0]))\n"
    )
    set_program(qtbot, window, source)
    node = window.graph.find("loss")
    window.inspector.show_node(window.graph, node)
    label = window.inspector.subtitle
    assert label.text().split("\n")[0].replace("\u200b", "") == node.op
    whole = label.fontMetrics().horizontalAdvance(node.op)
    assert label.minimumSizeHint().width() < whole / 2  # its longest piece, "Binary…" or so


def test_clicking_a_node_fills_the_inspector(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    source = "w = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)\nloss = (w * w).sum()\n"
    set_program(qtbot, window, source)
    node = window.graph.find("w")
    item = window.canvas.items_by_key[node.id]
    view_point = window.canvas.mapFromScene(item.boundingRect().center())
    qtbot.mouseClick(window.canvas.viewport(), Qt.MouseButton.LeftButton, pos=view_point)
    assert window.inspector.node_id == node.id
    assert window.inspector.value_view.mode == "table"
    table = window.inspector.grad_view.table
    assert [table.item(0, c).text() for c in range(3)] == ["2.0", "−4.0", "6.0"]  # 2w
    assert window.inspector.outgoing.rowCount() == 0 and window.inspector.incoming.rowCount() == 2
    assert window.editor.marked_line is None  # a leaf: no line made it
    square = next(n for n in window.graph.nodes if n.op == "MulBackward0")
    window.select_node(square.id)
    assert window.editor.marked_line == 2  # `loss = (w * w).sum()` made w * w
    tinted = [
        s.cursor.blockNumber()
        for s in window.editor.extraSelections()
        if s.format.background().color().alpha() == 60
    ]
    assert tinted == [1]  # the second line, tinted in the editor


def test_search_highlights_matching_nodes(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    set_program(qtbot, window, LECTURE)
    matches = window.search("z")
    assert {window.graph.node(m).name for m in matches} == {"z1", "z2", "z3"}
    assert all(window.canvas.items_by_key[m].matched for m in matches)
    window.search("ExpBackward", jump=True)
    assert window.graph.node(window.canvas.selected).name == "z2"


def test_view_settings_relayout_with_the_theme(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    set_program(qtbot, window, LECTURE)
    window.apply_theme("projector")
    wait_graph(qtbot, window)
    sizes = {
        d.size
        for item in window.canvas.current.nodes.values()
        for d in item.drawables
        if isinstance(d, Text)
    }
    assert max(sizes) >= 24
    window.update_settings(view="forward")
    wait_graph(qtbot, window)
    assert not any("∇" in t for t in node_texts(window, "z1"))
    window.apply_theme("light")
    wait_graph(qtbot, window)


def test_drag_and_drop_opens_a_program(qtbot, window, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "dropped.py"
    path.write_text("k = 0.5\nm = k * 4\n")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    window.dropEvent(event)
    wait_graph(qtbot, window)
    assert window.document.path == str(path)
    torch.testing.assert_close(window.graph.find("k").grad, torch.tensor(4.0))


def test_examples_menu_holds_every_lecture_example(window) -> None:  # type: ignore[no-untyped-def]
    titles = [a.text() for a in window.menuBar().actions()[2].menu().actions()]
    joined = " ".join(titles).lower()
    for needle in (
        "backprop",
        "computing gradients",
        "tensor arithmetic",
        "broadcasting",
        "device",
        "training loop",
    ):
        assert needle in joined


def test_ui_module_does_not_import_torch() -> None:
    code = "import sys, gradviz.ui.main_window; print('torch' in sys.modules)"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env
    )
    assert result.stdout.strip() == "False", result.stderr


def test_repaints_keep_none_referenced(window) -> None:  # type: ignore[no-untyped-def]
    """PySide6 6.12.0 dropped a reference to None per repaint (fatal on Python < 3.12)."""
    before = sys.getrefcount(None)
    for _ in range(30):
        window.repaint()
    assert sys.getrefcount(None) >= before - 5


def test_screenshot_command(tmp_path: Path) -> None:
    program = tmp_path / "p.py"
    program.write_text(LECTURE)
    out = tmp_path / "shot.png"
    scratch = tmp_path / "tmp"  # the run's temporary files: its settings and autosaves
    scratch.mkdir()
    start = time.perf_counter()
    command = [sys.executable, "-m", "gradviz", str(program), "--screenshot", str(out)]
    result = subprocess.run(
        [*command, "--theme", "dark"],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "TMPDIR": str(scratch)},
    )
    assert result.returncode == 0, result.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert time.perf_counter() - start < 120
    assert list(scratch.iterdir()) == []  # nothing left behind (each run had left a folder)


def test_window_is_built_without_importing_torch(tmp_path: Path) -> None:
    code = (
        "import sys\nfrom PySide6.QtWidgets import QApplication\napp = QApplication([])\n"
        "from gradviz.ui.main_window import MainWindow\nw = MainWindow()\nw.show()\n"
        "app.processEvents()\nprint('torch' in sys.modules)\nw.service.shutdown()\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env
    )
    assert result.stdout.strip().splitlines()[-1] == "False", result.stderr


def test_copy_image_puts_the_graph_on_the_clipboard(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QApplication

    set_program(qtbot, window, LECTURE)
    QApplication.clipboard().clear()
    job = window.copy_image()
    with qtbot.waitSignal(job.signals.image, timeout=30_000):
        pass
    qtbot.waitUntil(lambda: not QApplication.clipboard().image().isNull(), timeout=5000)
    image = QApplication.clipboard().image()
    assert image.width() > 200 and image.height() > 200


def test_large_tensors_show_as_a_heatmap(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    set_program(
        qtbot, window, "W = torch.randn(30, 40, requires_grad=True)\nloss = (W ** 2).sum()\n"
    )
    node = window.graph.find("W")
    window.canvas.select(node.id)
    assert window.inspector.value_view.mode == "heatmap"
    assert window.inspector.grad_view.mode == "heatmap"
    assert "norm" in window.inspector.grad_stats.text()
    # randn values and their gradient 2W hold both signs: a scale symmetric about 0, on the
    # diverging map, as wide as the largest |value| torch holds
    W = node.value
    for view, tensor in ((window.inspector.value_view, W), (window.inspector.grad_view, 2 * W)):
        assert view.signed
        bar = view._heatmap[3]
        reach = float(tensor.abs().max())
        assert bar.levels() == pytest.approx((-reach, reach), rel=1e-6)


def test_heatmap_levels_leave_out_nan_and_inf_and_keep_one_sign_apart() -> None:
    import numpy as np

    from gradviz.ui.inspector import heatmap_levels

    levels, signed = heatmap_levels(np.array([[0.5, np.nan], [np.inf, 2.0]]))
    assert levels == (0.5, 2.0) and not signed
    levels, signed = heatmap_levels(np.array([[-3.0, 1.0], [-np.inf, 0.0]]))
    assert levels == (-3.0, 3.0) and signed


FOLDING = """
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
X = torch.randn(4, 2)
loss = model(X).pow(2).mean()
loss.backward()
"""


def test_double_clicking_a_module_box_folds_it_and_its_node_unfolds_it(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    from gradviz.autograd.collapse import FOLDED_PREFIX
    from gradviz.ui.canvas import FOLDED_PREFIX as CANVAS_PREFIX

    assert CANVAS_PREFIX == FOLDED_PREFIX
    set_program(qtbot, window, FOLDING)
    canvas = window.canvas
    scene = window.outcome.scene
    assert set(scene.clusters) == {"model.0", "model.1", "model.2"}
    x, y, _w, h = scene.clusters["model.0"]
    corner = QPointF(x + 4, y + h - 4)  # inside the box, clear of its nodes
    assert canvas.module_at(corner) == "model.0"
    before = len(window.graph.nodes)
    qtbot.mouseDClick(canvas.viewport(), Qt.MouseButton.LeftButton, pos=canvas.mapFromScene(corner))
    wait_graph(qtbot, window)
    folded = window.graph.node("folded_model.0")
    assert len(window.graph.nodes) == before - 3  # weight, bias, t and addmm became one
    # what it shows: the layer's output and the gradient that reached it, as torch has them
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Tanh(), torch.nn.Linear(3, 1))
    X = torch.randn(4, 2)
    hidden = model[0](X)
    hidden.retain_grad()
    model[2](model[1](hidden)).pow(2).mean().backward()
    torch.testing.assert_close(folded.value, hidden.detach())
    torch.testing.assert_close(folded.grad, hidden.grad)
    assert "folded_model.0" in window.outcome.scene.nodes
    item = canvas.items_by_key["folded_model.0"]
    centre = item.sceneBoundingRect().center()
    qtbot.mouseDClick(canvas.viewport(), Qt.MouseButton.LeftButton, pos=canvas.mapFromScene(centre))
    wait_graph(qtbot, window)
    assert len(window.graph.nodes) == before
    window.fold_all_modules(True)
    wait_graph(qtbot, window)
    assert {n.id for n in window.graph.nodes if n.id.startswith("folded_")} == {
        "folded_model.0", "folded_model.1", "folded_model.2"
    }  # fmt: skip
    walk = window.walkthrough  # the walk-through steps through folded modules as nodes
    walk.start()
    for index in range(len(walk.stepper.steps)):
        walk.stepper.go(index)
    assert "folded_model.0" in [step.node_id for step in walk.stepper.steps if step.node_id]
    walk.stop()
    window.fold_all_modules(False)
    wait_graph(qtbot, window)
    assert len(window.graph.nodes) == before


def test_the_canvas_message_stays_in_view_when_the_graph_is_scrolled(qtbot) -> None:  # type: ignore[no-untyped-def]
    """Scrolling a QGraphicsView scrolls its viewport's child widgets too: the message (a
    note, a warning) slid off the top-left and was drawn cut off at the canvas's edge."""
    from PySide6.QtCore import QRectF

    from gradviz.ui.canvas import GraphCanvas

    canvas = GraphCanvas()
    qtbot.addWidget(canvas)
    canvas.resize(600, 400)
    canvas.show()
    canvas.scene().setSceneRect(QRectF(0, 0, 3000, 3000))
    canvas.set_message("⚠ torch warned at line 3: a long note")
    canvas.horizontalScrollBar().setValue(500)
    canvas.verticalScrollBar().setValue(300)
    overlay = canvas._overlay
    assert overlay.isVisible()
    assert overlay.x() >= 0 and overlay.y() >= 0
    assert overlay.geometry().right() <= canvas.viewport().width()


def test_a_line_torch_warned_at_is_marked_in_the_editor(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    broadcast = (
        "x = torch.randn(8, 1, requires_grad=True)\ny = torch.randn(9)\n"
        "loss = F.mse_loss(x, y)\nloss.backward()\n"
    )
    set_program(qtbot, window, broadcast)
    assert list(window.editor.warning_lines) == [3]
    assert "Using a target size" in window.editor.warning_lines[3]
    assert any("torch warned at line 3" in note for note in window.graph.notes)
    # the banner over the graph points at the note; the legend under the graph holds it whole
    assert window.canvas.message == "⚠ torch warned at line 3: see the note under the graph"
    set_program(qtbot, window, LECTURE)
    assert window.editor.warning_lines == {}


PLAIN_LAYERS = """
class Linear:
    def __init__(self, fan_in, fan_out):
        self.weight = torch.randn((fan_in, fan_out)) / fan_in**0.5
    def __call__(self, x):
        self.out = x @ self.weight
        return self.out
class Tanh:
    def __call__(self, x):
        return torch.tanh(x)
torch.manual_seed(0)
layers = [Linear(2, 3), Tanh(), Linear(3, 1)]
for layer in [layers[0], layers[2]]:
    layer.weight.requires_grad = True
x = torch.randn(4, 2)
for layer in layers:
    x = layer(x)
loss = x.pow(2).mean()
loss.backward()
"""


def test_a_plain_layer_objects_box_folds_on_double_click(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    """Karpathy-style layers (plain classes in a list): each call is a box named where the
    program keeps the object; folded, it shows that layer's output and gradient (torch's)."""
    set_program(qtbot, window, PLAIN_LAYERS)
    canvas = window.canvas
    scene = window.outcome.scene
    assert set(scene.clusters) == {"layers[0]", "layers[1]", "layers[2]"}
    x, y, _w, h = scene.clusters["layers[0]"]
    corner = QPointF(x + 4, y + h - 4)
    assert canvas.module_at(corner) == "layers[0]"
    qtbot.mouseDClick(canvas.viewport(), Qt.MouseButton.LeftButton, pos=canvas.mapFromScene(corner))
    wait_graph(qtbot, window)
    folded = window.graph.node("folded_layers[0]")
    torch.manual_seed(0)
    w1, w2 = torch.randn((2, 3)) / 2**0.5, torch.randn((3, 1)) / 3**0.5
    w1.requires_grad_()
    w2.requires_grad_()
    hidden = torch.randn(4, 2) @ w1
    hidden.retain_grad()
    (torch.tanh(hidden) @ w2).pow(2).mean().backward()
    torch.testing.assert_close(folded.value, hidden.detach())
    torch.testing.assert_close(folded.grad, hidden.grad)
