"""The optimizer lab's core: surfaces, torch.optim runs, batching, divergence, basins, the CLI."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest
import torch

from gradviz.optim.basins import DIVERGED, basin_map
from gradviz.optim.custom import typed_surface
from gradviz.optim.grid import evaluate_grid
from gradviz.optim.registry import KINDS, SpecError, parse_spec
from gradviz.optim.surfaces import BUILTIN, get_surface
from gradviz.optim.trajectories import optimize_batch, race

TEXTBOOK = {  # name: (minimiser, value) from the standard references
    "rosenbrock": ((1.0, 1.0), 0.0),
    "beale": ((3.0, 0.5), 0.0),
    "booth": ((1.0, 3.0), 0.0),
    "matyas": ((0.0, 0.0), 0.0),
    "three-hump-camel": ((0.0, 0.0), 0.0),
    "six-hump-camel": ((0.0898, -0.7126), -1.0316),
    "rastrigin": ((0.0, 0.0), 0.0),
    "ackley": ((0.0, 0.0), 0.0),
    "styblinski-tang": ((-2.903534, -2.903534), -78.33233),
    "quadratic": ((0.0, 0.0), 0.0),
}
HIMMELBLAU = [(3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)]


def f(name: str, x: float, y: float) -> float:
    return float(
        get_surface(name)(
            torch.tensor(x, dtype=torch.float64), torch.tensor(y, dtype=torch.float64)
        )
    )


@pytest.mark.parametrize("name", sorted(TEXTBOOK))
def test_surfaces_take_their_textbook_values_at_their_minima(name: str) -> None:
    (x, y), value = TEXTBOOK[name]
    assert f(name, x, y) == pytest.approx(value, abs=1e-3)
    surface = get_surface(name)
    assert surface.minima and surface.minima[0].value == pytest.approx(value, abs=1e-3)
    for m in surface.minima:  # a minimum: zero gradient, and no lower value nearby
        if name != "ackley":  # Ackley has a cone at its minimum: no gradient there
            p = torch.tensor([m.x, m.y], dtype=torch.float64, requires_grad=True)
            surface(p[0], p[1]).backward()
            assert float(p.grad.norm()) < 1e-3 * max(1.0, abs(m.value))  # type: ignore[union-attr]
        for dx, dy in ((1e-2, 0), (0, 1e-2), (-1e-2, 0), (0, -1e-2)):
            assert f(name, m.x + dx, m.y + dy) >= m.value - 1e-9


def test_himmelblau_has_four_zero_minima() -> None:
    assert [(m.x, m.y) for m in get_surface("himmelblau").minima] == HIMMELBLAU
    for x, y in HIMMELBLAU:
        assert f("himmelblau", x, y) == pytest.approx(0.0, abs=1e-8)


def test_saddle_is_a_saddle() -> None:
    assert get_surface("saddle").minima == ()
    assert f("saddle", 1, 0) > 0 > f("saddle", 0, 1)


def test_a_typed_function_equals_its_builtin_twin() -> None:
    typed = typed_surface("(1 - x)**2 + 100*(y - x**2)**2", (-2.0, 2.0, -1.0, 3.0))
    grid_typed = evaluate_grid(typed, (-2.0, 2.0, -1.0, 3.0), 64)
    grid_builtin = evaluate_grid(get_surface("rosenbrock"), None, 64)
    torch.testing.assert_close(grid_typed.values, grid_builtin.values)
    spec = parse_spec("adam:lr=0.05")
    a = race(typed, [spec], (-1.5, 2.0), 50).runs[0]
    b = race(get_surface("rosenbrock"), [spec], (-1.5, 2.0), 50).runs[0]
    assert a.points == b.points


def test_typed_functions_keep_the_languages_safety() -> None:
    from gradviz.lang.errors import ProgramError

    for bad in ("__import__('os')", "open('f')", "x ** ", "torch.load('m')", "undefined * x"):
        with pytest.raises(ProgramError):
            typed_surface(bad)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("torch.randn(3)", "one number per point, not a tensor of 3"),
        ("x * torch.ones(3)", "one number per point"),
        ("sum(x**2) + y", "must be computed point by point"),
        ("x.mean() + y", "must be computed point by point"),
        ("1.0", "gives no tensor: its last line must be an expression in x and y"),
        ("print(x)", "gives no tensor"),
        ("x^2 + y^2", r"`\^` is bitwise exclusive or in Python, not a power"),
        ("max(x, y)", r"at many points at once .*torch.maximum\(a, b\) for max\(a, b\)"),
        ("min(x**2, 1.0)", r"torch.clamp\(a, max=1.0\) for min\(a, 1.0\)"),
        ("x if x > 0 else y", r"torch.where\(x > 0, x, y\) for `x if x > 0 else y`"),
    ],
)
def test_a_typed_function_must_give_one_number_per_point(source: str, message: str) -> None:
    """The lab evaluates many points at once: a reduction over x mixes them (and a tensor of
    another size was a traceback)."""
    from gradviz.lang.errors import ProgramError

    with pytest.raises(ProgramError, match=message):
        typed_surface(source)


def test_the_elementwise_forms_the_messages_name_are_the_surfaces_meant() -> None:
    x, y = torch.tensor([-1.0, 2.0]), torch.tensor([3.0, -0.5])
    torch.testing.assert_close(typed_surface("torch.maximum(x, y)")(x, y), torch.maximum(x, y))
    torch.testing.assert_close(typed_surface("x**2 + y**2")(x, y), x**2 + y**2)
    clamped = typed_surface("torch.clamp(x**2, max=1.0)")(x, y)
    torch.testing.assert_close(clamped, torch.tensor([min(v * v, 1.0) for v in x.tolist()]))
    where = typed_surface("torch.where(x > 0, x, y)")(x, y)
    pointwise = [a if a > 0 else b for a, b in zip(x.tolist(), y.tolist(), strict=True)]
    torch.testing.assert_close(where, torch.tensor(pointwise))
    with pytest.raises(TypeError):
        _ = 2.0 ^ 2  # type: ignore[operator]  # (Python: no `^` of a float)


def test_a_pointwise_typed_function_with_where_and_constants_is_fine() -> None:
    typed = typed_surface("torch.where(x > 0, x, -x) + y**2 + torch.tensor(0.5)")
    x, y = torch.tensor([-1.0, 2.0]), torch.tensor([3.0, -0.5])
    torch.testing.assert_close(typed(x, y), x.abs() + y**2 + 0.5)


def reference_run(
    cls: type, params: dict, start: tuple[float, float], steps: int, fn
) -> torch.Tensor:  # type: ignore[no-untyped-def,type-arg]
    """The test's own plain torch.optim loop from one start."""
    p = torch.tensor(start, requires_grad=True)
    optimizer = cls([p], **params)
    points = [p.detach().clone()]
    for _ in range(steps):
        if cls is torch.optim.LBFGS:

            def closure() -> torch.Tensor:
                optimizer.zero_grad()
                loss = fn(p[0], p[1])
                loss.backward()
                return loss

            optimizer.step(closure)
        else:
            optimizer.zero_grad()
            fn(p[0], p[1]).backward()
            optimizer.step()
        points.append(p.detach().clone())
    return torch.stack(points)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_batched_runs_equal_independent_torch_optim_runs_step_by_step(kind: str) -> None:
    surface = get_surface("himmelblau")
    spec = parse_spec(kind)
    starts = [(0.5, 0.5), (-1.0, 2.0), (2.5, -3.0)]
    positions, _, _ = optimize_batch(surface, spec, torch.tensor(starts), 60)
    for column, start in enumerate(starts):
        expected = reference_run(spec.kind.cls, spec.params(), start, 60, surface.fn)
        torch.testing.assert_close(
            positions[:, column], expected, rtol=1e-5, atol=1e-6, equal_nan=True
        )


def test_losses_are_the_surface_at_each_point() -> None:
    surface = get_surface("rosenbrock")
    run = race(surface, [parse_spec("momentum:lr=0.001")], (-1.0, 1.5), 30).runs[0]
    assert run.points[0] == (-1.0, 1.5) and len(run.points) == len(run.losses) == 31
    for (x, y), loss in zip(run.points, run.losses, strict=True):
        assert loss == pytest.approx(f("rosenbrock", x, y), rel=1e-4, abs=1e-5)


def test_divergence_is_reported_and_points_stay_finite() -> None:
    run = race(get_surface("saddle"), [parse_spec("sgd:lr=0.4")], (-1.5, 0.05), 200).runs[0]
    assert run.diverged_at is not None and run.diverged_at < 200
    assert len(run.points) == run.diverged_at
    assert all(math.isfinite(x) and math.isfinite(y) for x, y in run.points)
    exploding = race(get_surface("rosenbrock"), [parse_spec("sgd:lr=0.1")], (-1.5, 2.0), 100).runs[
        0
    ]
    assert exploding.diverged_at is not None
    assert all(math.isfinite(v) for xy in exploding.points for v in xy)


def test_a_path_into_points_where_f_is_undefined_says_from_which_step() -> None:
    """log(x) past x = 0: the position stays finite (1/x, its gradient, is finite there), so it
    has not diverged, but f is NaN from that point on."""
    typed = typed_surface("log(x) + y")
    run = race(typed, [parse_spec("adam:lr=0.1")], (0.5, 0.5), 10).runs[0]
    assert run.diverged_at is None
    params = torch.tensor([0.5, 0.5], requires_grad=True)  # the same race in plain torch
    optimizer = torch.optim.Adam([params], lr=0.1)
    values = []
    for _ in range(10):
        values.append(float(torch.log(params[0].detach()) + params[1].detach()))
        optimizer.zero_grad()
        (torch.log(params[0]) + params[1]).backward()
        optimizer.step()
    values.append(float(torch.log(params[0].detach()) + params[1].detach()))
    first_nan = next(k for k, v in enumerate(values) if math.isnan(v))
    assert run.undefined_at == first_nan
    assert run.points[-1] == pytest.approx(tuple(params.tolist()), abs=1e-6)
    assert race(typed, [parse_spec("adam:lr=0.01")], (0.5, 0.5), 10).runs[0].undefined_at is None


def test_basin_map_labels_match_single_runs() -> None:
    surface = get_surface("himmelblau")
    spec = parse_spec("adam:lr=0.1")
    basins = basin_map(surface, spec, resolution=24, steps=300)
    assert basins.labels.shape == (24, 24)
    assert set(basins.labels.unique().tolist()) <= {0, 1, 2, 3, DIVERGED, -2}
    fractions = basins.fractions(4)
    assert sum(fractions.values()) == pytest.approx(1.0)
    assert all(fractions[k] > 0.1 for k in range(4))  # four basins, each sizeable
    for i, j in ((3, 5), (12, 12), (20, 2), (7, 19)):
        start = (float(basins.x[j]), float(basins.y[i]))
        end = reference_run(torch.optim.Adam, spec.params(), start, 300, surface.fn)[-1]
        nearest = min(range(4), key=lambda k: math.dist(HIMMELBLAU[k], end.tolist()))
        assert int(basins.labels[i, j]) == nearest


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("nope", "unknown optimizer"),
        ("adam:lr=-1", "Invalid learning rate"),
        ("sgd:lr=abc", "could not convert"),
        ("sgd:momentum=0.9,dampening=0.5,nesterov=true", "Nesterov"),
        ("adam:beta1=1.5", "beta parameter"),
        ("adam:gamma=3", "no hyperparameter"),
        ("adam:lr", "key=value"),
        ("sgd:lr=1e308", "too large"),  # torch: "cannot be converted ... without overflow"
        ("sgd:momentum=-1e39", "too large"),
        ("sgd:lr=inf", "not a finite number"),  # the JSON of the race could not hold it
        ("adam:lr=nan", "not a finite number"),
        ("sgd:schedule=step,schedule_gamma=inf", "not a finite number"),
    ],
)
def test_bad_optimizer_specs_are_refused(text: str, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        parse_spec(text)


def test_spec_hyperparameters_reach_torch() -> None:
    spec = parse_spec("adam:lr=0.2,beta1=0.8,amsgrad=true")
    optimizer = spec.build([torch.zeros(2, requires_grad=True)])
    group = optimizer.param_groups[0]
    assert group["lr"] == 0.2 and group["betas"] == (0.8, 0.999) and group["amsgrad"] is True


def gradviz(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gradviz", *args], capture_output=True, text=True, timeout=120
    )


def test_optimize_cli_json_contract() -> None:
    result = gradviz(
        "optimize", "--surface", "rosenbrock", "--optimizer", "sgd:lr=0.001",
        "--optimizer", "adam:lr=0.05", "--start", "-1.5,2", "--steps", "25", "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["schema"] == "gradviz.trajectories/1" and data["surface"] == "rosenbrock"
    assert [r["optimizer"] for r in data["runs"]] == ["sgd", "adam"]
    for run in data["runs"]:
        assert run["points"][0] == [-1.5, 2.0] and len(run["points"]) == 26
        assert run["diverged_at"] is None
    expected = reference_run(
        torch.optim.Adam,
        parse_spec("adam:lr=0.05").params(),
        (-1.5, 2.0),
        25,
        get_surface("rosenbrock").fn,
    )
    torch.testing.assert_close(torch.tensor(data["runs"][1]["points"]), expected)


@pytest.mark.parametrize(
    "args",
    [
        ["--surface", "nope", "--json"],
        ["--surface", "rosenbrock", "--optimizer", "adam:lr=-1", "--json"],
        [
            "--surface",
            "rosenbrock",
            "--optimizer",
            "sgd:momentum=1.5",
            "--optimizer",
            "x",
            "--json",
        ],
        ["--function", "x ** ", "--json"],
        ["--function", "open('f')", "--json"],
        ["--surface", "rosenbrock", "--start", "1", "--json"],
        ["--surface", "rosenbrock", "--steps", "0", "--json"],
        ["--surface", "rosenbrock", "-o", "out.bmp"],
        ["--surface", "rosenbrock", "--optimizer", "sgd:lr=1e308", "--json"],
        ["--json"],
    ],
)
def test_optimize_cli_bad_settings_exit_2(args: list[str]) -> None:
    result = gradviz("optimize", *args)
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and "Traceback" not in result.stderr


def test_every_builtin_surface_evaluates_on_a_grid() -> None:
    for name in BUILTIN:
        grid = evaluate_grid(get_surface(name), resolution=32)
        assert grid.values.shape == (32, 32) and torch.isfinite(grid.values).all()


def test_learning_rate_schedules_follow_torch() -> None:
    spec = parse_spec("sgd:lr=0.002,schedule=exp,schedule_gamma=0.97")
    surface = get_surface("rosenbrock")
    positions, _, _ = optimize_batch(surface, spec, torch.tensor([(-1.5, 2.0)]), 50)
    p = torch.tensor((-1.5, 2.0), requires_grad=True)
    optimizer = torch.optim.SGD([p], lr=0.002)
    scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.97)
    expected = [p.detach().clone()]
    for _ in range(50):
        optimizer.zero_grad()
        surface(p[0], p[1]).backward()
        optimizer.step()
        scheduler.step()
        expected.append(p.detach().clone())
    torch.testing.assert_close(positions[:, 0], torch.stack(expected))
    assert "exp schedule" in spec.label()
    with pytest.raises(SpecError, match="unknown schedule"):
        parse_spec("sgd:schedule=wobbly")
    with pytest.raises(SpecError, match="step schedule"):
        parse_spec("sgd:schedule=step,schedule_size=3")


def test_surface_parameters() -> None:
    bowl = get_surface("quadratic:condition=50,angle=0")
    assert f"{bowl.params['condition']:g}" == "50"
    assert float(bowl(torch.tensor(0.0), torch.tensor(1.0))) == pytest.approx(25.0)
    assert float(get_surface("rosenbrock:a=2,b=10")(torch.tensor(2.0), torch.tensor(4.0))) == 0.0
    for bad in ("quadratic:condition=0.5", "quadratic:colour=3", "rosenbrock:a=x"):
        with pytest.raises(KeyError):
            get_surface(bad)


def test_optimizers_raced_together_follow_their_separate_runs() -> None:
    """One shared forward and backward per step (optimize_together) gives every optimizer the
    trajectory it has alone — all the batchable kinds, a schedule, L-BFGS, a divergence."""
    from gradviz.optim.together import optimize_together

    surface = get_surface("himmelblau")
    texts = [f"{name}:lr=0.01" for name, kind in KINDS.items() if kind.batchable]
    texts += ["adam:lr=0.05,schedule=exp,schedule_gamma=0.98", "lbfgs", "sgd:lr=1.5"]
    specs = [parse_spec(t) for t in texts]
    starts = torch.tensor([[0.5, 0.5], [-3.0, 2.5]])
    together = optimize_together(surface, specs, starts, 60)
    assert len(together) == len(specs)
    for text, spec, (positions, losses, diverged) in zip(texts, specs, together, strict=True):
        alone = optimize_batch(surface, spec, starts, 60)
        torch.testing.assert_close(positions, alone[0], rtol=1e-6, atol=1e-6, equal_nan=True)
        torch.testing.assert_close(losses, alone[1], rtol=1e-6, atol=1e-6, equal_nan=True)
        assert diverged.tolist() == alone[2].tolist(), text
    assert together[-1][2].tolist() != [-1, -1]  # lr 1.5 on Himmelblau: it does diverge


def _plane(n: int = 64) -> tuple[torch.Tensor, torch.Tensor]:
    xs = torch.linspace(-3.0, 3.0, n)
    return xs.reshape(1, -1), xs.reshape(-1, 1)


def test_a_typed_function_spanning_decades_is_coloured_on_a_log_scale() -> None:
    from gradviz.optim.grid import surface_colours

    surface = typed_surface("exp(x**2 + y**2)")
    colours, log_scale = surface_colours(surface, evaluate_grid(surface, None, 64))
    assert log_scale  # linear, 96 % of the window would be the lowest grey
    x, y = _plane()
    values = torch.exp(x**2 + y**2).double()
    shifted = values - values.min()
    expected = torch.log10(shifted + shifted[shifted > 0].min())
    assert torch.allclose(colours, expected, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("source", ["x**2 + 10*y**2", "(1 - x)**2 + 100*(y - x**2)**2"])
def test_a_typed_function_of_a_few_decades_keeps_a_linear_scale(source: str) -> None:
    from gradviz.optim.grid import surface_colours

    surface = typed_surface(source)
    grid = evaluate_grid(surface, None, 64)
    colours, log_scale = surface_colours(surface, grid)
    assert not log_scale
    assert torch.equal(colours, grid.values.double())


def test_the_share_of_a_grid_where_f_is_not_finite() -> None:
    from gradviz.optim.grid import nonfinite_share

    surface = typed_surface("exp(10*x*y)")
    x, y = _plane()
    expected = (~torch.isfinite(torch.exp(10 * x * y))).double().mean().item()
    assert 0 < expected < 0.1  # the two corners where 10xy > 88.7
    assert nonfinite_share(evaluate_grid(surface, None, 64).values) == pytest.approx(expected)
    everywhere = typed_surface("1e308*x*x")  # 1e308 is inf in float32; inf·0 is NaN
    assert nonfinite_share(evaluate_grid(everywhere, None, 64).values) == 1.0
