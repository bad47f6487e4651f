"""Log-scale plots label 1, 2 and 5 times each power of ten, so labels never run together."""

from __future__ import annotations

import math

import pytest

from gradviz.ui.log_axis import SparseLogAxis


def test_only_one_two_and_five_times_a_power_of_ten_are_labelled(qapp) -> None:  # type: ignore[no-untyped-def]
    axis = SparseLogAxis("left")
    numbers = [0.003, 0.004, 0.005, 0.006, 0.01, 0.02, 0.03, 0.05, 0.07, 0.09, 0.1, 0.2, 1.0, 20.0]
    strings = axis.logTickStrings([math.log10(n) for n in numbers], 1.0, 0.1)
    labelled = [n for n, text in zip(numbers, strings, strict=True) if text]
    assert labelled == [0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 1.0, 20.0]
    assert all(text for n, text in zip(numbers, strings, strict=True) if n in labelled)


def labelled_ticks(axis: SparseLogAxis, low: float, high: float) -> list[tuple[float, str]]:
    """(value, label) of each labelled tick pyqtgraph would draw between low and high."""
    labelled = []
    for spacing, values in axis.tickValues(math.log10(low), math.log10(high), 300):
        visible = [v for v in values if math.log10(low) <= v <= math.log10(high)]
        strings = axis.tickStrings(visible, 1.0, spacing)
        labelled += [(10**v, text) for v, text in zip(visible, strings, strict=True) if text]
    return labelled


def test_a_range_narrower_than_the_minor_ticks_gets_evenly_stepped_labels(qapp) -> None:  # type: ignore[no-untyped-def]
    axis = SparseLogAxis("left")
    axis.setLogMode(False, True)
    for low, high in [(0.62, 0.69), (0.2401, 0.2466), (103.0, 118.0), (0.0031, 0.0039)]:
        labelled = labelled_ticks(axis, low, high)
        assert len(labelled) >= 2, (low, high, labelled)
        texts = [text for _, text in labelled]
        assert len(set(texts)) == len(texts), texts  # each label names its own value
        for value, text in labelled:
            assert low <= value <= high
            assert float(text) == pytest.approx(value, rel=1e-9)


def test_a_range_within_a_decade_labels_its_minor_ticks(qapp) -> None:  # type: ignore[no-untyped-def]
    axis = SparseLogAxis("left")
    axis.setLogMode(False, True)
    labelled = labelled_ticks(axis, 0.26, 0.69)
    assert [round(v, 6) for v, _ in labelled] == [0.3, 0.4, 0.5, 0.6]
    wide = labelled_ticks(axis, 0.003, 2.5)  # over decades: 1, 2 and 5 times a power of ten
    assert sorted({round(v, 6) for v, _ in wide}) == [
        0.005,
        0.01,
        0.02,
        0.05,
        0.1,
        0.2,
        0.5,
        1.0,
        2.0,
    ]


def test_steps_read_as_plain_numbers_at_step_zero(qtbot) -> None:  # type: ignore[no-untyped-def]
    """A training's first picture has one point: pyqtgraph's range of ±0.5 then read
    "-400 -200 0 200 400" over "step (x0.001)"."""
    from gradviz.ui.log_axis import log_plot

    plot = log_plot(title="loss")
    qtbot.addWidget(plot)
    plot.setLabel("bottom", "step")
    plot.plot([0], [0.7])
    plot.resize(400, 300)
    plot.show()
    qtbot.waitExposed(plot)
    axis = plot.getAxis("bottom")
    qtbot.waitUntil(lambda: list(axis.range) == [-0.5, 0.5])  # (the range that brought it)
    assert axis.autoSIPrefixScale == 1.0 and "(x0.001)" not in axis.labelString()
