"""Races as `gradviz.trajectories/1` JSON."""

from __future__ import annotations

import math
from typing import Any

from gradviz.optim.trajectories import Race

SCHEMA = "gradviz.trajectories/1"


def _number(value: float) -> Any:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def race_to_json(race: Race) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "surface": race.surface,
        "device": race.device,
        "seconds": race.seconds,
        "runs": [
            {
                "optimizer": run.optimizer,
                "label": run.label,
                "params": run.params,
                "points": [[x, y] for x, y in run.points],
                "losses": [_number(v) for v in run.losses],
                "diverged_at": run.diverged_at,
                "undefined_at": run.undefined_at,
            }
            for run in race.runs
        ],
    }
