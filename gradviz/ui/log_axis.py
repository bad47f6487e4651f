"""A log-scale plot axis that labels only 1, 2 and 5 times each power of ten where the range
holds them, and evenly stepped values where it is too narrow to."""

from __future__ import annotations

import math
from typing import Any

import pyqtgraph as pg

_KEPT = (1.0, 2.0, 5.0, 10.0)
_NICE = (1.0, 2.0, 2.5, 5.0, 10.0)


class SparseLogAxis(pg.AxisItem):  # type: ignore[misc]
    """pyqtgraph labels every minor tick of a log axis that spans a decade or two, and near the
    top of each decade (0.06, 0.07, 0.08, 0.09) the labels run into each other; these ticks stay,
    only their labels go. A range narrower than that (a loss going from 0.69 to 0.62) has up
    to three minor ticks: there the ticks are evenly stepped values (0.62, 0.64, 0.66, 0.68)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._fine_step: float | None = None  # the step of evenly stepped ticks, when used

    def logTickValues(
        self, minVal: float, maxVal: float, size: float, stdTicks: list[Any]
    ) -> list[Any]:
        ticks: list[Any] = super().logTickValues(minVal, maxVal, size, stdTicks)
        self._fine_step = None
        visible = [v for _, level in ticks for v in level if minVal <= v <= maxVal]
        if len(visible) >= 3 or not math.isfinite(minVal) or not math.isfinite(maxVal):
            return ticks
        low, high = 10.0**minVal, 10.0**maxVal
        step = _nice_step((high - low) / 4)
        if step <= 0:
            return ticks
        first = math.ceil(low / step)
        values = [k * step for k in range(first, first + 12) if k * step <= high]
        self._fine_step = step
        return [(None, [math.log10(v) for v in values if v > 0])]

    def logTickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        if self._fine_step is not None:
            decimals = _decimals(self._fine_step * scale)
            return [f"{10**v * scale:.{decimals}f}" for v in values]
        strings: list[str] = super().logTickStrings(values, scale, spacing)
        kept = [_kept(value, scale) for value in values]
        if sum(kept) < 2:  # a range within a decade: its few minor ticks are far apart
            return strings
        return [text if keep else "" for keep, text in zip(kept, strings, strict=True)]


def _nice_step(rough: float) -> float:
    """The 1, 2, 2.5 or 5 times a power of ten nearest above `rough`."""
    if not math.isfinite(rough) or rough <= 0:
        return 0.0
    power = 10.0 ** math.floor(math.log10(rough))
    return next(n * power for n in _NICE if n * power >= rough * (1 - 1e-9))


def _decimals(step: float) -> int:
    """Decimal places that write multiples of `step` exactly (0.025: three)."""
    for places in range(12):
        if abs(round(step, places) - step) <= 1e-9 * step:
            return places
    return 12


def _kept(exponent: float, scale: float) -> bool:
    number = 10 ** float(exponent) * scale
    if not math.isfinite(number) or number <= 0:
        return True
    mantissa = number / 10 ** math.floor(math.log10(number))
    return any(abs(mantissa - kept) < 1e-6 * kept for kept in _KEPT)


def log_plot(**kwargs: Any) -> pg.PlotWidget:
    """A PlotWidget with a logarithmic y axis labelled sparsely."""
    # No pyqtgraph right-click menu on gradviz's plots: its Export… fails on SVG under Qt 6.11+
    # (a ValueError in SVGExporter) and its transforms (log, FFT) fight the axes set here;
    # each view has its own Save picture… (PNG, or SVG through QSvgGenerator).
    plot = pg.PlotWidget(axisItems={"left": SparseLogAxis("left")}, enableMenu=False, **kwargs)
    plot.setLogMode(y=True)
    # steps as plain numbers: at step 0 (one point, a range of ±0.5) the axis read
    # "-400 -200 0 200 400" over "step (x0.001)"
    plot.getAxis("bottom").enableAutoSIPrefix(False)
    return plot
