"""A log-scale plot axis that labels only 1, 2 and 5 times each power of ten."""

from __future__ import annotations

import math
from typing import Any

import pyqtgraph as pg

_KEPT = (1.0, 2.0, 5.0, 10.0)


class SparseLogAxis(pg.AxisItem):  # type: ignore[misc]
    """pyqtgraph labels every minor tick of a log axis that spans a decade or two, and near the
    top of each decade (0.06, 0.07, 0.08, 0.09) the labels run into each other; these ticks stay,
    only their labels go."""

    def logTickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        strings: list[str] = super().logTickStrings(values, scale, spacing)
        return [
            text if _kept(value, scale) else "" for value, text in zip(values, strings, strict=True)
        ]


def _kept(exponent: float, scale: float) -> bool:
    number = 10 ** float(exponent) * scale
    if not math.isfinite(number) or number <= 0:
        return True
    mantissa = number / 10 ** math.floor(math.log10(number))
    return any(abs(mantissa - kept) < 1e-6 * kept for kept in _KEPT)


def log_plot(**kwargs: Any) -> pg.PlotWidget:
    """A PlotWidget with a logarithmic y axis labelled sparsely."""
    plot = pg.PlotWidget(axisItems={"left": SparseLogAxis("left")}, **kwargs)
    plot.setLogMode(y=True)
    return plot
