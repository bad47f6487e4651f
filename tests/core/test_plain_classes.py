"""Classes not derived from nn.Module, as course code writes them: Karpathy's hand-made
`Linear` with `__call__` and `parameters()`, a `Dataset` with `__len__` and `__getitem__` for a
DataLoader; they run as Python runs them, and their tensors are named by where the program
keeps them (`layers[0].weight`)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import torch

from gradviz.autograd.tracer import trace
from tests.core.same_as_python import assert_refused_at, gradviz_prints, python_prints

PLAIN_CLASSES = textwrap.dedent(
    """
    import torch
    from torch.utils.data import Dataset, DataLoader

    class Pairs(Dataset):
        \"\"\"y = 2x + 1 with noise.\"\"\"
        def __init__(self, n):
            super().__init__()
            self.x = torch.linspace(-1, 1, n).unsqueeze(1)
            self.y = 2 * self.x + 1 + 0.1 * torch.randn(n, 1)

        def __len__(self):
            return len(self.x)

        def __getitem__(self, idx):
            return self.x[idx], self.y[idx]

    class Linear:  # Karpathy's hand-made layer (makemore, part 3)
        def __init__(self, fan_in, fan_out, bias=True):
            self.weight = torch.randn((fan_in, fan_out)) / fan_in**0.5
            self.bias = torch.zeros(fan_out) if bias else None

        def __call__(self, x):
            self.out = x @ self.weight
            if self.bias is not None:
                self.out += self.bias
            return self.out

        def parameters(self):
            return [self.weight] + ([] if self.bias is None else [self.bias])

    class Tanh:
        def __call__(self, x):
            self.out = torch.tanh(x)
            return self.out

        def parameters(self):
            return []

    torch.manual_seed(0)
    data = Pairs(64)
    print(len(data), data[3])
    loader = DataLoader(data, batch_size=16, shuffle=True)
    layers = [Linear(1, 8), Tanh(), Linear(8, 1)]
    parameters = []
    for layer in layers:
        parameters += layer.parameters()
    for p in parameters:
        p.requires_grad = True
    for epoch in range(3):
        for xb, yb in loader:
            x = xb
            for layer in layers:
                x = layer(x)
            loss = ((x - yb) ** 2).mean()
            for p in parameters:
                p.grad = None
            loss.backward()
            for p in parameters:
                p.data += -0.1 * p.grad
        print(epoch, loss.item())
    first, second = torch.utils.data.random_split(data, [48, 16])
    print(len(first), len(second), isinstance(layers[0], Linear), layers[1].out.shape)
    print(len(list(data)), Linear(2, 2, bias=False).bias)
    """
)


def test_plain_classes_and_a_dataset_print_what_python_prints(tmp_path: Path) -> None:
    expected, _ = python_prints(PLAIN_CLASSES, tmp_path)
    assert gradviz_prints(PLAIN_CLASSES) == expected


def test_a_plain_layers_tensors_are_named_where_the_program_keeps_them(tmp_path: Path) -> None:
    """By the path from a top-level name to the attribute (`layers[2].weight`, as an
    nn.Module's parameters are named by module path); the variable of the program's loop
    stays as an alias. Each is the tensor Python's run of the program keeps there."""
    graph = trace(PLAIN_CLASSES).graph
    leaves = [n for n in graph.nodes if n.kind == "input"]
    names = ["layers[0].weight", "layers[0].bias", "layers[2].weight", "layers[2].bias"]
    assert [n.name for n in leaves] == names
    ops = {n.op: n for n in graph.nodes if n.kind == "op"}
    tanh = ops["TanhBackward0"]
    assert tanh.name == "layers[1].out" and tanh.aliases == ["x"]
    _, python = python_prints("import torch\ntorch.manual_seed(0)\n" + PLAIN_CLASSES, tmp_path)
    layers = python["layers"]
    assert isinstance(layers, list)
    kept = [layers[0].weight, layers[0].bias, layers[2].weight, layers[2].bias]
    for leaf, tensor in zip(leaves, kept, strict=True):  # the last backward's gradients
        torch.testing.assert_close(leaf.grad, tensor.grad, msg=leaf.name)
    torch.testing.assert_close(tanh.value, layers[1].out.detach())


SEQUENTIAL = textwrap.dedent(
    """
    import torch

    class Linear:
        def __init__(self, fan_in, fan_out):
            self.weight = torch.randn((fan_in, fan_out)) / fan_in**0.5
            self.weight.requires_grad = True

        def __call__(self, x):
            self.out = x @ self.weight
            return self.out

    class Tanh:
        def __call__(self, x):
            self.out = torch.tanh(x)
            return self.out

    class Sequential:  # makemore part 5's
        def __init__(self, layers):
            self.layers = layers

        def __call__(self, x):
            for layer in self.layers:
                x = layer(x)
            self.out = x
            return self.out

    torch.manual_seed(0)
    model = Sequential([Linear(3, 4), Tanh(), Linear(4, 1)])
    loss = model(torch.randn(5, 3)).pow(2).mean()
    """
)


def test_a_plain_layer_objects_call_is_a_box_named_where_it_is_kept() -> None:
    """Like an nn.Module's forward: the ops of an object's `__call__` sit in its box (the
    innermost one running), its kept tensors too; boxes nest, and fold."""
    from gradviz.autograd.collapse import fold_modules, folded_id

    graph = trace(SEQUENTIAL).graph
    assert graph.modules == {
        "model": "Sequential",
        "model.layers[0]": "Linear",
        "model.layers[1]": "Tanh",
        "model.layers[2]": "Linear",
    }
    by_name = {n.name: n for n in graph.nodes}
    assert by_name["model.layers[0].weight"].module == "model.layers[0]"
    assert by_name["model.layers[0].out"].module == "model.layers[0]"
    assert by_name["model.layers[1].out"].module == "model.layers[1]"
    assert by_name["model.layers[2].out"].module == "model.layers[2]"
    pow_node = next(n for n in graph.nodes if n.op == "PowBackward0")
    assert pow_node.module is None  # outside every call
    folded = fold_modules(graph, {"model.layers[1]"})
    node = folded.node(folded_id("model.layers[1]"))
    assert node.module == "model" and node.op == "Tanh · 1 node folded"


def test_an_object_appended_after_the_first_call_still_gets_its_box() -> None:
    graph = trace(
        "class Linear:\n"
        "    def __init__(self, a, b):\n"
        "        self.weight = torch.randn(a, b, requires_grad=True)\n"
        "    def __call__(self, x):\n"
        "        return x @ self.weight\n"
        "def fresh(x):\n"
        "    return Linear(1, 1)(x)\n"  # made afresh at each call: kept nowhere, no box
        "layers = []\nlayers.append(Linear(2, 3))\nh = layers[0](torch.randn(4, 2))\n"
        "layers.append(Linear(3, 1))\nout = fresh(fresh(layers[1](h))).sum()\n"
    ).graph
    assert graph.modules == {"layers[0]": "Linear", "layers[1]": "Linear"}
    assert graph.find("h").module == "layers[0]"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("source", "line", "fragment"),
    [
        ("class A:\n    def __repr__(self):\n        return 'a'\n", 2, "may define `__init__`"),
        ("class A:\n    def f():\n        return 1\n", 2, "needs `self`"),
        ("class A:\n    pass\nA()(1)\n", 3, "'A' object is not callable"),
        ("class A:\n    pass\nlen(A())\n", 3, "has no len()"),
        ("class A:\n    pass\nA()[0]\n", 3, "is not subscriptable"),
        ("class A:\n    pass\nA().weight\n", 3, "'A' object has no attribute 'weight'"),
        ("class A:\n    pass\nA(3)\n", 3, "takes no arguments"),
        ("from torch.utils.data import Dataset\nDataset()\n", 2, "is a base class"),
        ("class A:\n    def f(self):\n        return super().f()\n", 3, "super()"),
        # an attribute a class sets on `self` may be set on its objects anywhere, not on others
        ("class A:\n    def f(self):\n        self.g = 1\nx = torch.ones(2)\nx.g = 2\n", 5, "`.g`"),
        ("class A:\n    pass\na = A()\na.h = 2\n", 4, "`.h` is not available"),
    ],
)
def test_misuse_of_a_plain_class_gets_pythons_error(source: str, line: int, fragment: str) -> None:
    assert_refused_at(source, line, fragment)


NOISY = textwrap.dedent(
    """
    import torch
    from torch.utils.data import Dataset, DataLoader

    class Noisy(Dataset):
        def __init__(self):
            self.x = torch.arange(8.0).unsqueeze(1)
        def __len__(self):
            return len(self.x)
        def __getitem__(self, i):
            return self.x[i] + 0.1 * torch.randn(1)

    torch.manual_seed(0)
    drop = torch.nn.Dropout(0.5)
    for epoch in range(2):
        for i, xb in enumerate(DataLoader(Noisy(), batch_size=4, shuffle=True)):
            print(epoch, i, drop(xb).sum().item())
    """
)


def test_a_loaders_batches_are_made_as_the_loop_reaches_them(tmp_path: Path) -> None:
    """A Dataset that draws random numbers in __getitem__, a loop body that draws its own
    (dropout): the same numbers as in Python only if each batch is made when the loop reaches
    it, not all before the loop."""
    expected, _ = python_prints(NOISY, tmp_path)
    assert gradviz_prints(NOISY) == expected
