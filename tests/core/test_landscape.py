"""Loss landscapes: replayed graphs and vmapped planes against plain PyTorch, point by point."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call

from gradviz.autograd.tracer import trace
from gradviz.nets.affine import Affine, affine_call
from gradviz.nets.landscape import (
    evaluate_plane,
    filter_normalised,
    pca_landscape,
    random_landscape,
)
from gradviz.nets.replay import LossFn, Replay, ReplayError, Unbatchable, replay_loss
from gradviz.nets.surface import network_surface
from gradviz.optim.registry import parse_spec
from gradviz.optim.trajectories import optimize_batch
from gradviz.resources import example
from tests.core.corpus import CASES, Case
from tests.core.landscape_grid import assert_grid_equals

MLP = """
import torch
import torch.nn.functional as F
from torch import nn
torch.manual_seed(3)
model = nn.Sequential(nn.Linear(2, 32), nn.Tanh(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 2))
X = torch.randn(40, 2)
y = (X[:, 0] * X[:, 1] > 0).long()
loss = F.cross_entropy(model(X), y)
loss.backward()
"""


def reference_mlp() -> tuple[nn.Module, torch.Tensor, torch.Tensor]:
    torch.manual_seed(3)
    model = nn.Sequential(
        nn.Linear(2, 32), nn.Tanh(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 2)
    )
    X = torch.randn(40, 2)
    y = (X[:, 0] * X[:, 1] > 0).long()
    return model, X, y


def reference_loss(model: nn.Module, X: torch.Tensor, y: torch.Tensor, params) -> float:  # type: ignore[no-untyped-def]
    with torch.no_grad():
        return float(F.cross_entropy(functional_call(model, params, (X,)), y))


def test_replay_at_the_traced_weights_gives_the_traced_loss() -> None:
    graph = trace(MLP).graph
    loss, base = replay_loss(graph)
    model, X, y = reference_mlp()
    assert set(base) == {f"model.{k}" for k, _ in model.named_parameters()}
    expected = F.cross_entropy(model(X), y).item()
    assert float(loss(base)) == pytest.approx(expected, abs=1e-6)


def test_replay_with_other_weights_matches_torch() -> None:
    loss, base = replay_loss(trace(MLP).graph)
    model, X, y = reference_mlp()
    torch.manual_seed(11)
    moved = {k: v + 0.3 * torch.randn_like(v) for k, v in base.items()}
    plain = {k.removeprefix("model."): v for k, v in moved.items()}
    assert float(loss(moved)) == pytest.approx(reference_loss(model, X, y, plain), abs=1e-6)


def test_replay_of_the_lecture_training_loop_is_centred_on_the_last_forward() -> None:
    """The optimizer steps after the last backward: the landscape is centred on the weights
    the graph was traced at, whose loss is the graph's output value."""
    graph = trace(example("07_training_loop.py").source).graph
    loss, base = replay_loss(graph)
    output = next(n for n in graph.nodes if n.id == graph.output)
    assert isinstance(output.value, torch.Tensor)
    assert float(loss(base)) == pytest.approx(float(output.value), abs=1e-6)


WITH_MODULES = [case for case in CASES if re.search(r"\bnn\.[A-Z]\w*\(", case.source)]


@pytest.mark.parametrize("case", WITH_MODULES, ids=[case.name for case in WITH_MODULES])
def test_replay_reproduces_every_corpus_program_with_modules(case: Case) -> None:
    graph = trace(case.source).graph
    loss, base = replay_loss(graph)
    _, reference_output = case.reference()
    torch.testing.assert_close(loss(base), reference_output.detach(), atol=1e-6, rtol=1e-5)


def test_a_program_without_parameters_cannot_be_replayed() -> None:
    graph = trace("x = 2.0\ny = x * x").graph
    with pytest.raises(ReplayError, match=r"no torch\.nn parameters"):
        replay_loss(graph)


def test_filter_normalised_directions_have_the_weights_norms() -> None:
    _, base = replay_loss(trace(MLP).graph)
    direction = filter_normalised(base, torch.Generator().manual_seed(0))
    for name, weight in base.items():
        d = direction[name]
        assert d.shape == weight.shape
        if weight.dim() == 1:
            assert torch.count_nonzero(d) == 0
        else:
            torch.testing.assert_close(d.flatten(1).norm(dim=1), weight.flatten(1).norm(dim=1))


def only_per_point(loss: Replay) -> LossFn:
    """The same loss without its batched form, so the grid goes through vmap."""
    return lambda params: loss(params)


@pytest.mark.parametrize("method", ["batched", "vmap"])
def test_every_grid_point_equals_a_plain_torch_evaluation(method: str) -> None:
    loss, base = replay_loss(trace(MLP).graph)
    model, X, y = reference_mlp()
    fn = loss if method == "batched" else only_per_point(loss)
    landscape = random_landscape(fn, base, grid=9, span=1.5, seed=4)
    assert landscape.method == method
    generator = torch.Generator().manual_seed(4)
    first = filter_normalised(base, generator)
    second = filter_normalised(base, generator)
    for i, beta in enumerate(landscape.betas.tolist()):
        for j, alpha in enumerate(landscape.alphas.tolist()):
            params = {
                k.removeprefix("model."): base[k] + alpha * first[k] + beta * second[k]
                for k in base
            }
            expected = reference_loss(model, X, y, params)
            assert float(landscape.losses[i, j]) == pytest.approx(expected, abs=1e-5)
    assert landscape.losses[4, 4] == pytest.approx(landscape.center, abs=1e-6)


# layers the batched replay has no rules for (the landscape maps them with torch.func.vmap)
UNBATCHED = ("Conv2d", "Embedding", "LayerNorm", "GRUCell")


@pytest.mark.parametrize("case", WITH_MODULES, ids=[case.name for case in WITH_MODULES])
def test_batched_replay_equals_point_by_point_replay(case: Case) -> None:
    """Three parameter settings at once, against three separate replays (whose first setting,
    the traced weights, is itself checked against plain torch above)."""
    loss, base = replay_loss(trace(case.source).graph)
    torch.manual_seed(5)
    shifts = [0.0, 0.2, -0.5]
    settings = [{k: v + s * torch.randn_like(v) for k, v in base.items()} for s in shifts]
    stacked = {k: torch.stack([p[k] for p in settings]) for k in base}
    try:
        together = loss.batched(stacked)
    except Unbatchable:  # the landscape falls back to torch.func.vmap over the replay
        assert any(kind in case.source for kind in UNBATCHED)
        together = torch.func.vmap(lambda p: loss(p).reshape(()), randomness="same")(stacked)
    separately = torch.stack([loss(p).reshape(()) for p in settings])
    torch.testing.assert_close(together, separately, atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("case", WITH_MODULES, ids=[case.name for case in WITH_MODULES])
def test_the_replay_lets_each_value_go_after_its_last_reader(case: Case) -> None:
    """Each value the replay drops after an op is one that op reads and no later op does;
    every value an op reads, except the output's, is dropped after exactly one op."""
    graph = trace(case.source).graph
    try:
        replay, _ = replay_loss(graph)
    except ReplayError:
        return
    assert isinstance(replay, Replay)

    def ids(ref: object) -> set[str]:
        if isinstance(ref, tuple) and len(ref) == 2 and isinstance(ref[0], str):
            return {ref[0]}
        return set().union(*(ids(r) for r in ref)) if isinstance(ref, tuple) else set()

    ops = [n for n in graph.nodes if n.call is not None]
    reads = [set().union(*(ids(r) for r in n.call.refs)) for n in ops]  # type: ignore[union-attr]
    dropped: list[str] = []
    for position, node in enumerate(ops):
        for value in replay.last_read.get(node.id, ()):
            assert value in reads[position]
            assert all(value not in later for later in reads[position + 1 :])
            dropped.append(value)
    assert sorted(dropped) == sorted(set().union(*reads) - {replay.output})


LINEAR_IN_PARAMETERS = """
import torch
from torch import nn
torch.manual_seed(2)
lin = nn.Linear(3, 4)
X = torch.randn(5, 3)
w = lin.weight * 2.0 - 0.5
v = -w.t().reshape(12)
h = torch.tanh(X @ lin.weight.t() + lin.bias)
loss = h.sum() + (v * v).mean() + (lin.bias - 3 * lin.bias).sum() + (X @ w.t()).relu().mean()
"""


@pytest.mark.parametrize(
    "case",
    [*WITH_MODULES, Case("linear ops on parameters", LINEAR_IN_PARAMETERS, lambda: None)],  # type: ignore[arg-type]
    ids=[*(case.name for case in WITH_MODULES), "linear-ops-on-parameters"],
)
def test_affine_parameters_equal_point_by_point_replay(case: Case) -> None:
    """Parameters given symbolically as θ + a·d₁ + b·d₂ (kept symbolic through the linear ops,
    materialised at the first non-linear one) give each point's loss, as separate replays do."""
    loss, base = replay_loss(trace(case.source).graph)
    torch.manual_seed(6)
    first = {k: torch.randn_like(v) for k, v in base.items()}
    second = {k: torch.randn_like(v) for k, v in base.items()}
    a, b = torch.tensor([0.0, 0.3, -0.7, 1.1]), torch.tensor([0.0, -0.4, 0.2, 0.9])
    coeffs = torch.stack([torch.ones_like(a), a, b], dim=1)
    symbolic = {k: Affine([base[k], first[k], second[k]], coeffs) for k in base}
    try:
        together = loss.batched(symbolic)  # type: ignore[arg-type]
    except Unbatchable:
        assert any(kind in case.source for kind in UNBATCHED)
        return
    separately = torch.stack(
        [
            loss({k: base[k] + x * first[k] + y * second[k] for k in base}).reshape(())
            for x, y in zip(a.tolist(), b.tolist(), strict=True)
        ]
    )
    torch.testing.assert_close(together, separately, atol=1e-5, rtol=1e-5)


def test_the_first_layer_stays_symbolic_until_its_activation() -> None:
    """X·Wᵀ + b with a constant X is affine in the grid coordinates: one product per direction,
    not per point."""
    x = torch.randn(7, 3)
    coeffs = torch.tensor([[1.0, 0.5, -1.0], [1.0, 2.0, 0.25]])
    weight = Affine([torch.randn(4, 3), torch.randn(4, 3), torch.randn(4, 3)], coeffs)
    bias = Affine([torch.randn(4), torch.zeros(4), torch.zeros(4)], coeffs)
    transposed = affine_call("aten.t.default", [weight], {})
    out = affine_call("aten.addmm.default", [bias, x, transposed], {})
    assert isinstance(out, Affine)
    expected = torch.stack(
        [
            torch.addmm(
                sum(c * p for c, p in zip(row, bias.parts, strict=True)),
                x,
                sum(c * p for c, p in zip(row, weight.parts, strict=True)).t(),
            )
            for row in coeffs.tolist()
        ]
    )
    torch.testing.assert_close(out.tensor, expected)
    activated = affine_call("aten.tanh.default", [out], {})
    assert not isinstance(activated, Affine)
    torch.testing.assert_close(activated.tensor, expected.tanh())


def test_an_unbatchable_graph_falls_back_to_vmap() -> None:
    case = next(c for c in CASES if "Conv2d" in c.source)
    loss, base = replay_loss(trace(case.source).graph)
    landscape = random_landscape(loss, base, grid=3, span=0.5)
    assert landscape.method == "vmap"
    per_point = only_per_point(loss)
    assert_grid_equals(landscape, base, 0, lambda moved: float(per_point(moved)))


def test_an_op_without_a_batching_rule_falls_back_to_an_exact_loop() -> None:
    def loss(params: dict[str, torch.Tensor]) -> torch.Tensor:
        return torch.tensor(params["w"].sum().item() ** 2)  # .item() cannot be vmapped

    base = {"w": torch.tensor([1.0, 2.0])}
    first = {"w": torch.tensor([1.0, 0.0])}
    second = {"w": torch.tensor([0.0, 1.0])}
    steps = torch.tensor([-1.0, 0.0, 2.0])
    losses, method = evaluate_plane(loss, base, first, second, steps, steps)
    assert method == "loop"
    for i, b in enumerate(steps.tolist()):
        for j, a in enumerate(steps.tolist()):
            assert float(losses[i, j]) == pytest.approx((3.0 + a + b) ** 2)


def test_pca_plane_of_a_real_sgd_trajectory() -> None:
    loss, _ = replay_loss(trace(MLP).graph)
    model, X, y = reference_mlp()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    checkpoints = []
    for _ in range(12):
        checkpoints.append({f"model.{k}": v.detach().clone() for k, v in model.named_parameters()})
        optimizer.zero_grad()
        F.cross_entropy(model(X), y).backward()
        optimizer.step()
    landscape = pca_landscape(loss, checkpoints, grid=7)
    assert len(landscape.path) == 12
    assert landscape.path[-1] == pytest.approx((0.0, 0.0), abs=1e-6)  # the final weights
    final = checkpoints[-1]
    assert landscape.center == pytest.approx(
        reference_loss(model, X, y, {k.removeprefix("model."): v for k, v in final.items()}),
        abs=1e-6,
    )
    # the path lies inside the plotted window
    for a, b in landscape.path:
        assert float(landscape.alphas[0]) <= a <= float(landscape.alphas[-1])
        assert float(landscape.betas[0]) <= b <= float(landscape.betas[-1])
    # the first checkpoint's loss is higher than the last: training went downhill
    first_loss = reference_loss(
        model, X, y, {k.removeprefix("model."): v for k, v in checkpoints[0].items()}
    )
    assert first_loss > landscape.center


def test_landscape_arguments_are_checked() -> None:
    loss, base = replay_loss(trace(MLP).graph)
    with pytest.raises(ValueError, match="grid"):
        random_landscape(loss, base, grid=1)
    with pytest.raises(ValueError, match="span"):
        random_landscape(loss, base, span=0)
    with pytest.raises(ValueError, match="three checkpoints"):
        pca_landscape(loss, [base, base])


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gradviz", *args], capture_output=True, text=True, timeout=120
    )


def test_cli_landscape_json(tmp_path) -> None:  # type: ignore[no-untyped-def]
    program = tmp_path / "mlp.py"
    program.write_text(MLP)
    done = run_cli("landscape", str(program), "--grid", "5", "--span", "0.5", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["schema"] == "gradviz.landscape/1"
    assert data["alphas"] == pytest.approx(torch.linspace(-0.5, 0.5, 5).tolist())
    assert len(data["losses"]) == 5 and all(len(row) == 5 for row in data["losses"])
    model, X, y = reference_mlp()
    expected = F.cross_entropy(model(X), y).item()
    assert data["center_loss"] == pytest.approx(expected, abs=1e-6)
    assert data["losses"][2][2] == pytest.approx(expected, abs=1e-6)


def test_cli_landscape_errors_exit_2(tmp_path) -> None:  # type: ignore[no-untyped-def]
    program = tmp_path / "plain.py"
    program.write_text("x = 2.0\ny = x * x\n")
    done = run_cli("landscape", str(program), "--json")
    assert done.returncode == 2
    assert "no torch.nn parameters" in done.stderr
    done = run_cli("landscape", str(program))
    assert done.returncode == 2 and "--json" in done.stderr


def reference_surface_loss(alpha: torch.Tensor, beta: torch.Tensor) -> torch.Tensor:
    """The landscape of MLP written in plain torch: functional_call at θ + α·d₁ + β·d₂."""
    model, X, y = reference_mlp()
    base = {f"model.{k}": v.detach() for k, v in model.named_parameters()}
    generator = torch.Generator().manual_seed(0)
    first, second = filter_normalised(base, generator), filter_normalised(base, generator)
    params = {k.removeprefix("model."): base[k] + alpha * first[k] + beta * second[k] for k in base}
    return F.cross_entropy(functional_call(model, params, (X,)), y)


def test_network_surface_values_and_gradients_match_plain_torch() -> None:
    surface = network_surface(MLP)
    xs = torch.tensor([[-0.9, 0.0, 0.4]])
    ys = torch.tensor([[0.3], [-0.6]])
    with torch.no_grad():
        grid = surface(xs, ys)
    assert grid.shape == (2, 3)
    for i, b in enumerate(ys.flatten().tolist()):
        for j, a in enumerate(xs.flatten().tolist()):
            expected = reference_surface_loss(torch.tensor(a), torch.tensor(b)).item()
            assert float(grid[i, j]) == pytest.approx(expected, abs=1e-5)
    at = torch.tensor([[0.25, -0.4], [-0.5, 0.1]], requires_grad=True)
    surface(at[:, 0], at[:, 1]).sum().backward()
    for row, (a, b) in enumerate(at.detach().tolist()):
        alpha = torch.tensor(a, requires_grad=True)
        beta = torch.tensor(b, requires_grad=True)
        reference_surface_loss(alpha, beta).backward()
        assert at.grad is not None
        assert at.grad[row].tolist() == pytest.approx(
            [float(alpha.grad), float(beta.grad)], abs=1e-5
        )  # type: ignore[arg-type]


def test_adam_on_the_network_surface_equals_a_plain_torch_optim_loop() -> None:
    surface = network_surface(MLP)
    start = (-0.7, 0.6)
    positions, losses, _ = optimize_batch(
        surface, parse_spec("adam:lr=0.05"), torch.tensor([start]), 25
    )
    point = torch.tensor(start, requires_grad=True)
    optimizer = torch.optim.Adam([point], lr=0.05)
    for step in range(25):
        optimizer.zero_grad()
        loss = reference_surface_loss(point[0], point[1])
        assert float(losses[step, 0]) == pytest.approx(loss.item(), abs=1e-5)
        loss.backward()
        optimizer.step()
        torch.testing.assert_close(positions[step + 1, 0], point.detach(), atol=1e-5, rtol=1e-5)


def test_network_surface_refuses_a_program_without_a_network() -> None:
    with pytest.raises(ReplayError):
        network_surface("x = 2.0\ny = x * x")


@pytest.mark.parametrize("options", ["", ", ignore_index=1", ", reduction='sum'"])
def test_batched_cross_entropy_equals_point_by_point(options: str) -> None:
    """The batched cross-entropy (logsumexp minus the target's logit, without the whole
    log-softmax) against separate replays, with ignored targets and summed losses too."""
    source = f"""
import torch
import torch.nn.functional as F
from torch import nn
torch.manual_seed(1)
model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 3))
X = torch.randn(20, 2)
y = torch.randint(0, 3, (20,))
loss = F.cross_entropy(model(X), y{options})
"""
    loss, base = replay_loss(trace(source).graph)
    torch.manual_seed(5)
    settings = [{k: v + s * torch.randn_like(v) for k, v in base.items()} for s in (0, 0.3, -0.6)]
    together = loss.batched({k: torch.stack([p[k] for p in settings]) for k in base})
    separately = torch.stack([loss(p).reshape(()) for p in settings])
    torch.testing.assert_close(together, separately, atol=1e-6, rtol=1e-5)
