"""Colours for racing optimizers (Okabe–Ito: distinguishable with colour-vision deficiency)."""

from __future__ import annotations

RACER_COLOURS = (
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#D55E00",  # vermillion
    "#0072B2",  # blue
    "#F0E442",  # yellow
    "#000000",  # black
)
MARKERS = ("o", "s", "t", "d", "+", "x", "star", "p")  # a second cue besides colour

BASIN_COLOURS = (
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#999999",
)  # fmt: skip
DIVERGED_COLOUR = "#000000"
UNSETTLED_COLOUR = "#bbbbbb"
