"""The GPU paths of the optimizer lab and the network tools against the same work on the CPU
(skipped without CUDA): surfaces, batched trajectories, basin maps, training, landscapes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch

from gradviz.autograd.tracer import trace
from gradviz.nets.landscape import random_landscape
from gradviz.nets.replay import replay_loss
from gradviz.nets.spec import Data, Layer, NetworkSpec
from gradviz.nets.trainer import Trainer
from gradviz.optim.basins import basin_map
from gradviz.optim.grid import evaluate_grid
from gradviz.optim.registry import parse_spec
from gradviz.optim.surfaces import get_surface
from gradviz.optim.trajectories import optimize_batch

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
    same = (gpu.labels.cpu() == cpu.labels).float().mean().item()
    assert same > 0.99  # starts on a ridge may round either way


def test_training_on_the_gpu_follows_the_cpu() -> None:
    spec = NetworkSpec(
        data=Data("moons", samples=120, noise=0.1), layers=(Layer(8, "tanh"),), seed=4
    )
    cpu, gpu = Trainer(spec), Trainer(spec.with_(device="cuda"))
    assert next(gpu.model.parameters()).device.type == "cuda"
    cpu.step(25)
    gpu.step(25)
    assert gpu.metrics.batch_loss == pytest.approx(cpu.metrics.batch_loss, rel=1e-3, abs=1e-4)
    for (name, a), (_, b) in zip(
        cpu.model.state_dict().items(), gpu.model.state_dict().items(), strict=True
    ):
        torch.testing.assert_close(b.cpu(), a, rtol=1e-3, atol=1e-4, msg=name)


def test_a_landscape_on_the_gpu_equals_the_cpu() -> None:
    cpu_loss, cpu_base = replay_loss(trace(MLP).graph)
    gpu_loss, gpu_base = replay_loss(trace(MLP, device="cuda").graph)
    cpu = random_landscape(cpu_loss, cpu_base, grid=11, span=1.0, seed=2)
    gpu = random_landscape(gpu_loss, gpu_base, grid=11, span=1.0, seed=2)
    assert gpu.device.startswith("cuda") and gpu.method == "batched"
    torch.testing.assert_close(gpu.losses, cpu.losses, rtol=1e-4, atol=1e-5)


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
    cpu_loss, cpu_base = replay_loss(trace(MLP).graph)
    with torch.no_grad():
        assert data["center_loss"] == pytest.approx(float(cpu_loss(cpu_base)), rel=1e-5)
