"""The app's responsiveness, measured offscreen: window start, keystroke to graph, slider rate,
and panning/zooming a 1,000-node graph.

Run: QT_QPA_PLATFORM=offscreen python benchmarks/bench_ui.py
(after scripts/setup.sh, which compiles gradviz's bytecode: without it, as where
PYTHONDONTWRITEBYTECODE is set, every start compiles the modules it imports: window visible
373 ms instead of 240, opening the Network tab 305 ms instead of 226, on this 2-core VM)
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
        "(of which about 150 ms is the typing pause before a re-trace: Qt may end it 5 % early)"
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
    start = time.perf_counter()
    canvas.viewport().repaint()  # the new graph's first paint (each item builds its paths)
    app.processEvents()
    first_ms = (time.perf_counter() - start) * 1000
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
        f"{nodes}-node graph: layout {layout_ms:.0f} ms; first paint {first_ms:.0f} ms;"
        f" pan+zoom frame {median_ms:.1f} ms median, {worst_ms:.1f} ms max"
    )


def ui_thread_stalls(window) -> None:  # type: ignore[no-untyped-def]
    """The longest the UI thread went without handling its events (a 5 ms timer's worst gap)
    while each action's work ran: what a user feels as a frozen window."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from programs import PROGRAMS

    gaps: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.timeout.connect(tick)
    timer.start(5)

    def measure(label: str, action, settle_ms: int, busy: bool = False) -> None:  # type: ignore[no-untyped-def]
        gaps.clear()
        last[0] = start = time.perf_counter()
        action()
        loop = QEventLoop()
        QTimer.singleShot(settle_ms, loop.quit)
        loop.exec()
        line = f"  {label:<44} worst UI-thread gap {max(gaps, default=0) * 1000:6.0f} ms"
        if busy:  # the share of the time the UI thread was not free within a tick
            taken = sum(g - 0.005 for g in gaps if g > 0.006)
            line += f", busy {taken / (time.perf_counter() - start) * 100:.0f} %"
        print(line)

    transformer = next(p for p in PROGRAMS if p.name == "transformer-layer").source
    print("UI thread while work runs in workers:")
    measure("show the transformer layer (tensor tables)", lambda: window.editor.setPlainText(
        transformer), 4000)  # fmt: skip
    measure("retrace it with another seed", lambda: window.editor.setPlainText(
        transformer.replace("manual_seed(0)", "manual_seed(1)")), 3000)  # fmt: skip
    lab = window.open_lab()
    loop = QEventLoop()
    QTimer.singleShot(4000, loop.quit)
    loop.exec()
    measure("lab: switch to Himmelblau (new 2D grid)", lambda: lab.surface.setCurrentIndex(
        lab.surface.findData("himmelblau")), 4000)  # fmt: skip

    def zoom() -> None:
        lab.view.getViewBox().scaleBy((0.5, 0.5))
        lab.view._range_timer.start()  # what a wheel zoom starts: a grid at the new view

    measure("lab: zoom in (grid at the view's resolution)", zoom, 4000)
    measure("lab: race animating", lab.play, 3000)
    measure("open the Network tab", window.open_network, 4000)
    network = window.open_network()
    measure("network: training plays (10 pictures a s)", network.toggle_play, 8000, busy=True)
    network.toggle_play()
    timer.stop()


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
    ui_thread_stalls(window)
    window.document.dirty = False
    window.close()
    app.quit()


if __name__ == "__main__":
    main()
