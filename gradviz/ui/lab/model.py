"""What the lab shows, as plain data: the surface, the racers, the start, the steps."""

from __future__ import annotations

from dataclasses import dataclass, field

from gradviz.ui.lab.palette import RACER_COLOURS

MAX_RACERS = 8


@dataclass
class Racer:
    """One optimizer in the race: its spec text (`adam:lr=0.05`), colour and on/off switch."""

    spec: str
    colour: str
    enabled: bool = True


def default_racers() -> list[Racer]:
    specs = ["sgd:lr=0.001", "momentum:lr=0.001", "rmsprop:lr=0.01", "adam:lr=0.05"]
    return [Racer(spec, RACER_COLOURS[i]) for i, spec in enumerate(specs)]


@dataclass
class LabState:
    surface: str = "rosenbrock"  # a built-in name, "function" or "network" (the sources below)
    function_source: str = "x**2 + 10*y**2"
    network_source: str = ""  # the Graph tab's program, for the "network" surface
    start: tuple[float, float] | None = None  # None: the surface's usual start
    steps: int = 300
    device: str = "cpu"
    racers: list[Racer] = field(default_factory=default_racers)

    def enabled_specs(self) -> list[str]:
        return [r.spec for r in self.racers if r.enabled]
