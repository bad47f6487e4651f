"""Log-scale plots label 1, 2 and 5 times each power of ten, so labels never run together."""

from __future__ import annotations

import math

from gradviz.ui.log_axis import SparseLogAxis


def test_only_one_two_and_five_times_a_power_of_ten_are_labelled(qapp) -> None:  # type: ignore[no-untyped-def]
    axis = SparseLogAxis("left")
    numbers = [0.003, 0.004, 0.005, 0.006, 0.01, 0.02, 0.03, 0.05, 0.07, 0.09, 0.1, 0.2, 1.0, 20.0]
    strings = axis.logTickStrings([math.log10(n) for n in numbers], 1.0, 0.1)
    labelled = [n for n, text in zip(numbers, strings, strict=True) if text]
    assert labelled == [0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 1.0, 20.0]
    assert all(text for n, text in zip(numbers, strings, strict=True) if n in labelled)
