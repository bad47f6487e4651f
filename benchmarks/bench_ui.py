"""The app's responsiveness, measured offscreen: window start, keystroke to graph, slider rate,
and panning/zooming a 1,000-node graph.

Run: QT_QPA_PLATFORM=offscreen python benchmarks/bench_ui.py
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEventLoop, QSettings, QTimer
from PySide6.QtWidgets import QApplication

LECTURE = "x = 2.0\ny = 3.0\nz1 = x*y\nz2 = exp(z1)\nz3 = z1 + z2\n"


def mlp(depth: int) -> str:
    return (
        "torch.manual_seed(0)\nlayers = []\n"
        f"for i in range({depth}):\n    layers.append(nn.Linear(16, 16))\n"
        "    layers.append(nn.ReLU())\nmodel = nn.Sequential(*layers)\n"
        "X = torch.randn(8, 16)\nloss = model(X).pow(2).mean()\nloss.backward()\n"
    )


def wait(window, timeout_ms: int = 60_000) -> None:  # type: ignore[no-untyped-def]
    loop = QEventLoop()
    window.graph_shown.connect(loop.quit)
    QTimer.singleShot(timeout_ms, loop.quit)
    loop.exec()
    window.graph_shown.disconnect(loop.quit)


def startup() -> None:
    times = []
    for _ in range(3):
        with tempfile.TemporaryDirectory() as tmp:
            program = Path(tmp) / "p.py"
            program.write_text(LECTURE)
            env = {**os.environ, "XDG_CONFIG_HOME": tmp}
            start = time.perf_counter()
            out = subprocess.run(
                [sys.executable, "-m", "gradviz", str(program), "--screenshot", f"{tmp}/s.png"],
                capture_output=True, text=True, env=env, timeout=120,
            )  # fmt: skip
            total = time.perf_counter() - start
            line = next(x for x in out.stderr.splitlines() if "window visible" in x)
            times.append((float(line.split("after")[1].split("ms")[0]), total))
    visible = statistics.median(t[0] for t in times)
    total = statistics.median(t[1] for t in times)
    print(f"window visible: {visible:.0f} ms after gradviz.ui starts (process start excluded)")
    print(f"process start to graph screenshot written: {total:.2f} s (includes torch import)")


def keystroke(window, source: str, label: str) -> None:  # type: ignore[no-untyped-def]
    window.set_document(type(window.document)(source))
    wait(window)
    latencies = []
    for i in range(8):
        cursor = window.editor.textCursor()
        cursor.movePosition(cursor.MoveOperation.End)
        window.editor.setTextCursor(cursor)
        window.editor.insertPlainText(f"\nq{i} = 1" if i % 2 == 0 else " ")
        wait(window)
        latencies.append(window.latency_ms)
    median = statistics.median(latencies)
    print(
        f"keystroke → graph on screen, {label}: {median:.0f} ms median "
        "(of which 150 ms is the typing pause before a re-trace)"
    )


def new_node(window) -> None:  # type: ignore[no-untyped-def]
    """Typing that adds a node to the lecture's graph: a new trace and a new layout each time."""
    window.set_document(type(window.document)(LECTURE))
    wait(window)
    latencies, laid_out = [], []
    for i in range(8):
        source = LECTURE + "".join(f"z{4 + j} = z{3 + j} * {j + 2}\n" for j in range(i + 1))
        window.editor.setPlainText(source)
        wait(window)
        latencies.append(window.latency_ms)
        laid_out.append(window.outcome.timings["layout"] * 1000)
    print(
        f"an edit that adds a node to the lecture's graph → graph on screen: "
        f"{statistics.median(latencies):.0f} ms median (typing pause 150 ms; layout "
        f"{statistics.median(laid_out):.0f} ms)"
    )


def slider_rate(window) -> None:  # type: ignore[no-untyped-def]
    window.set_document(type(window.document)(LECTURE))
    wait(window)
    slider, _ = window.variables.row("x")
    shown = []
    window.graph_shown.connect(lambda: shown.append(time.perf_counter()))
    app = QApplication.instance()
    start = time.perf_counter()
    position = 0
    while time.perf_counter() - start < 3.0:  # a drag: a new position every ~8 ms
        position = (position + 7) % slider.maximum()
        slider.setValue(position)
        end = time.perf_counter() + 0.008
        while time.perf_counter() < end:
            app.processEvents()
    elapsed = time.perf_counter() - start
    relayouts = window.outcome.relayout
    rate = len(shown) / elapsed
    print(
        f"slider drag on the lecture example: {rate:.0f} graph updates per second"
        f" (last update re-laid out: {relayouts})"
    )


def big_graph(window) -> None:  # type: ignore[no-untyped-def]
    window.set_document(type(window.document)(mlp(200)))
    wait(window, 300_000)
    nodes = len(window.graph.nodes)
    canvas = window.canvas
    app = QApplication.instance()
    frames = []
    for i in range(40):
        start = time.perf_counter()
        canvas.zoom(1.1 if i % 2 == 0 else 1 / 1.1)
        canvas.horizontalScrollBar().setValue(canvas.horizontalScrollBar().value() + 25)
        canvas.viewport().repaint()
        app.processEvents()
        frames.append(time.perf_counter() - start)
    layout_ms = window.outcome.timings["layout"] * 1000
    median_ms, worst_ms = statistics.median(frames) * 1000, max(frames) * 1000
    print(
        f"{nodes}-node graph: layout {layout_ms:.0f} ms; pan+zoom frame {median_ms:.1f} ms median,"
        f" {worst_ms:.1f} ms max"
    )


def main() -> None:
    startup()
    app = QApplication.instance() or QApplication([])
    from gradviz.ui.autosave import Autosaver
    from gradviz.ui.main_window import MainWindow
    from gradviz.ui.settings import Preferences

    tmp = Path(tempfile.mkdtemp())
    window = MainWindow(
        Preferences(QSettings(str(tmp / "s.ini"), QSettings.Format.IniFormat)), Autosaver(tmp)
    )
    window.resize(1600, 1000)
    window.show()
    window.start(None)
    wait(window)
    keystroke(window, LECTURE, "lecture example")
    keystroke(window, mlp(20), "20-layer MLP")
    new_node(window)
    slider_rate(window)
    big_graph(window)
    window.document.dirty = False
    window.close()
    app.quit()


if __name__ == "__main__":
    main()
