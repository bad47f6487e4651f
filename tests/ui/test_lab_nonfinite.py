"""A typed f(x, y) that is inf or NaN somewhere: the 2D view says where it is blank, the 3D view
draws it without float32 overflow (and says when nothing is left to draw)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
import torch

TIMEOUT = 60_000


def test_the_lab_says_where_a_typed_function_is_blank(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    lab = window.open_lab()
    qtbot.waitUntil(lambda: lab.race is not None, timeout=TIMEOUT)
    title = lab.view.getPlotItem().titleLabel
    assert not title.isVisible()  # Rosenbrock: finite everywhere
    with qtbot.waitSignal(lab.race_shown, timeout=TIMEOUT):
        lab.surface.setCurrentIndex(lab.surface.findData("function"))
    lab.function.setText("exp(10*x*y)")
    with qtbot.waitSignal(lab.race_shown, timeout=TIMEOUT):
        lab.function.editingFinished.emit()
    qtbot.waitUntil(lambda: title.isVisible(), timeout=TIMEOUT)
    x0, x1, y0, y1 = lab.view.window
    rows, columns = lab.view.image.image.shape
    xs = torch.linspace(x0, x1, columns).reshape(1, -1)
    ys = torch.linspace(y0, y1, rows).reshape(-1, 1)
    blank = (~torch.isfinite(torch.exp(10 * xs * ys))).double().mean().item()
    assert "blank where f is inf or NaN" in title.text
    expected = "under 1 %" if blank < 0.01 else f"{blank:.0%}"
    assert f"({expected} of the view)" in title.text
    # its values span 78 decades: on a linear scale all but the corners would be one grey
    assert lab.view.bar.axis.labelText == "log₁₀(f − min)"


@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="the 3D view needs Xvfb")
def test_the_3d_view_draws_inf_and_runaway_paths_without_overflow() -> None:
    # what the lab hands the 3D view for exp(10xy) (inf in two corners) and for 1e308·x²
    # (inf or NaN everywhere), with a racer that ran off to 1e30 and then to inf
    code = """
import warnings, numpy as np
from PySide6.QtWidgets import QApplication
app = QApplication([])
from gradviz.optim.custom import typed_surface
from gradviz.ui.lab.surface3d import Surface3D
from gradviz.ui.lab.surface_view import Path
from gradviz.ui.lab.tasks import grid_image
from gradviz.optim.grid import evaluate_grid
view = Surface3D(); view.resize(600, 400); view.show(); app.processEvents()
warnings.simplefilter("error")  # numpy's overflow in a float32 cast is a RuntimeWarning
points = np.array([[2.0, 2.0], [3.0, 1e30], [np.inf, np.nan]])
for source in ("exp(10*x*y)", "1e308*x*x"):
    surface = typed_surface(source)
    view.set_grid(grid_image(surface, evaluate_grid(surface, None, 64)))
    view.set_paths([Path("sgd", "#e69f00", points, np.zeros(3), np.zeros((3, 2)), 2)])
    view.show_step(2)
    view.set_marker(2.0, 2.0)
    app.processEvents()
    image = view.grabFramebuffer()
    print(source, "mesh", view.mesh.visible(), "said", view.nothing.isVisible())
    print("finite", bool(np.isfinite(view._z).all()), bool(np.isfinite(view._lines[0].pos).all()))
"""
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    result = subprocess.run(
        ["xvfb-run", "-a", "-s", "-screen 0 1280x1024x24", sys.executable, "-c", code],
        capture_output=True, text=True, timeout=180, env=env,
    )  # fmt: skip
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert "exp(10*x*y) mesh True said False" in result.stdout, out
    assert "1e308*x*x mesh False said True" in result.stdout, out
    assert result.stdout.count("finite True True") == 2, out


def test_a_network_landscape_says_where_its_loss_is_not_finite() -> None:
    from gradviz.nets.landscape import Landscape
    from gradviz.ui.nets.landscape_view import image_of

    steps = torch.linspace(-1.0, 1.0, 3)
    losses = torch.tensor([[0.7, 0.5, float("inf")], [0.4, 0.3, 0.6], [float("nan"), 0.5, 0.9]])
    image = image_of(Landscape(steps, steps, losses, 0.3, 0.01, "cpu", "batched"))
    assert image.blank == pytest.approx((~torch.isfinite(losses)).double().mean().item())
