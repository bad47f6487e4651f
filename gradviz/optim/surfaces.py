"""Loss surfaces in two variables: the standard test functions, with their textbook minima."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

Fn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class Minimum:
    x: float
    y: float
    value: float


@dataclass(frozen=True)
class Surface:
    """f(x, y) with its usual plotting window, known minima and a good starting point."""

    name: str
    title: str
    fn: Fn
    domain: tuple[float, float, float, float]  # x_min, x_max, y_min, y_max
    minima: tuple[Minimum, ...] = ()
    start: tuple[float, float] = (0.0, 0.0)
    log_scale: bool = False  # colour by log(f - min): the values span decades
    formula: str = ""
    params: dict[str, float] = field(default_factory=dict)
    max_grid: int = 8192  # points per side worth evaluating (a network landscape: fewer)

    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.fn(x, y)

    @property
    def lowest(self) -> float | None:
        return min((m.value for m in self.minima), default=None)


def rosenbrock(a: float = 1.0, b: float = 100.0) -> Surface:
    return Surface(
        "rosenbrock", "Rosenbrock", lambda x, y: (a - x) ** 2 + b * (y - x**2) ** 2,
        (-2.0, 2.0, -1.0, 3.0), (Minimum(a, a * a, 0.0),), (-1.5, 2.0), True,
        f"({a:g} - x)² + {b:g}(y - x²)²", {"a": a, "b": b},
    )  # fmt: skip


def beale() -> Surface:
    def fn(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2

    return Surface(
        "beale", "Beale", fn, (-4.5, 4.5, -4.5, 4.5), (Minimum(3.0, 0.5, 0.0),), (1.0, 1.5),
        True, "(1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²",
    )  # fmt: skip


def himmelblau() -> Surface:
    minima = (
        Minimum(3.0, 2.0, 0.0),
        Minimum(-2.805118, 3.131312, 0.0),
        Minimum(-3.779310, -3.283186, 0.0),
        Minimum(3.584428, -1.848126, 0.0),
    )
    return Surface(
        "himmelblau", "Himmelblau", lambda x, y: (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2,
        (-5.0, 5.0, -5.0, 5.0), minima, (0.0, 0.0), True, "(x² + y − 11)² + (x + y² − 7)²",
    )  # fmt: skip


def booth() -> Surface:
    return Surface(
        "booth", "Booth", lambda x, y: (x + 2 * y - 7) ** 2 + (2 * x + y - 5) ** 2,
        (-10.0, 10.0, -10.0, 10.0), (Minimum(1.0, 3.0, 0.0),), (-8.0, -6.0), True,
        "(x + 2y − 7)² + (2x + y − 5)²",
    )  # fmt: skip


def matyas() -> Surface:
    return Surface(
        "matyas", "Matyas", lambda x, y: 0.26 * (x**2 + y**2) - 0.48 * x * y,
        (-10.0, 10.0, -10.0, 10.0), (Minimum(0.0, 0.0, 0.0),), (-8.0, 6.0), True,
        "0.26(x² + y²) − 0.48xy",
    )  # fmt: skip


def three_hump_camel() -> Surface:
    return Surface(
        "three-hump-camel", "Three-hump camel",
        lambda x, y: 2 * x**2 - 1.05 * x**4 + x**6 / 6 + x * y + y**2,
        (-2.0, 2.0, -2.0, 2.0), (Minimum(0.0, 0.0, 0.0),), (1.8, -1.5), True,
        "2x² − 1.05x⁴ + x⁶/6 + xy + y²",
    )  # fmt: skip


def six_hump_camel() -> Surface:
    value = -1.031628453489877
    return Surface(
        "six-hump-camel", "Six-hump camel",
        lambda x, y: (4 - 2.1 * x**2 + x**4 / 3) * x**2 + x * y + (-4 + 4 * y**2) * y**2,
        (-3.0, 3.0, -2.0, 2.0),
        (Minimum(0.0898420131, -0.7126564030, value), Minimum(-0.0898420131, 0.7126564030, value)),
        (-1.5, 1.0), False, "(4 − 2.1x² + x⁴/3)x² + xy + (−4 + 4y²)y²",
    )  # fmt: skip


def rastrigin() -> Surface:
    tau = 2 * math.pi
    return Surface(
        "rastrigin", "Rastrigin",
        lambda x, y: 20 + x**2 - 10 * torch.cos(tau * x) + y**2 - 10 * torch.cos(tau * y),
        (-5.12, 5.12, -5.12, 5.12), (Minimum(0.0, 0.0, 0.0),), (3.2, -2.7), False,
        "20 + x² − 10cos(2πx) + y² − 10cos(2πy)",
    )  # fmt: skip


def ackley() -> Surface:
    tau = 2 * math.pi

    def fn(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        radius = torch.sqrt(0.5 * (x**2 + y**2))
        waves = 0.5 * (torch.cos(tau * x) + torch.cos(tau * y))
        return -20 * torch.exp(-0.2 * radius) - torch.exp(waves) + math.e + 20

    return Surface(
        "ackley", "Ackley", fn, (-5.0, 5.0, -5.0, 5.0), (Minimum(0.0, 0.0, 0.0),), (3.5, 2.5),
        False, "−20exp(−0.2√(0.5(x²+y²))) − exp(0.5(cos2πx + cos2πy)) + e + 20",
    )  # fmt: skip


def styblinski_tang() -> Surface:
    root = -2.903534027771178
    value = 2 * 0.5 * (root**4 - 16 * root**2 + 5 * root)
    return Surface(
        "styblinski-tang", "Styblinski–Tang",
        lambda x, y: 0.5 * (x**4 - 16 * x**2 + 5 * x + y**4 - 16 * y**2 + 5 * y),
        (-5.0, 5.0, -5.0, 5.0), (Minimum(root, root, value),), (4.5, 4.0), False,
        "½(x⁴ − 16x² + 5x + y⁴ − 16y² + 5y)",
    )  # fmt: skip


def quadratic(condition: float = 10.0, angle: float = 30.0) -> Surface:
    """½(u² + κ v²) with (u, v) = (x, y) rotated: an ill-conditioned bowl (κ = condition)."""
    if condition < 1:
        raise ValueError("the condition number must be at least 1")
    c, s = math.cos(math.radians(angle)), math.sin(math.radians(angle))

    def fn(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        u = c * x + s * y
        v = -s * x + c * y
        return 0.5 * (u**2 + condition * v**2)

    return Surface(
        "quadratic", "Quadratic bowl", fn, (-5.0, 5.0, -5.0, 5.0), (Minimum(0.0, 0.0, 0.0),),
        (-4.0, 3.5), True, f"½(u² + {condition:g}·v²), rotated {angle:g}°",
        {"condition": condition, "angle": angle},
    )  # fmt: skip


def saddle() -> Surface:
    return Surface(
        "saddle", "Saddle", lambda x, y: x**2 - y**2, (-2.0, 2.0, -2.0, 2.0), (), (-1.5, 0.05),
        False, "x² − y² (no minimum: unbounded below)",
    )  # fmt: skip


BUILTIN: dict[str, Callable[..., Surface]] = {
    "rosenbrock": rosenbrock,
    "beale": beale,
    "himmelblau": himmelblau,
    "booth": booth,
    "matyas": matyas,
    "three-hump-camel": three_hump_camel,
    "six-hump-camel": six_hump_camel,
    "rastrigin": rastrigin,
    "ackley": ackley,
    "styblinski-tang": styblinski_tang,
    "quadratic": quadratic,
    "saddle": saddle,
}


def get_surface(name: str) -> Surface:
    """A built-in surface by name, with parameters where it has them:
    `rosenbrock`, `rosenbrock:a=1,b=10`, `quadratic:condition=50,angle=45`."""
    base, _, rest = name.partition(":")
    key = base.strip().lower().replace("_", "-").replace(" ", "-")
    if key not in BUILTIN:
        raise KeyError(f"unknown surface {base.strip()!r}; choose from {', '.join(BUILTIN)}")
    options: dict[str, float] = {}
    for item in filter(None, (part.strip() for part in rest.split(","))):
        option, _, value = item.partition("=")
        try:
            options[option.strip()] = float(value)
        except ValueError:
            raise KeyError(f"{key}: {item!r} is not name=number") from None
    try:
        return BUILTIN[key](**options)
    except TypeError:
        raise KeyError(f"{key} has no parameter among {', '.join(options)}") from None
    except ValueError as exc:
        raise KeyError(f"{key}: {exc}") from None
