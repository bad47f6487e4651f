"""The backprop player and classroom mode, driven from the keyboard (pytest-qt, offscreen)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import torch
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontInfo
from PySide6.QtWidgets import QApplication, QPushButton

from gradviz.render.drawing import Text
from gradviz.ui.painter import font_for
from tests.ui.conftest import set_program, wait_graph

LECTURE = "x = 2.0\ny = 3.0\nz1 = x*y\nz2 = exp(z1)\nz3 = z1 + z2\n"


def texts(window, name: str) -> list[str]:  # type: ignore[no-untyped-def]
    node = window.graph.find(name)
    return [d.text for d in window.canvas.current.nodes[node.id].drawables if isinstance(d, Text)]


def test_keyboard_stepping_follows_the_engine(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    set_program(qtbot, window, LECTURE)
    walk = window.walkthrough
    walk.start()
    stepper = walk.stepper
    assert stepper.index == 0 and "∇ not yet" in texts(window, "z1")
    window.canvas.setFocus()
    qtbot.keyClick(window.canvas, Qt.Key.Key_Space)
    assert stepper.index == 1 and "AddBackward0" in stepper.caption.text()
    qtbot.keyClick(window.canvas, Qt.Key.Key_Right)
    qtbot.keyClick(window.canvas, Qt.Key.Key_Right)
    assert stepper.index == 3
    assert window.canvas.selected == window.graph.find("z1").id
    html = stepper.chain.toHtml()
    e6 = float(torch.exp(torch.tensor(6.0)))
    assert f"{1 + e6:.5g}" in html and f"{3 * (1 + e6):.5g}" in html and "from z2" in html
    assert f"∇ {1 + e6:.5g}" in texts(window, "z1")
    qtbot.keyClick(window.canvas, Qt.Key.Key_Left)
    assert stepper.index == 2 and "∇ not yet" in texts(window, "z1")
    qtbot.keyClick(window.canvas, Qt.Key.Key_Home)
    assert stepper.index == 0
    qtbot.keyClick(window.canvas, Qt.Key.Key_End)
    assert stepper.index == len(stepper.steps) - 1
    stepper.toggle_play()
    stepper.go(0)
    qtbot.waitUntil(lambda: stepper.index >= 2, timeout=10_000)
    stepper.toggle_play()
    walk.stop()
    assert f"∇ {1 + e6:.5g}" in texts(window, "z1")
    # stopped, the keys step no hidden player: the graph keeps every gradient
    window.canvas.setFocus()
    for key in (Qt.Key.Key_Home, Qt.Key.Key_Right, Qt.Key.Key_Space, Qt.Key.Key_P):
        qtbot.keyClick(window.canvas, key)
    qtbot.wait(100)
    assert f"∇ {1 + e6:.5g}" in texts(window, "z1")
    shown = [d.text for n in window.canvas.current.nodes.values() for d in n.drawables
             if isinstance(d, Text)]  # fmt: skip
    assert shown and not any("not yet" in text for text in shown)
    assert not walk.stepper._timer.isActive()  # P started no hidden playing


def test_other_orders(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    set_program(qtbot, window, LECTURE)
    walk = window.walkthrough
    walk.start()
    stepper = walk.stepper
    stepper.mode.setCurrentIndex(stepper.mode.findData("recursive"))
    assert "compute grad(x)" in stepper.steps[0].caption
    stepper.go(5)
    assert "stack" in stepper.chain.toPlainText()
    stepper.mode.setCurrentIndex(stepper.mode.findData("forward"))
    wait_graph(qtbot, window)
    qtbot.waitUntil(
        lambda: stepper.current_mode == "forward" and stepper.steps[0].values is not None,
        timeout=10_000,
    )
    stepper.go(1)
    assert "—" in " ".join(texts(window, "z3")) and "6.0" in texts(window, "z1")
    walk.stop()
    wait_graph(qtbot, window)


def test_presentation_mode_is_big_and_bare(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    set_program(qtbot, window, LECTURE)
    window.resize(1920, 1080)
    walk = window.walkthrough
    walk.toggle_presentation()
    wait_graph(qtbot, window)
    assert walk.presenting and walk.active
    assert not window.editor.isVisible() and not window.inspector_dock.isVisible()
    assert not window.menuBar().isVisible() and walk.dock.isVisible()
    bar = walk.dock.titleBarWidget()  # no title bar in small type over the walk-through
    assert bar is not None and bar.sizeHint().height() <= 0
    mode = walk.stepper.mode  # each mode's name whole, in the projector's type (once the
    # layout has taken the new type in: Qt lays out after the theme's font change is posted)
    names = [mode.itemText(i) for i in range(mode.count())]
    qtbot.waitUntil(
        lambda: mode.width() >= max(mode.fontMetrics().horizontalAdvance(n) for n in names),
        timeout=5000,
    )
    walk.stepper.go(2)
    sizes = [
        d.size
        for item in window.canvas.current.nodes.values()
        for d in item.drawables
        if isinstance(d, Text)
    ]
    node_px = max(sizes) * window.canvas.transform().m11()
    # 28 px on a 1080-line screen, in proportion on others (the projected picture is the same
    # size): 19 px on a 1280×720 projector
    assert node_px >= 28 * window.screen().geometry().height() / 1080 - 0.01, node_px
    # the player's text in the same proportion (26 px on 1080 lines), never under the
    # application's own type: on a 720-line projector 26 px wrapped every line of the chain
    chain = walk.stepper.chain
    chain.ensurePolished()
    own = chain.logicalDpiY() * QApplication.font().pointSizeF() / 72
    scaled = 26 * window.screen().geometry().height() / 1080
    assert abs(QFontInfo(chain.font()).pixelSize() - max(own, scaled)) <= 1
    z1 = window.graph.find("z1").id
    assert window.inspector.node_id != z1 and walk.go_to_node(z1)
    walk.toggle_presentation()
    wait_graph(qtbot, window)
    assert window.editor.isVisible() and window.menuBar().isVisible() and not walk.presenting
    assert walk.dock.titleBarWidget() is None  # Qt's own title bar, with its buttons, again
    # the inspector describes the node the last step outlined (hidden while presenting, it
    # had kept the node clicked before, and the canvas went back to outlining that one)
    assert window.canvas.selected == z1 == window.inspector.node_id


WIDE = (
    "w = torch.tensor([0.125, -0.25, 0.375, -0.5, 0.625, -0.75], requires_grad=True)\n"
    "x = torch.tensor([1.5, 2.5, 3.5, 4.5, 5.5, 6.5])\n"
    "wx = w * x\n"
    "loss = wx.sum()\n"
)


def test_following_a_wide_node_shows_it_whole(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    """Presentation mode follows each step's node at a scale where its text is big; a node
    whose values make it wide ran out of a narrow graph view on both sides."""
    set_program(qtbot, window, WIDE)
    canvas = window.canvas
    window.resize(900, 700)
    qtbot.waitUntil(lambda: canvas.viewport().width() < 450, timeout=5000)
    for name in ("w", "wx", "loss"):
        key = window.graph.find(name).id
        canvas.follow(key, 3.0)  # 3 × the 14 px type: a 1080-line screen's 28 px and more
        shown = canvas.mapFromScene(canvas.items_by_key[key].sceneBoundingRect()).boundingRect()
        assert canvas.viewport().rect().contains(shown), (name, shown, canvas.viewport().rect())
    # where the node fits at that scale, it is shown at that scale
    canvas.fit()
    canvas.follow(window.graph.find("loss").id, 1.5)
    assert canvas.transform().m11() == 1.5


def test_player_arrows_are_as_wide_as_their_glyphs(window) -> None:  # type: ignore[no-untyped-def]
    """Qt gives a push button with text at least 80 px: four arrows made the player 870 px wide
    in the projector's type, more than half a 1280 px projector in presentation mode."""
    stepper = window.walkthrough.stepper
    for button in (stepper.first, stepper.back, stepper.next, stepper.last):
        plain = QPushButton(button.text())
        plain.setFont(button.font())
        assert button.minimumSizeHint().width() < plain.minimumSizeHint().width()
        text = button.fontMetrics().horizontalAdvance(button.text())
        assert button.minimumSizeHint().width() > text  # the glyph whole, with a margin


def test_step_and_walkthrough_exports(qtbot, window, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    set_program(qtbot, window, LECTURE)
    walk = window.walkthrough
    walk.start()
    walk.stepper.go(2)
    for suffix, magic in (("png", b"\x89PNG"), ("svg", b"<svg"), ("pdf", b"%PDF")):
        out = tmp_path / f"step.{suffix}"
        walk.export_step(str(out))
        assert magic in out.read_bytes()[:400]
    gif = tmp_path / "walk.gif"
    job = walk.export_animation(str(gif))
    with qtbot.waitSignal(job.signals.done, timeout=60_000) as blocker:
        pass
    import imageio.v2 as imageio

    frames = imageio.mimread(str(gif))
    assert len(frames) == len(walk.stepper.steps) == blocker.args[0] == 4
    page = tmp_path / "walk.html"  # the same steps as a web page
    job = walk.export_animation(str(page))
    with qtbot.waitSignal(job.signals.done, timeout=60_000) as blocker:
        pass
    text = page.read_text()
    assert text.count('<section class="step"') == blocker.args[0] == 4
    assert "<title>gradviz: untitled</title>" in text and "gradviz_current" in text
    assert "<mark>3  z1 = x*y</mark>" in text  # the program, the last step's line marked


def test_headless_walkthrough_export_has_one_frame_per_step(tmp_path: Path) -> None:
    program = tmp_path / "p.py"
    example = Path(__file__).parents[2] / "gradviz/resources/examples/03_computing_gradients.py"
    program.write_text(example.read_text())
    out = tmp_path / "backprop.gif"
    result = subprocess.run(
        [sys.executable, "-m", "gradviz", "export", str(program), "-o", str(out), "--steps"],
        capture_output=True, text=True, timeout=240,
        env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    import imageio.v2 as imageio

    from gradviz.autograd.tracer import trace

    graph = trace(program.read_text()).graph
    assert len(imageio.mimread(str(out))) == len(graph.backward_order) + 1
    bad = subprocess.run(
        [sys.executable, "-m", "gradviz", "export", str(program), "-o", str(tmp_path / "x.gif")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert bad.returncode == 2 and "--steps" in bad.stderr


def test_a_longer_number_in_a_step_is_not_squeezed(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    """The layout measured the node's final text; a step's "∇ not yet" in its place was drawn
    narrowed to that width, its letters squeezed, although the node's box had room."""
    set_program(qtbot, window, LECTURE)
    walk = window.walkthrough
    walk.start()
    walk.stepper.go(1)
    for name in ("z1", "z2"):  # boxes as wide as "MulBackward0" (x's is as wide as its numbers)
        node = window.graph.find(name)
        item = window.canvas.current.nodes[node.id]
        line = next(d for d in item.drawables if isinstance(d, Text) and d.text == "∇ not yet")
        _, metrics = font_for(line.face, line.size, line.bold, line.italic)
        assert metrics.horizontalAdvance(line.text) <= line.width * 1.08, name  # drawn whole
        left, _, width, _ = item.bbox
        assert left <= line.x and line.x + line.width <= left + width  # inside its box
    walk.stop()


def test_a_narrow_player_puts_its_transport_in_a_second_row(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    """Presentation mode gives the player two fifths of the screen; where its controls do not
    fit that in one row (a 1280 px projector; the test screen is 800 px), the transport goes in
    a row of its own, and the graph keeps the rest."""
    set_program(qtbot, window, LECTURE)
    stepper = window.walkthrough.stepper
    window.walkthrough.toggle_presentation()
    wait_graph(qtbot, window)
    share = 0.4 * window.screen().availableGeometry().width()
    assert stepper.two_rows
    stepper.set_two_rows(False)
    assert stepper.minimum_width() > share  # one row would not fit its share
    stepper.set_two_rows(True)
    qtbot.waitUntil(lambda: stepper.first.y() > stepper.mode.y() + stepper.mode.height() / 2)
    assert stepper.minimum_width() < 0.8 * window.width()  # the graph keeps room beside it
    window.walkthrough.toggle_presentation()
    wait_graph(qtbot, window)
    assert not stepper.two_rows
    qtbot.waitUntil(lambda: abs(stepper.first.y() - stepper.mode.y()) < stepper.mode.height())


def test_stop_when_not_walking_keeps_the_graph_shown(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    set_program(qtbot, window, LECTURE)
    walk = window.walkthrough
    walk.start()
    walk.stop()
    set_program(qtbot, window, WIDE)  # another program: its own graph on the canvas
    walk.stop()  # (a Stop with nothing walking redrew the lecture's picture over it)
    assert set(window.canvas.items_by_key) >= {n.id for n in window.graph.nodes}
    assert window.canvas.current.structure == window.outcome.scene.structure


def test_closing_the_players_dock_ends_the_walk(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    set_program(qtbot, window, LECTURE)
    walk = window.walkthrough
    walk.start()
    walk.stepper.go(2)
    assert any("not yet" in t for n in ("z1", "x") for t in texts(window, n))
    walk.dock.close()  # its title bar's ×
    assert not walk.active
    assert not any("not yet" in t for n in ("z1", "x", "y") for t in texts(window, n))
    window.canvas.setFocus()
    qtbot.keyClick(window.canvas, Qt.Key.Key_Space)  # no hidden player stepped by the keys
    assert not any("not yet" in t for n in ("z1", "x", "y") for t in texts(window, n))


def test_the_dock_menu_starts_and_ends_the_walk(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    set_program(qtbot, window, LECTURE)
    walk = window.walkthrough
    toggle = walk.dock.toggleViewAction()  # what the main window's menu of docks triggers
    toggle.trigger()
    assert walk.active and walk.dock.isVisible()
    walk.stepper.go(2)
    toggle.trigger()
    assert not walk.active and not walk.dock.isVisible()
    assert not any("not yet" in t for n in ("z1", "x", "y") for t in texts(window, n))


def test_the_chain_rules_operand_line_takes_the_themes_grey(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    set_program(qtbot, window, "w = torch.ones(3, requires_grad=True)\nloss = (w * w).sum()\n")
    walk = window.walkthrough
    walk.start()
    stepper = walk.stepper
    stepper.go(len(stepper.steps) - 1)  # the mul: its operands are tensors, listed muted
    assert "a = w: 3 [1.0, 1.0, 1.0]" in stepper.chain.toPlainText()
    window.apply_theme("dark", window.settings.font_scale)
    # the dark theme's grey (one grey for all was 2:1 there)
    qtbot.waitUntil(lambda: "#a0a4ab" in stepper.chain.toHtml(), timeout=5_000)
    window.apply_theme("light", window.settings.font_scale)
    qtbot.waitUntil(lambda: "#6b7280" in stepper.chain.toHtml(), timeout=5_000)
    walk.stop()
