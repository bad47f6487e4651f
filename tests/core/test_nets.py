"""The network builder's core: datasets, program ↔ spec, training — against plain PyTorch."""

from __future__ import annotations

import copy
import math
import re
from pathlib import Path

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from gradviz.autograd.tracer import trace
from gradviz.lang.interpreter import Interpreter
from gradviz.lang.parser import parse
from gradviz.nets.codegen import program
from gradviz.nets.csv_data import CsvError, parse_csv
from gradviz.nets.read_back import NotBuilderForm, read_back
from gradviz.nets.spec import (
    ACTIVATIONS,
    CLASSIFICATION,
    FEATURES,
    REGRESSION,
    Data,
    Layer,
    NetworkSpec,
    NetworkSpecError,
)
from gradviz.nets.trainer import Trainer
from gradviz.optim.registry import parse_spec

# -- the datasets, written again in plain torch --


def reference_data(name: str, n: int, noise: float) -> tuple[torch.Tensor, ...]:
    """x, y, target as the generated program makes them, after torch.manual_seed."""
    half = n // 2
    ones = torch.cat([torch.ones(half), torch.zeros(n - half)])
    if name == "circles":
        angle = torch.rand(n) * 2 * math.pi
        radius = torch.cat([torch.rand(half) * 0.5, 0.7 + torch.rand(n - half) * 0.3])
        x = radius * torch.cos(angle) + noise * torch.randn(n)
        y = radius * torch.sin(angle) + noise * torch.randn(n)
        target = ones
    elif name == "xor":
        x, y = torch.rand(n) * 2 - 1, torch.rand(n) * 2 - 1
        target = (x * y > 0).float()
        x, y = x + noise * torch.randn(n), y + noise * torch.randn(n)
    elif name == "gaussians":
        target = ones
        x = target - 0.5 + (0.25 + noise) * torch.randn(n)
        y = target - 0.5 + (0.25 + noise) * torch.randn(n)
    elif name == "spiral":
        target = ones
        r = torch.cat([torch.arange(half), torch.arange(n - half)]) / half
        theta = 3.5 * math.pi * r + math.pi * target
        x = r * torch.sin(theta) + 0.3 * noise * torch.randn(n)
        y = r * torch.cos(theta) + 0.3 * noise * torch.randn(n)
    elif name == "moons":
        target = ones
        t = torch.rand(n) * math.pi
        x = torch.where(target > 0, torch.cos(t), 1 - torch.cos(t)) - 0.5 + noise * torch.randn(n)
        y = torch.where(target > 0, torch.sin(t), 0.5 - torch.sin(t)) - 0.25
        y = y + noise * torch.randn(n)
    elif name == "plane":
        x, y = torch.rand(n) * 2 - 1, torch.rand(n) * 2 - 1
        target = 0.6 * x - 0.8 * y + noise * torch.randn(n)
    else:
        x, y = torch.rand(n) * 2 - 1, torch.rand(n) * 2 - 1
        target = torch.sin(3 * x) * torch.cos(2 * y) + noise * torch.randn(n)
    order = torch.randperm(n)
    return x[order], y[order], target[order]


def run_env(spec: NetworkSpec, steps: int = 0) -> dict[str, object]:
    return Interpreter(parse(program(spec, steps))).run().env


@pytest.mark.parametrize("name", CLASSIFICATION + REGRESSION)
def test_each_dataset_is_what_plain_torch_makes(name: str) -> None:
    loss = "mse" if name in REGRESSION else "bce"
    spec = NetworkSpec(data=Data(name, samples=90, noise=0.15), loss=loss, seed=7)
    env = run_env(spec)
    torch.manual_seed(7)
    x, y, target = reference_data(name, 90, 0.15)
    for got, expected in zip((env["x"], env["y"], env["target"]), (x, y, target), strict=True):
        assert isinstance(got, torch.Tensor)
        torch.testing.assert_close(got, expected)
    if name in CLASSIFICATION:
        assert set(target.tolist()) == {0.0, 1.0}
        assert 0.3 < float(target.mean()) < 0.7  # both classes, roughly balanced


def test_features_split_and_labels() -> None:
    spec = NetworkSpec(
        data=Data("xor", samples=50, test_fraction=0.3), features=tuple(FEATURES), seed=3
    )
    env = run_env(spec)
    x, y = env["x"], env["y"]
    assert isinstance(x, torch.Tensor) and isinstance(y, torch.Tensor)
    expected = torch.stack([x, y, x * x, y * y, x * y, torch.sin(x), torch.sin(y)], dim=1)
    X = torch.cat([env["X_test"], env["X_train"]])  # type: ignore[list-item]
    torch.testing.assert_close(X, expected)
    assert len(env["X_test"]) == 15 and len(env["X_train"]) == 35  # type: ignore[arg-type]
    assert env["y_train"].shape == (35, 1)  # type: ignore[union-attr]
    assert not X.requires_grad  # the data are inputs: no gradient flows into them


# -- program ↔ spec --

OPTIMIZERS = [
    "sgd:lr=0.1",
    "momentum:lr=0.05",
    "nesterov",
    "adam:lr=0.01,beta1=0.8",
    "adamw",
    "rmsprop:alpha=0.9",
    "adagrad",
    "radam",
    "nadam",
]


def specs() -> st.SearchStrategy[NetworkSpec]:
    layer = st.builds(Layer, st.integers(1, 64), st.sampled_from(sorted(ACTIVATIONS)))
    classification = st.builds(
        Data,
        st.sampled_from(CLASSIFICATION),
        st.integers(10, 400),
        st.sampled_from([0.0, 0.05, 0.25]),
        st.sampled_from([0.0, 0.2, 0.5]),
    )
    return st.builds(
        NetworkSpec,
        data=classification,
        features=st.lists(st.sampled_from(list(FEATURES)), min_size=1, max_size=7, unique=True).map(
            tuple
        ),
        layers=st.lists(layer, max_size=4).map(tuple),
        dropout=st.sampled_from([0.0, 0.1, 0.5]),
        loss=st.sampled_from(["bce", "cross_entropy"]),
        optimizer=st.sampled_from(OPTIMIZERS),
        weight_decay=st.sampled_from([0.0, 1e-4, 0.01]),
        batch_size=st.integers(1, 64),
        seed=st.integers(0, 1000),
    )


def same(a: NetworkSpec, b: NetworkSpec) -> bool:
    """Equal, up to how the optimizer is written (and dropout where no hidden layer has it)."""
    plain_a, plain_b = (
        s.with_(optimizer="", dropout=s.dropout if s.layers else 0.0) for s in (a, b)
    )
    return plain_a == plain_b and (
        parse_spec(a.optimizer).params() == parse_spec(b.optimizer).params()
    )


@settings(max_examples=60, deadline=None)
@given(specs())
def test_builder_code_builder_round_trip(spec: NetworkSpec) -> None:
    assert same(read_back(program(spec)), spec), program(spec)


def test_round_trip_of_regression_and_csv() -> None:
    rows = tuple((i / 10, -i / 20, float(i % 2)) for i in range(12))
    for spec in (
        NetworkSpec(data=Data("sine", 120, 0.05), loss="mse", layers=(Layer(16, "gelu"),)),
        NetworkSpec(data=Data("csv", csv_rows=rows), device="cpu", batch_size=4),
    ):
        assert same(read_back(program(spec)), spec)


def test_an_edit_in_the_editor_comes_back_to_the_builder() -> None:
    source = program(NetworkSpec())
    edited = source.replace("nn.Linear(8, 8), nn.Tanh()", "nn.Linear(8, 8), nn.ReLU()")
    edited = edited.replace("lr=0.03", "lr=0.1").replace("batch_size = 16", "batch_size = 32")
    spec = read_back(edited)
    assert spec.layers == (Layer(8, "tanh"), Layer(8, "relu"))
    assert parse_spec(spec.optimizer).params()["lr"] == 0.1
    assert spec.batch_size == 32


def test_a_model_class_is_not_the_builders_form_and_says_so() -> None:
    from gradviz.resources import examples

    source = next(e.source for e in examples() if "module_class" in e.name)
    with pytest.raises(NotBuilderForm, match=r"class of its own \(TwoLayerNet\)") as caught:
        read_back(source)
    assert re.match(r"line 9, col 1: ", str(caught.value))


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("nn.Linear(8, 8), nn.Tanh(),\n", "nn.Linear(8, 16), nn.Tanh(),\n", "takes 8 inputs"),
        ("nn.Linear(8, 1)", "nn.Linear(8, 1), nn.Sigmoid()", "no activation after it"),
        ("nn.BCEWithLogitsLoss()", "nn.HuberLoss()", "no loss HuberLoss"),
        ("nn.Tanh(),\n    nn.Linear(8, 1)", "nn.Conv1d(1, 1, 1),\n    nn.Linear(8, 1)", "Conv1d"),
        ("torch.stack([x, y]", "torch.stack([x, y * 3]", "no input feature y * 3"),
        ("model = nn.Sequential(", "net = nn.Sequential(", "no `model = ...`"),
    ],
)
def test_a_program_the_builder_cannot_show_says_where(old: str, new: str, message: str) -> None:
    source = program(NetworkSpec())
    assert old in source
    with pytest.raises(NotBuilderForm, match=re.escape(message)) as caught:
        read_back(source.replace(old, new, 1))
    if "model = ..." not in message:
        assert re.match(r"line \d+, col \d+: ", str(caught.value))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"layers": (Layer(0),)}, "width"),
        ({"layers": (Layer(8, "swish"),)}, "activation"),
        ({"layers": tuple(Layer(4) for _ in range(9))}, "at most 8"),
        ({"dropout": 1.0}, "dropout"),
        ({"batch_size": 0}, "batch size"),
        ({"features": ()}, "feature"),
        ({"optimizer": "lbfgs"}, "closure"),
        ({"optimizer": "adam:weight_decay=0.1"}, "own field"),
        ({"optimizer": "rprop", "weight_decay": 0.1}, "no weight decay"),
        ({"optimizer": "adam:lr=x"}, "lr"),
        ({"data": Data("circles", samples=10**7)}, "samples"),
        ({"data": Data("sine")}, "MSE"),
        ({"data": Data("csv")}, "CSV"),
    ],
)
def test_absurd_settings_get_clear_errors(changes: dict[str, object], message: str) -> None:
    with pytest.raises(NetworkSpecError, match=message):
        NetworkSpec().with_(**changes).check()


# -- training --


def plain_loop(
    spec: NetworkSpec, steps: int, grad_norms: dict[str, list[float]] | None = None
) -> tuple[nn.Module, list[float]]:
    """The same training written as one plain PyTorch script (each Linear's weight gradient
    norm per step into `grad_norms`, given one)."""
    torch.manual_seed(spec.seed)
    x, y, target = reference_data(spec.data.name, spec.data.samples, spec.data.noise)
    features = torch.stack([x, y, x * y], dim=1)
    labels = target.unsqueeze(1)
    n_test = int(spec.data.samples * spec.data.test_fraction)
    X_train, y_train = features[n_test:], labels[n_test:]
    model = nn.Sequential(
        nn.Linear(3, 6),
        nn.ReLU(),
        nn.Dropout(0.2),
        nn.Linear(6, 5),
        nn.Tanh(),
        nn.Dropout(0.2),
        nn.Linear(5, 1),
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02, weight_decay=1e-3)
    loss_fn = nn.BCEWithLogitsLoss()
    losses = []
    for step in range(steps):
        start = step * spec.batch_size % len(X_train)
        optimizer.zero_grad()
        loss = loss_fn(
            model(X_train[start : start + spec.batch_size]),
            y_train[start : start + spec.batch_size],
        )
        loss.backward()
        if grad_norms is not None:
            for index in (0, 3, 6):
                weight = model[index].weight
                assert weight.grad is not None
                grad_norms.setdefault(f"model.{index}", []).append(weight.grad.norm().item())
        optimizer.step()
        losses.append(loss.item())
    return model, losses


TRAINED = NetworkSpec(
    data=Data("moons", samples=120, noise=0.1, test_fraction=0.25),
    features=("x", "y", "xy"),
    layers=(Layer(6, "relu"), Layer(5, "tanh")),
    dropout=0.2,
    optimizer="adam:lr=0.02",
    weight_decay=1e-3,
    batch_size=10,
    seed=11,
)


def test_training_equals_a_plain_pytorch_loop_step_by_step() -> None:
    trainer = Trainer(TRAINED)
    _, expected = plain_loop(TRAINED, 23)
    for _ in range(3):  # in uneven chunks, as the Play button runs it
        trainer.step(5)
    trainer.step(8)
    assert trainer.metrics.batch_loss == pytest.approx(expected, abs=1e-6)
    reference, _ = plain_loop(TRAINED, 23)
    for (name, ours), (_, theirs) in zip(
        trainer.model.named_parameters(), reference.named_parameters(), strict=True
    ):
        torch.testing.assert_close(ours, theirs, msg=name)


def test_training_equals_the_program_run_with_more_steps() -> None:
    trainer = Trainer(TRAINED)
    trainer.step(17)
    model = run_env(TRAINED, steps=17)["model"]
    assert isinstance(model, nn.Module)
    for ours, theirs in zip(trainer.model.parameters(), model.parameters(), strict=True):
        torch.testing.assert_close(ours, theirs)


def trained_reference(steps: int) -> tuple[nn.Module, torch.Tensor, torch.Tensor]:
    """A plain loop's TRAINED model after `steps` steps, in eval mode, with the data's
    features (x, y, xy) and targets, test points first."""
    reference, _ = plain_loop(TRAINED, steps)
    torch.manual_seed(TRAINED.seed)
    x, y, target = reference_data("moons", 120, 0.1)
    return reference.eval(), torch.stack([x, y, x * y], dim=1), target


def test_evaluation_gradient_norms_and_the_decision_grid() -> None:
    trainer = Trainer(TRAINED)
    trainer.step(30)
    trainer.evaluate()
    reference, features, target = trained_reference(30)
    with torch.no_grad():
        out = reference(features[30:])
        train_loss = nn.functional.binary_cross_entropy_with_logits(out, target[30:, None])
        accuracy = ((out[:, 0] > 0).float() == target[30:]).float().mean()
    assert trainer.metrics.train_loss[-1] == pytest.approx(train_loss.item(), abs=1e-6)
    assert trainer.metrics.train_accuracy[-1] == pytest.approx(accuracy.item())
    assert set(trainer.metrics.grad_norms) == {"model.0", "model.3", "model.6"}
    assert all(len(v) == 30 for v in trainer.metrics.grad_norms.values())
    grid, (x0, x1, y0, y1) = trainer.predict_grid(8)
    xs, ys = torch.linspace(x0, x1, 8), torch.linspace(y0, y1, 8)
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")
    gx, gy = gx.reshape(-1), gy.reshape(-1)
    with torch.no_grad():
        expected = reference(torch.stack([gx, gy, gx * gy], dim=1)).sigmoid().reshape(8, 8)
    torch.testing.assert_close(grid, expected)
    thumbnails = trainer.neuron_grids(5)
    assert {k: tuple(v.shape) for k, v in thumbnails.items()} == {
        "model.0": (6, 5, 5),
        "model.3": (5, 5, 5),
    }


def test_a_wide_view_gets_a_wide_picture_to_one_scale() -> None:
    """A view 1.6 times as wide as tall (a colour bar beside a square plot leaves one): the
    window is centred on the data, has the view's shape, keeps the margin (0.15 of the wider
    span) around the data, and is no bigger than that needs (two moons are wide, so it grows
    along x only a little); the grid is the network's output at those points, on square
    cells; a tall view grows along y instead, and a square one is the square of old."""
    trainer = Trainer(TRAINED)
    low, high = trainer.points.min(0).values.tolist(), trainer.points.max(0).values.tolist()
    pad = 0.15 * max(high[0] - low[0], high[1] - low[1])
    x0, x1, y0, y1 = trainer.extent(aspect=1.6)
    assert x1 - x0 == pytest.approx(1.6 * (y1 - y0))
    assert (x0 + x1) / 2 == pytest.approx((low[0] + high[0]) / 2)
    assert (y0 + y1) / 2 == pytest.approx((low[1] + high[1]) / 2)
    assert x0 <= low[0] - pad + 1e-6 and x1 >= high[0] + pad - 1e-6
    assert y1 - y0 == pytest.approx(high[1] - low[1] + 2 * pad)  # the tight side
    grid, extent = trainer.predict_grid(10, aspect=1.6)
    assert extent == (x0, x1, y0, y1) and tuple(grid.shape) == (10, 16)
    gy, gx = torch.meshgrid(torch.linspace(y0, y1, 10), torch.linspace(x0, x1, 16), indexing="ij")
    gx, gy = gx.reshape(-1), gy.reshape(-1)
    reference = copy.deepcopy(trainer.model).eval()
    with torch.no_grad():
        expected = reference(torch.stack([gx, gy, gx * gy], dim=1)).sigmoid().reshape(10, 16)
    torch.testing.assert_close(grid, expected)
    tx0, tx1, ty0, ty1 = trainer.extent(aspect=0.5)
    assert tx1 - tx0 == pytest.approx(high[0] - low[0] + 2 * pad)
    assert ty1 - ty0 == pytest.approx(2 * (tx1 - tx0))
    assert trainer.extent(aspect=100.0) == trainer.extent(aspect=4.0)  # at most 4 to 1


def test_the_pictures_cover_a_square_around_all_the_data() -> None:
    """Two moons are twice as wide as tall: the window is a square (one scale on both axes)
    holding every point with a margin, centred on the data."""
    trainer = Trainer(TRAINED)
    x0, x1, y0, y1 = trainer.extent()
    assert x1 - x0 == pytest.approx(y1 - y0)
    low, high = trainer.points.min(0).values, trainer.points.max(0).values
    assert x0 < float(low[0]) and float(high[0]) < x1
    assert y0 < float(low[1]) and float(high[1]) < y1
    assert (x0 + x1) / 2 == pytest.approx(float(low[0] + high[0]) / 2)
    assert (y0 + y1) / 2 == pytest.approx(float(low[1] + high[1]) / 2)
    wider = float((high - low).max())
    assert x1 - x0 == pytest.approx(wider * 1.3)
    trainer.points = torch.zeros_like(trainer.points)  # every point at one spot: still a plane
    assert trainer.extent() == (-1.0, 1.0, -1.0, 1.0)


def test_the_graph_of_one_training_step() -> None:
    graph = trace(program(TRAINED)).graph
    params = {n.param_path for n in graph.nodes if n.kind == "param"}
    assert params == {f"model.{i}.{p}" for i in (0, 3, 6) for p in ("weight", "bias")}
    assert not any(n.name in ("noise", "test_fraction") for n in graph.nodes)


# -- CSV --


def test_csv_with_a_header() -> None:
    text = "x,y,label\n" + "".join(f"{i / 10},{-i},{i % 2}\n" for i in range(12))
    rows = parse_csv(text)
    assert len(rows) == 12 and rows[3] == (0.3, -3.0, 1.0)


def test_a_csv_saved_by_a_spreadsheet_with_a_byte_order_mark(tmp_path: Path) -> None:
    """Excel's "CSV UTF-8" starts with a BOM: the first number was unreadable."""
    from gradviz.nets.csv_data import read_csv

    path = tmp_path / "data.csv"
    path.write_bytes(("\ufeff" + "".join(f"{i},{-i},{i % 2}\n" for i in range(12))).encode())
    rows = read_csv(path)
    assert len(rows) == 12 and rows[0] == (0.0, 0.0, 0.0) and rows[5] == (5.0, -5.0, 1.0)


def test_a_csv_from_a_spreadsheet_with_a_decimal_comma() -> None:
    """German or French Excel separates columns by semicolons, as the comma is the decimal mark
    there (tab-separated text the same): every line read "found 1 columns"."""
    rows = [(i / 4, -i * 1.5, i % 2) for i in range(12)]
    for separator in (";", "\t"):
        text = "x;y;Klasse\n".replace(";", separator) + "".join(
            separator.join(f"{v:g}".replace(".", ",") for v in row) + "\n" for row in rows
        )
        assert parse_csv(text) == tuple((float(a), float(b), float(c)) for a, b, c in rows)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1,2,3\n" * 5 + "1,abc,0\n" + "1,2,3\n" * 5, "line 6, column 2: 'abc' is not a number"),
        ("1;2;3\n" * 5 + "1;2\n", "line 6: expected 3 columns .* separated by semicolons"),
        ("1,2,3\n", "only 1 row;"),
        ("1,2,3\n" * 5 + "1,2\n", "line 6: expected 3 columns"),
        ("1,2,3\n" * 3, "only 3 rows"),
        ("1,2,3\n" * 1001, "more than 1000 rows"),
        ("1,2,3\n" * 10 + "1,inf,0\n", "not a finite number"),
        ("1,2,3\n" * 100_000, "larger than"),
    ],
)
def test_bad_csv_files_get_clear_errors(text: str, message: str) -> None:
    with pytest.raises(CsvError, match=message):
        parse_csv(text)


def test_neuron_thumbnails_are_each_hidden_units_output_over_the_plane() -> None:
    """What the Neurons view shows, against forward hooks on the activations in a plain
    forward pass of the same model."""
    spec = NetworkSpec(
        data=Data("xor", samples=60), features=("x", "y", "xy"),
        layers=(Layer(6, "tanh"), Layer(5, "relu")), dropout=0.2, seed=3,
    )  # fmt: skip
    trainer = Trainer(spec)
    trainer.step(5)
    thumbnails = trainer.neuron_grids(7)
    x0, x1, y0, y1 = trainer.extent()
    gy, gx = torch.meshgrid(torch.linspace(y0, y1, 7), torch.linspace(x0, x1, 7), indexing="ij")
    gx, gy = gx.reshape(-1), gy.reshape(-1)
    seen: dict[str, torch.Tensor] = {}
    modules = dict(trainer.model.named_children())
    hooks = [
        modules[name].register_forward_hook(
            lambda _m, _i, out, name=name: seen.__setitem__(name, out.detach())
        )
        for name, module in modules.items()
        if isinstance(module, (nn.Tanh, nn.ReLU))
    ]
    trainer.model.eval()
    with torch.no_grad():
        trainer.model(torch.stack([gx, gy, gx * gy], dim=1))
    trainer.model.train()
    for hook in hooks:
        hook.remove()
    activations = [seen[name] for name in sorted(seen, key=int)]
    assert list(thumbnails) == ["model.0", "model.3"]  # each Linear whose units are shown
    for grid, out in zip(thumbnails.values(), activations, strict=True):
        torch.testing.assert_close(grid, out.T.reshape(-1, 7, 7))


def test_dead_units_are_those_that_output_zero_for_every_training_point() -> None:
    """Two ReLU units killed by a large negative bias, one Tanh unit that can never be dead:
    the flags equal a plain computation of each layer's activations on the training set."""
    spec = NetworkSpec(
        data=Data("circles", samples=80), layers=(Layer(6, "relu"), Layer(4, "relu")), seed=2
    )
    trainer = Trainer(spec)
    first, second = trainer.model[0], trainer.model[2]
    assert isinstance(first, nn.Linear) and isinstance(second, nn.Linear)
    with torch.no_grad():
        first.bias[1] = -100.0
        first.bias[4] = -100.0
    dead = trainer.dead_units()
    X = trainer.X_train
    with torch.no_grad():
        h1 = torch.relu(X @ first.weight.T + first.bias)
        h2 = torch.relu(h1 @ second.weight.T + second.bias)
    assert list(dead) == ["model.0", "model.2"]
    assert dead["model.0"].tolist() == (h1 == 0).all(0).tolist()
    assert dead["model.0"].tolist()[1] and dead["model.0"].tolist()[4]
    assert sum(dead["model.0"].tolist()) == int((h1.abs().max(0).values == 0).sum())
    assert dead["model.2"].tolist() == (h2 == 0).all(0).tolist()
    tanh = Trainer(NetworkSpec(data=Data("circles", samples=80), layers=(Layer(3, "tanh"),)))
    assert tanh.dead_units()["model.0"].tolist() == [False, False, False]
