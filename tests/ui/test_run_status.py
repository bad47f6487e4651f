"""A long run says so in the status bar, counting its seconds, and Edit → Stop the run stops it:
the last run's graph stays, and nothing of the stopped run arrives afterwards."""

from __future__ import annotations

from tests.ui.conftest import set_program, wait_graph

LONG = """import torch
x = torch.randn(300, 300)
y = x
for i in range(100000):
    y = torch.tanh(y @ y.T / 300)
"""


def test_a_long_run_is_said_and_can_be_stopped(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    set_program(qtbot, window, "x = 2.0\ny = x * 3\n")
    shown = window.graph
    stop = window.actions_.stop_run
    assert stop is not None and not stop.isEnabled()  # nothing running: nothing to stop
    window.editor.setPlainText(LONG)
    window.retrace(interrupt=True)
    qtbot.waitUntil(lambda: window.service.is_busy, timeout=5000)
    assert stop.isEnabled()
    message = window.statusBar().currentMessage()
    assert message.startswith("Running the program… ") and "Ctrl+." in message
    qtbot.waitUntil(lambda: " 2 s " in window.statusBar().currentMessage(), timeout=5000)
    stop.trigger()
    assert not window.service.is_busy and not stop.isEnabled()
    assert window.statusBar().currentMessage().startswith("Stopped: the graph shown is")
    qtbot.wait(800)  # (the worker notices at its next op; what it had is dropped)
    assert window.graph is shown and window.outcome is not None
    assert window.outcome.generation < window.service.generation
    set_program(qtbot, window, "x = 2.0\ny = x * 4\n")  # runs again after an edit
    assert window.graph is not shown and window.graph.find("x").grad.item() == 4.0
    assert not window.service.is_busy and not stop.isEnabled()


def test_a_quick_run_says_nothing_of_running(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    seen: list[bool] = []
    window.service.busy.connect(seen.append)
    for value in ("2.0", "3.0", "4.0"):
        window.editor.setPlainText(f"x = {value}\ny = x * x\n")
        window.retrace(interrupt=True)
        wait_graph(qtbot, window)
    qtbot.wait(700)  # past the moment a run would be said to be on
    assert seen == [] and not window.statusBar().currentMessage().startswith("Running")


def test_stopping_the_first_run_says_no_graph_was_drawn(qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.ui.conftest import close_window, make_window

    window = make_window(qtbot, tmp_path)
    try:
        path = tmp_path / "long.py"
        path.write_text(LONG)  # the file opened: its first run is a long one
        with qtbot.waitSignal(window.torch_ready, timeout=30_000):
            window.start(str(path))
        qtbot.waitUntil(lambda: window.service.is_busy, timeout=10_000)
        assert window.graph is None and window.canvas.message == "Tracing…"
        window.stop_run()
        assert window.canvas.message.startswith("Stopped before a graph was drawn")
        set_program(qtbot, window, "x = 2.0\ny = x * 5\n")
        assert window.graph is not None and window.canvas.message == ""
    finally:
        close_window(window)
