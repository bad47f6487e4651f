"""The step a basin map captures as a CUDA graph, run eagerly here: its final points and
divergence steps (counted on the device) equal optimize_batch's for every optimizer it takes."""

from __future__ import annotations

import pytest
import torch

from gradviz.optim.basins import basin_map
from gradviz.optim.graphed import WARM_UP, graphable, optimize_final
from gradviz.optim.registry import KINDS, parse_spec
from gradviz.optim.surfaces import get_surface
from gradviz.optim.trajectories import optimize_batch

GRAPHABLE = [name for name, kind in KINDS.items() if graphable(parse_spec(name))]


def test_which_optimizers_are_captured() -> None:
    assert {"sgd", "momentum", "nesterov", "adam", "adamw", "rmsprop", "rprop"} <= set(GRAPHABLE)
    assert "lbfgs" not in GRAPHABLE  # one start at a time, with a closure
    assert "adagrad" not in GRAPHABLE  # no capturable mode: its step count lives on the host
    assert not graphable(
        parse_spec("adam:lr=0.05,schedule=step")
    )  # a scheduler changes lr on the host


def starts() -> torch.Tensor:
    xs = torch.linspace(-4.5, 4.5, 9)
    grid_y, grid_x = torch.meshgrid(xs, xs, indexing="ij")
    return torch.stack([grid_x.reshape(-1), grid_y.reshape(-1)], dim=1)


@pytest.mark.parametrize("name", GRAPHABLE)
def test_the_captured_step_run_eagerly_equals_optimize_batch(name: str) -> None:
    """Rosenbrock with a large rate: some starts diverge (at different steps), others do not."""
    surface = get_surface("rosenbrock")
    lr = {"sgd": 0.002, "momentum": 0.001, "nesterov": 0.001}.get(name, 0.05)
    spec = parse_spec(f"{name}:lr={lr}") if "lr" in KINDS[name].defaults() else parse_spec(name)
    final, diverged, method = optimize_final(surface, spec, starts(), 60, capture=False)
    assert method == "eager"
    positions, _, expected = optimize_batch(surface, spec, starts(), 60, record=False)
    assert diverged.tolist() == expected.tolist()
    torch.testing.assert_close(final, positions, equal_nan=True, atol=0, rtol=0)
    if name == "sgd":
        assert (expected > 0).any() and (expected < 0).any()  # both kinds of start present


def test_divergence_steps_are_counted_from_the_first_step() -> None:
    surface = get_surface("rosenbrock")
    spec = parse_spec("sgd:lr=0.01")  # far too large for Rosenbrock's walls
    far = torch.tensor([[-2.0, 3.0], [1.0, 1.0]])
    _, diverged, _ = optimize_final(surface, spec, far, WARM_UP + 5, capture=False)
    _, _, expected = optimize_batch(surface, spec, far, WARM_UP + 5)
    assert diverged.tolist() == expected.tolist()
    assert 1 <= int(diverged[0]) <= WARM_UP + 5 and int(diverged[1]) == -1


def test_a_basin_map_on_the_cpu_steps_eagerly_and_matches_single_runs() -> None:
    surface = get_surface("himmelblau")
    spec = parse_spec("adam:lr=0.05")
    result = basin_map(surface, spec, 6, 200)
    assert result.method == "eager"
    xs = torch.linspace(-5.0, 5.0, 6)
    for i, y in enumerate(xs.tolist()):
        for j, x in enumerate(xs.tolist()):
            positions, _, _ = optimize_batch(surface, spec, torch.tensor([[x, y]]), 200)
            end = positions[-1, 0]
            distances = [
                (float(end[0]) - m.x) ** 2 + (float(end[1]) - m.y) ** 2 for m in surface.minima
            ]
            nearest = min(range(len(distances)), key=distances.__getitem__)
            if distances[nearest] <= (0.02 * 10) ** 2:
                assert int(result.labels[i, j]) == nearest
