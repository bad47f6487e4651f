"""The GPU paths of the optimizer lab and the network tools against the same work on the CPU
(skipped without CUDA): surfaces, batched trajectories, basin maps, training, landscapes."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from gradviz.autograd.tracer import trace
from gradviz.lang.interpreter import run_program
from gradviz.lang.parser import parse
from gradviz.nets.landscape import random_landscape
from gradviz.nets.replay import replay_loss
from gradviz.nets.spec import Data, Layer, NetworkSpec
from gradviz.nets.trainer import Trainer, state_of
from gradviz.optim.basins import basin_map
from gradviz.optim.custom import typed_surface
from gradviz.optim.graphed import optimize_final, replay_checked
from gradviz.optim.grid import evaluate_grid
from gradviz.optim.registry import parse_spec
from gradviz.optim.surfaces import get_surface
from gradviz.optim.trajectories import optimize_batch
from tests.core.landscape_grid import assert_grid_equals

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA"),
]

MLP = """
import torch
import torch.nn.functional as F
from torch import nn
torch.manual_seed(3)
model = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 2))
X = torch.randn(200, 2)
y = (X[:, 0] * X[:, 1] > 0).long()
loss = F.cross_entropy(model(X), y)
"""


@pytest.mark.parametrize("name", ["rosenbrock", "himmelblau", "ackley", "rastrigin", "beale"])
def test_surface_grids_on_the_gpu_equal_the_cpu(name: str) -> None:
    surface = get_surface(name)
    cpu = evaluate_grid(surface, None, 129, "cpu")
    gpu = evaluate_grid(surface, None, 129, "cuda")
    assert gpu.values.device.type == "cuda"
    torch.testing.assert_close(gpu.values.cpu(), cpu.values, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("text", ["sgd:lr=0.001", "adam:lr=0.05", "rmsprop:lr=0.01", "lbfgs"])
def test_trajectories_on_the_gpu_follow_the_cpu(text: str) -> None:
    surface = get_surface("himmelblau")
    spec = parse_spec(text)
    starts = torch.tensor([[0.5, 0.5], [-1.0, 2.0], [3.5, -3.0], [-2.0, -2.0]])
    cpu, _, cpu_div = optimize_batch(surface, spec, starts, 40)
    gpu, _, gpu_div = optimize_batch(surface, spec, starts.cuda(), 40)
    assert gpu.device.type == "cuda"
    torch.testing.assert_close(gpu.cpu(), cpu, rtol=1e-3, atol=1e-3)
    assert gpu_div.cpu().tolist() == cpu_div.tolist()


def test_a_basin_map_on_the_gpu_agrees_with_the_cpu() -> None:
    surface = get_surface("himmelblau")
    spec = parse_spec("adam:lr=0.05")
    cpu = basin_map(surface, spec, 48, 300, device="cpu")
    gpu = basin_map(surface, spec, 48, 300, device="cuda")
    assert gpu.method == "cuda graph"
    same = (gpu.labels.cpu() == cpu.labels).float().mean().item()
    assert same > 0.99  # starts on a ridge may round either way


@pytest.mark.parametrize(
    "text", ["sgd:lr=0.002", "momentum:lr=0.001", "adam:lr=0.05", "rmsprop:lr=0.01"]
)
def test_replayed_cuda_graph_steps_follow_eager_steps_on_the_gpu(text: str) -> None:
    """The captured step replayed 197 times (after 3 eager ones) against 200 eager steps on
    the same GPU: the same divergence steps, the same end points (capturable optimizers do
    their scalar arithmetic on the device, so they may round differently)."""
    surface = get_surface("rosenbrock")
    spec = parse_spec(text)
    xs = torch.linspace(-1.8, 1.8, 16, device="cuda")
    grid_y, grid_x = torch.meshgrid(xs, xs + 1.0, indexing="ij")
    starts = torch.stack([grid_x.reshape(-1), grid_y.reshape(-1)], dim=1)
    assert replay_checked(spec, starts.device)
    final, diverged, method = optimize_final(surface, spec, starts, 200)
    assert method == "cuda graph"
    eager_final, eager_diverged, eager_method = optimize_final(
        surface, spec, starts, 200, capture=False
    )
    assert eager_method == "eager"
    positions, _, expected = optimize_batch(surface, spec, starts, 200, record=False)
    assert eager_diverged.tolist() == expected.tolist()
    torch.testing.assert_close(eager_final, positions, equal_nan=True, atol=0, rtol=0)
    agree = (diverged == expected).float().mean().item()
    assert agree > 0.98
    kept = (diverged < 0) & (expected < 0)
    torch.testing.assert_close(final[0][kept], positions[0][kept], atol=1e-3, rtol=1e-3)


def test_radam_steps_eagerly_where_its_captured_step_rounds_otherwise() -> None:
    """Capturable RAdam works out its rectification in float32 on the device (ρ₆ = 6.0005, in
    float64 5.9942: a step 0.2 % longer), so on an H200 with torch 2.11 its replayed steps left
    the eager ones by more than 1e-4 and the check refused the capture. Whichever the check
    decides, the method says so, and eager stepping gives exactly the plain loop's points."""
    surface, spec = get_surface("rosenbrock"), parse_spec("radam:lr=0.05")
    xs = torch.linspace(-1.8, 1.8, 16, device="cuda")
    starts = torch.stack(torch.meshgrid(xs, xs + 1.0, indexing="xy"), dim=-1).reshape(-1, 2)
    final, diverged, method = optimize_final(surface, spec, starts, 200)
    assert method == ("cuda graph" if replay_checked(spec, starts.device) else "eager")
    positions, _, expected = optimize_batch(surface, spec, starts, 200, record=False)
    if method == "eager":
        torch.testing.assert_close(final, positions, equal_nan=True, atol=0, rtol=0)
        assert diverged.tolist() == expected.tolist()
    else:
        assert (diverged == expected).float().mean().item() > 0.98


DATA_ON_THE_GPU = """
import torch
from torch.utils.data import DataLoader, TensorDataset, random_split
torch.manual_seed(0)
X = torch.normal(0, 1, (40, 2))
ids = torch.arange(40.0)
train, test = random_split(TensorDataset(X, ids), [30, 10])
seen = []
for xb, ib in DataLoader(train, batch_size=8, shuffle=True):
    seen.append(ib)
order = torch.cat(seen)
items = []
for i in range(len(test)):
    items.append(test[i][1])
held = torch.stack(items)
loss = (X ** 2).sum()
"""


def test_shuffled_batches_random_splits_and_normal_draws_run_on_the_gpu() -> None:
    """Under CUDA, torch's CPU generator broke DataLoader(shuffle=True) and random_split, and
    torch.normal(0, 1, size) made a CPU tensor: each now lands on the GPU, every sample once."""
    env = trace(DATA_ON_THE_GPU, device="cuda").run.env
    assert env["X"].device.type == "cuda" and env["order"].device.type == "cuda"
    both = torch.cat([env["order"], env["held"]]).cpu()
    assert sorted(both.tolist()) == list(range(40))  # a permutation: nothing lost or repeated
    again = trace(DATA_ON_THE_GPU, device="cuda").run.env
    assert torch.equal(again["order"], env["order"])  # torch.manual_seed makes it repeatable
    assert env["order"].tolist() != [float(i) for i in env["train"].indices]  # shuffled


COURSE_CODE = sorted((Path(__file__).parent / "course_code").glob("*.py"))


@pytest.mark.parametrize("path", COURSE_CODE, ids=lambda p: p.stem)
def test_course_code_runs_on_the_gpu_as_on_the_cpu(path: Path) -> None:
    """PyTorch's tutorials and Karpathy's lectures as written, on the GPU: they run, print as
    often as on the CPU, and the tensors they keep are on the GPU unless the program pins the
    CPU (makemore's torch.Generator() and d2l's torch.normal(0, 1, size) failed there)."""
    source = path.read_text(encoding="utf-8")
    cpu = run_program(parse(source))
    gpu = run_program(parse(source), device="cuda")
    assert len(gpu.printed) == len(cpu.printed)  # one entry a print call
    kept = [v for v in gpu.env.values() if isinstance(v, torch.Tensor) and v.is_floating_point()]
    pinned = 'torch.device("cpu")' in source
    assert kept and all(t.device.type == ("cpu" if pinned else "cuda") for t in kept)


def test_a_typed_function_on_the_gpu_is_captured_or_stepped_eagerly() -> None:
    surface = typed_surface("(1 - x)**2 + 100*(y - x**2)**2", (-2.0, 2.0, -1.0, 3.0))
    spec = parse_spec("adam:lr=0.05")
    starts = torch.tensor([[-1.5, 2.0], [0.5, 0.5]], device="cuda")
    final, diverged, method = optimize_final(surface, spec, starts, 50)
    assert method in ("cuda graph", "eager")
    positions, _, expected = optimize_batch(surface, spec, starts, 50, record=False)
    assert diverged.tolist() == expected.tolist()
    torch.testing.assert_close(final, positions, atol=1e-3, rtol=1e-3)


def test_training_on_the_gpu_follows_a_plain_loop_there() -> None:
    """On CUDA the program draws its data and weights from CUDA's generator, so the run is
    checked against a plain PyTorch loop over the same GPU data from the same weights."""
    spec = NetworkSpec(
        data=Data("moons", samples=120, noise=0.1), layers=(Layer(8, "tanh"),), seed=4,
        device="cuda",
    )  # fmt: skip
    trainer = Trainer(spec)
    assert next(trainer.model.parameters()).device.type == "cuda"
    model = copy.deepcopy(trainer.model)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.03)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    X, y = trainer.X_train, trainer.y_train
    expected = []
    for step in range(25):
        start = step * trainer.batch_size % len(X)
        inputs, labels = (
            X[start : start + trainer.batch_size],
            y[start : start + trainer.batch_size],
        )
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), labels)
        loss.backward()
        optimizer.step()
        expected.append(loss.item())
    trainer.step(25)
    assert trainer.metrics.batch_loss == pytest.approx(expected, rel=1e-5, abs=1e-6)


def test_a_landscape_on_the_gpu_equals_point_by_point_there() -> None:
    loss, base = replay_loss(trace(MLP, device="cuda").graph)
    landscape = random_landscape(loss, base, grid=7, span=1.0, seed=2)
    assert landscape.device.startswith("cuda") and landscape.method == "batched"
    assert_grid_equals(landscape, base, 2, lambda moved: float(loss(moved)))


@pytest.mark.parametrize("loss", ["bce", "cross_entropy"])
def test_the_network_tabs_landscape_on_the_gpu_equals_point_by_point_there(loss: str) -> None:
    spec = NetworkSpec(layers=(Layer(8, "relu"), Layer(6, "gelu")), loss=loss, device="cuda")
    trainer = Trainer(spec)
    trainer.step(5)
    trainer.model.eval()
    function, base = trainer.loss_function(), state_of(trainer)
    landscape = random_landscape(function, base, grid=5, span=0.8, seed=3)
    assert landscape.device.startswith("cuda") and landscape.method == "batched"
    assert_grid_equals(landscape, base, 3, lambda moved: float(function(moved)))


def test_the_landscape_command_runs_on_the_gpu(tmp_path) -> None:  # type: ignore[no-untyped-def]
    program = tmp_path / "mlp.py"
    program.write_text(MLP)
    command = ["landscape", str(program), "--grid", "5", "--device", "cuda", "--json"]
    done = subprocess.run(
        [sys.executable, "-m", "gradviz", *command],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["device"].startswith("cuda")
    graph = trace(MLP, device="cuda").graph  # the same program on the same device
    output = graph.node(graph.output or "")
    assert data["center_loss"] == pytest.approx(float(output.value), rel=1e-5)


def test_recording_live_code_on_the_gpu_equals_the_cpu() -> None:
    import gradviz

    pictures = {}
    for device in ("cpu", "cuda"):
        torch.manual_seed(4)
        model = torch.nn.Sequential(
            torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 1)
        ).to(device)
        X = torch.randn(8, 3).to(device)
        with gradviz.record() as rec:
            hidden = model[1](model[0](X))
            loss = model[2](hidden).pow(2).mean()
        pictures[device] = rec.backward(loss)
    cpu, gpu = pictures["cpu"], pictures["cuda"]
    assert gpu.graph.device.startswith("cuda")
    assert [n.op for n in gpu.nodes] == [n.op for n in cpu.nodes]
    for name in ("hidden", "loss", "model.0.weight", "model.2.bias"):
        torch.testing.assert_close(gpu[name].value.cpu(), cpu[name].value, rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(gpu[name].grad.cpu(), cpu[name].grad, rtol=1e-5, atol=1e-6)


def test_the_landscape_of_ones_own_model_on_the_gpu_equals_point_by_point_there() -> None:
    import gradviz

    torch.manual_seed(5)
    model = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    model = model.cuda()
    X, y = torch.randn(64, 2, device="cuda"), torch.randint(0, 2, (64,), device="cuda")
    loss_fn = torch.nn.CrossEntropyLoss()
    land = gradviz.landscape(model, loss_fn, X, y, grid=5, seed=1)
    assert land.device.startswith("cuda") and land.method == "batched"
    base = {f"model.{k}": v.detach() for k, v in model.named_parameters()}
    twin = copy.deepcopy(model).eval()

    def evaluate(moved: dict[str, torch.Tensor]) -> float:
        twin.load_state_dict({k.removeprefix("model."): v for k, v in moved.items()})
        with torch.no_grad():
            return float(loss_fn(twin(X), y))

    assert_grid_equals(land, base, 1, evaluate)
