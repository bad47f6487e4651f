"""The lecture's training loop over a `training_loader`: TensorDataset and DataLoader (batch
size, shuffle, drop_last) give the batches plain PyTorch gives with the same seed, so training
ends at the same weights; the graph is the last batch's step; other options are refused."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from gradviz.autograd.tracer import trace
from gradviz.lang.errors import ProgramError
from tests.core.same_as_python import assert_refused_at, gradviz_prints, python_prints

LOOP = """
from torch.utils.data import DataLoader, TensorDataset
torch.manual_seed(3)
X = torch.randn(10, 2)
Y = X[:, :1] * 2.0 - X[:, 1:] + 0.5
training_loader = DataLoader(TensorDataset(X, Y), batch_size=4, shuffle=True, drop_last={drop})
model = nn.Linear(2, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for epoch in range(3):
    for i, data in enumerate(training_loader):
        inputs, labels = data
        optimizer.zero_grad()
        outputs = model(inputs)
        loss = F.mse_loss(outputs, labels)
        loss.backward()
        optimizer.step()
        print(epoch, i, inputs.shape[0], loss.item())
"""


@pytest.mark.parametrize("drop", [False, True])
def test_training_over_a_shuffled_loader_equals_plain_pytorch(drop: bool) -> None:
    result = trace(LOOP.format(drop=drop))
    torch.manual_seed(0)  # a run starts from seed 0, as gradviz's does, then the program's
    torch.manual_seed(3)
    X = torch.randn(10, 2)
    Y = X[:, :1] * 2.0 - X[:, 1:] + 0.5
    loader = DataLoader(TensorDataset(X, Y), batch_size=4, shuffle=True, drop_last=drop)
    model = torch.nn.Linear(2, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    printed = []
    for epoch in range(3):
        for i, (inputs, labels) in enumerate(loader):
            optimizer.zero_grad()
            loss = torch.nn.functional.mse_loss(model(inputs), labels)
            loss.backward()
            optimizer.step()
            printed.append(f"{epoch} {i} {inputs.shape[0]} {loss.item()}\n")
    assert result.run.printed == printed  # same batches, same order, same losses
    torch.testing.assert_close(result.run.env["model"].weight, model.weight)
    sizes = [int(line.split()[2]) for line in printed]
    assert sizes == ([4, 4] if drop else [4, 4, 2]) * 3
    loss_node = next(n for n in result.graph.nodes if n.id == result.graph.output)
    assert loss_node.value.item() == pytest.approx(loss.item(), rel=1e-6)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            "d = torch.utils.data.TensorDataset(torch.ones(3, 2))\n"
            "l = torch.utils.data.DataLoader(d, num_workers=2)\n",
            "DataLoader: `num_workers` is not supported here (only batch_size, shuffle, drop_last)",
        ),
        ("l = torch.utils.data.DataLoader(torch.ones(3, 2))\n", "takes a TensorDataset"),
        (
            "d = torch.utils.data.TensorDataset(torch.ones(3, 2), torch.ones(4))\n",
            "the tensors must have one first size (got 3, 4)",
        ),
        (
            "d = torch.utils.data.TensorDataset(torch.ones(3))\n"
            "l = torch.utils.data.DataLoader(d, batch_size=0)\n",
            "batch_size must be a whole number ≥ 1, not 0",
        ),
        ("c = torch.utils.checkpoint\n", "re-runs code in backward"),
    ],
)
def test_other_uses_are_refused_clearly(source: str, message: str) -> None:
    with pytest.raises(ProgramError, match=message.replace("(", r"\(").replace(")", r"\)")):
        trace(source)


SPLIT = """
import torch
from torch import nn
from torch.utils.data import TensorDataset, DataLoader, random_split

torch.manual_seed(0)
X = torch.randn(50, 3)
y = X.sum(dim=1, keepdim=True)
train_set, val_set = random_split(TensorDataset(X, y), [40, 10])
print(len(train_set), len(val_set))
train_loader = DataLoader(train_set, batch_size=16, shuffle=True)
val_loader = DataLoader(val_set, batch_size=10)
model = nn.Linear(3, 1)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
for epoch in range(3):
    for xb, yb in train_loader:
        loss = nn.functional.mse_loss(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        val = 0.0
        for xb, yb in val_loader:
            val += nn.functional.mse_loss(model(xb), yb).item()
    print(epoch, loss.item(), val)
a, b, c = random_split(list(range(10)), [0.5, 0.3, 0.2])
print(list(a), list(b), list(c))
"""


def test_random_split_runs_as_python_runs_it(tmp_path: Path) -> None:
    expected, _ = python_prints(SPLIT, tmp_path)
    assert gradviz_prints(SPLIT) == expected
    assert expected.startswith("40 10\n")


@pytest.mark.parametrize(
    ("source", "words"),
    [
        ("parts = torch.utils.data.random_split(torch.ones(4), [2, 2])\n", "TensorDataset"),
        ("parts = torch.utils.data.random_split([1, 2, 3], 2)\n", "as a list"),
        ("parts = torch.utils.data.random_split([1, 2, 3], [1, 1])\n", "Sum of input lengths"),
    ],
)
def test_random_split_misuse_is_located(source: str, words: str) -> None:
    assert_refused_at(source, 1, words)


SLIDE = """running_loss = 0.
last_loss = 0.

for i, data in enumerate(training_loader):
    inputs, labels = data

    optimizer.zero_grad()

    outputs = model(inputs)

    loss = loss_fn(outputs, labels)
    loss.backward()

    optimizer.step()

    running_loss += loss.item()
    if i % print_every == print_every-1:
        last_loss = running_loss / print_every
        print(' batch {} loss: {}'.format(i + 1, last_loss))
        running_loss = 0.
"""


def test_the_slides_loop_pasted_alone_points_at_the_example_that_makes_its_names() -> None:
    from gradviz.resources import example

    with pytest.raises(ProgramError) as caught:
        trace(SLIDE)  # (the slide's text, verbatim: its names are made on other slides)
    error = caught.value
    assert (error.line, error.col) == (4, 26)
    assert error.message.startswith("name `training_loader` is not defined: ")
    title = example("07_training_loop.py").title  # the example the message names, by its title
    assert f'Examples → "{title}"' in error.message
    made = SLIDE.replace("running_loss = 0.\n", example("07_training_loop.py").source, 1)
    assert trace(made).graph is not None  # with them made first, the slide's loop runs
