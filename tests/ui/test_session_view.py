"""A session brings back how its graph was drawn; another program starts with nothing folded;
the View menu's switches always show the settings in force."""

from __future__ import annotations

import json
from pathlib import Path

from gradviz.resources import examples
from tests.ui.conftest import set_program, wait_graph

MLP = (
    "torch.manual_seed(0)\nmodel = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))\n"
    "X = torch.randn(5, 3)\nloss = model(X).pow(2).mean()\nloss.backward()\n"
)


def _switches(window) -> tuple[bool, bool, bool]:  # type: ignore[no-untyped-def]
    a = window.actions_
    return a.view_backward.isChecked(), a.orientation_lr.isChecked(), a.group_modules.isChecked()


def test_a_session_reopens_drawn_as_it_was_saved(qtbot, window, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    set_program(qtbot, window, MLP)
    window.actions_.orientation_lr.trigger()  # O: left to right
    window.actions_.view_backward.trigger()  # G: values only
    window.toggle_module("model.0")
    wait_graph(qtbot, window)
    folded_nodes = len(window.graph.nodes)
    path = tmp_path / "mlp.gradviz"
    assert window.save_to(str(path))
    saved = json.loads(path.read_text())["settings"]
    assert saved["orientation"] == "LR" and saved["view"] == "forward"
    assert saved["folded"] == "model.0" and saved["modules"] is True

    example = next(e for e in examples() if e.name == "16_network_two_moons.py")
    window.load_example(example)  # another program: nothing of the last one folded
    wait_graph(qtbot, window)
    assert window.settings.folded == frozenset()
    window.actions_.orientation_lr.trigger()  # back to top-down, gradients on
    window.actions_.view_backward.trigger()
    wait_graph(qtbot, window)
    assert _switches(window) == (True, False, True)

    assert window.open_path(str(path))
    wait_graph(qtbot, window)
    assert window.settings.orientation == "LR" and window.settings.view == "forward"
    assert window.settings.folded == frozenset({"model.0"})
    assert len(window.graph.nodes) == folded_nodes
    assert _switches(window) == (False, True, True)  # the switches say so too


def test_the_switches_follow_a_change_made_elsewhere(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    window.update_settings(view="forward", orientation="LR", modules=False)
    assert _switches(window) == (False, True, False)
    window.update_settings(view="backward")
    window.walkthrough.start()
    mode = window.walkthrough.stepper.mode
    mode.setCurrentIndex(mode.findData("forward"))  # the forward pass: values only, G off
    assert window.settings.view == "forward" and not window.actions_.view_backward.isChecked()
    mode.setCurrentIndex(mode.findData("backward"))
    assert window.settings.view == "backward" and window.actions_.view_backward.isChecked()
    window.walkthrough.stop()
