"""Mapping gradient magnitudes to colours on a colour-blind-safe scale."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def _hex(rgb: tuple[float, float, float]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*(max(0, min(255, round(c))) for c in rgb))


def interpolate(palette: Sequence[str], t: float) -> str:
    """The colour at position t ∈ [0, 1] along the palette."""
    t = min(1.0, max(0.0, t))
    pos = t * (len(palette) - 1)
    i = min(int(pos), len(palette) - 2)
    frac = pos - i
    a, b = _rgb(palette[i]), _rgb(palette[i + 1])
    return _hex(tuple(x + (y - x) * frac for x, y in zip(a, b, strict=True)))  # type: ignore[arg-type]


def text_on(fill: str) -> str:
    """Black or white, whichever reads better on `fill` (WCAG relative luminance)."""

    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in _rgb(fill))
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "#000000" if luminance > 0.179 else "#ffffff"


class MagnitudeScale:
    """Log-scaled map from gradient magnitude to a palette position, fitted to a graph's values."""

    def __init__(self, magnitudes: Iterable[float]) -> None:
        logs = [math.log10(m) for m in magnitudes if m > 0 and math.isfinite(m)]
        self.low = min(logs) if logs else 0.0
        self.high = max(logs) if logs else 0.0
        self.empty = not logs

    def position(self, magnitude: float) -> float | None:
        """0..1 along the scale, or None for zero / non-finite magnitudes."""
        if magnitude <= 0 or not math.isfinite(magnitude):
            return None
        if self.high - self.low < 1e-12:
            return 0.5
        return (math.log10(magnitude) - self.low) / (self.high - self.low)

    def ticks(self) -> tuple[float, float]:
        return 10**self.low, 10**self.high
