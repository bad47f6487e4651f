"""Course code's Python idioms run as Python runs them: `assert`, `w.data -= lr * w.grad`,
`self.steps += 1`, class attributes and functions defined inside functions (the same source run
by Python itself prints the same); their misuse gets Python's error, located."""

from __future__ import annotations

import gc
import textwrap
import weakref
from pathlib import Path

import pytest
import torch

from gradviz.autograd.tracer import trace
from gradviz.explain.chain import _text, explain
from gradviz.lang.errors import ProgramError
from gradviz.lang.interpreter import run_program
from gradviz.lang.parser import parse
from tests.core.same_as_python import assert_refused_at, gradviz_prints, python_prints
from tests.core.test_reference_cycles import cycles_left_by

MANUAL_SGD = textwrap.dedent(
    """
    import torch
    torch.manual_seed(0)
    X = torch.randn(20, 3)
    y = X @ torch.tensor([[1.0], [-2.0], [0.5]]) + 0.3
    w = torch.zeros(3, 1, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    for step in range(30):
        loss = ((X @ w + b - y) ** 2).mean()
        loss.backward()
        w.data -= 0.1 * w.grad
        b.data = b.data - 0.1 * b.grad
        w.grad.zero_()
        b.grad = None
    print(w.flatten(), b)
    assert w.shape == (3, 1), "w changed shape"
    assert loss.item() < 1.0
    loss = ((X @ w + b - y) ** 2).mean()
    loss.backward()
    print(loss, w.grad.flatten())
    """
)


def test_manual_sgd_through_data_prints_what_python_prints(tmp_path: Path) -> None:
    expected, names = python_prints(MANUAL_SGD, tmp_path)
    assert gradviz_prints(MANUAL_SGD) == expected
    result = trace(MANUAL_SGD)
    shown = {n.name: n for n in result.graph.nodes}
    final_w = names["w"]
    assert isinstance(final_w, torch.Tensor)
    torch.testing.assert_close(shown["w"].value, final_w.detach())  # the trained weights
    torch.testing.assert_close(shown["w"].grad, final_w.grad)  # of the last loss


ATTRIBUTES = textwrap.dedent(
    """
    import torch
    from torch import nn

    class Net(nn.Module):
        \"\"\"A layer and a counter of its calls.\"\"\"
        hidden = 8
        sizes = [2, hidden, 1]
        name = "net-" + str(hidden)

        def __init__(self):
            super().__init__()
            self.calls = 0
            self.fc1 = nn.Linear(self.sizes[0], Net.hidden)
            self.fc2 = nn.Linear(self.hidden, self.sizes[-1])

        def forward(self, x):
            self.calls += 1
            self.hidden = self.hidden * 2  # an instance's own, over the class's
            return self.fc2(torch.tanh(self.fc1(x)))

    torch.manual_seed(0)
    net = Net()
    x = torch.randn(4, 2)
    for i in range(3):
        out = net(x).sum()
    out.backward()
    net.fc1.weight.grad *= 0.5
    print(net.calls, net.hidden, Net.hidden, Net.sizes, net.name)
    print(net.fc1.weight.grad.sum())
    """
)


def test_class_attributes_and_attribute_updates_print_what_python_prints(
    tmp_path: Path,
) -> None:
    expected, _ = python_prints(ATTRIBUTES, tmp_path)
    assert gradviz_prints(ATTRIBUTES) == expected


NESTED = textwrap.dedent(
    """
    import torch
    from torch import nn

    def make_scale(k):
        def double(x):
            return x * 2
        def scale(x):
            return double(x) * k  # a sibling, called after make_scale has returned
        return scale

    def train(model, X, y, steps=4):
        opt = torch.optim.LBFGS(model.parameters(), lr=0.5)
        def closure():
            opt.zero_grad()
            loss = ((model(X) - y) ** 2).mean()
            loss.backward()
            return loss
        for _ in range(steps):
            opt.step(closure)
        return closure()

    def warmup(n):
        def factor(step):
            return min(1.0, (step + 1) / n)
        return factor

    def late():
        def read():
            return value + 1  # the name as it is when read() runs, not when it was defined
        value = 10
        first = read()
        value = 20
        return first, read()

    def fact(n):
        def go(k):
            if k <= 1:
                return 1
            return k * go(k - 1)
        return go(n)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 2)

        def forward(self, x):
            def block(h):
                return torch.relu(self.fc(h))
            return block(block(x))

    torch.manual_seed(0)
    model = nn.Linear(2, 1)
    X = torch.randn(10, 2)
    y = X.sum(1, keepdim=True)
    print(make_scale(3)(torch.tensor(1.5)), late(), fact(5))
    print(round(train(model, X, y).item(), 5))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    schedule = torch.optim.lr_scheduler.LambdaLR(opt, warmup(4))
    for i in range(5):
        opt.step()
        schedule.step()
        print(schedule.get_last_lr())
    out = Net()(X).sum()
    print(out)
    """
)


def test_functions_inside_functions_print_what_python_prints(tmp_path: Path) -> None:
    expected, _ = python_prints(NESTED, tmp_path)
    assert gradviz_prints(NESTED) == expected


def test_a_nested_function_used_only_inside_its_call_leaves_no_cycle() -> None:
    source = textwrap.dedent(
        """
        import torch
        def train(model, X, y):
            opt = torch.optim.LBFGS(model.parameters())
            def closure():
                opt.zero_grad()
                loss = ((model(X) - y) ** 2).mean()
                loss.backward()
                return loss
            def twice(v):
                return v * 2
            for _ in range(2):
                opt.step(closure)
            return twice(closure())
        model = torch.nn.Linear(2, 1)
        loss = train(model, torch.randn(8, 2), torch.randn(8, 1))
        """
    )
    assert trace(source).graph.nodes
    assert cycles_left_by(lambda: trace(source)) == []


def test_a_returned_nested_function_frees_its_frame_once_dropped() -> None:
    program = parse(
        "import torch\ndef outer(k):\n    def inner(x):\n        return x * k\n"
        "    return inner\nf = outer(torch.ones(3))\nprint(f(2))\n"
    )
    run = run_program(program)
    assert run.printed == ["tensor([2., 2., 2.])\n"]
    function = run.env["f"]
    frame_tensor = weakref.ref(function.enclosing[0]["k"])  # type: ignore[attr-defined]
    del run, function
    gc.collect()  # the frame and the function hold each other, as in Python
    assert frame_tensor() is None


BEST_STATE = textwrap.dedent(
    """
    import torch
    from torch import nn
    torch.manual_seed(1)
    X = torch.randn(60, 4)
    y = torch.randint(0, 3, (60,))
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    best, best_state, alias = float("inf"), None, model.state_dict()
    for epoch in range(6):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(X), y)
        loss.backward()
        opt.step()
        if loss.item() < best:
            best = loss.item()
            best_state = {}
            for name, tensor in model.state_dict().items():
                best_state[name] = tensor.clone()
    print(sorted(best_state.keys()), round(best, 5))
    print(torch.equal(alias["0.weight"], model[0].weight))  # the tensors themselves, as in torch
    model.load_state_dict(best_state)
    print(torch.equal(model[2].bias, best_state["2.bias"]), len(list(model.named_buffers())))
    print(y.type(), y[:3].type(torch.float32), model[0].bias.type(torch.float64).dtype)
    """
)


def test_state_dict_snapshots_and_type_print_what_python_prints(tmp_path: Path) -> None:
    expected, _ = python_prints(BEST_STATE, tmp_path)
    assert gradviz_prints(BEST_STATE) == expected


@pytest.mark.parametrize(
    ("source", "line", "fragment"),
    [
        ("x = 2\nassert x > 3\n", 2, "AssertionError: `x > 3` is false"),
        ("x = 2\nassert x > 3, f'x is {x}'\n", 2, "AssertionError: x is 2"),
        ("import torch\nassert torch.ones(2) > 0\n", 2, "ambiguous"),
        ("import torch\nw = torch.ones(2)\nw.data = 3\n", 3, "only be set to a tensor"),
        ("import torch\nw = torch.ones(2)\nw.grad = torch.ones(3)\n", 3, "size"),
        ("import torch\nw = torch.ones(2)\nw.grad += 1\n", 3, "NoneType"),
        ("import torch\nw = torch.ones(2)\nw.shape = (1, 2)\n", 3, "not allowed"),
        ("def f():\n    def g():\n        return y\n    return g()\nf()\n", 3, "`y` is not"),
        (
            "import torch\nx = torch.ones(1, requires_grad=True)\nx.register_hook(print)\n",
            3,
            "takes a function the program defines",
        ),
        ("import torch\nm = torch.nn.Linear(2, 1)\nm.load_state_dict([1])\n", 3, "dict of"),
        ("import torch\nm = torch.nn.Linear(2, 1)\nm.load_state_dict({})\n", 3, "Missing key"),
        ("import torch\ntorch.ones(2).type('torch.IntTensor')\n", 2, "takes a dtype"),
        ("x = ','.join(['a' * 9000, 'b' * 9000])\n", 1, "limit 10,000"),
        ("x = ('a' * 5000).replace('a', 'aaaa')\n", 1, "limit 10,000"),
        ("x = 'a'.rjust(10**6)\n", 1, "width over 200"),
        ("x = ','.join([1, 2])\n", 1, "use str(x)"),
        ("import numpy as np\n", 1, "make the arrays with torch"),
        ("import torch\nx = torch.ones(3, **{'_x': 1})\n", 2, "plain names"),
        ("import torch\nx = torch.ones(3, **[1])\n", 2, "must be a dict"),
        ("import torch\nx = torch.ones(1, dtype=None, **{'dtype': None})\n", 2, "multiple"),
        ("import matplotlib.pyplot as plt\n", 1, "gradviz draws for you"),
        ("from random import shuffle\n", 1, "torch.randperm"),
        ("import torch\nfrom sklearn.datasets import make_moons\n", 2, "two moons"),
        ("import pandas as pd\n", 1, "opens in the Network tab"),
        ("x = dict([(1.5, 2), ([1], 3)])\n", 1, "dict keys must be"),
        ("import torch\nx = torch.ones(2)\nx.requires_grad = 'yes'\n", 3, "must be a bool"),
        ("import torch\nx = torch.ones(2)\nx.requires_grad = 1\n", 3, "must be a bool"),
        ("import torch\nt = type(torch.ones(1))\nu = t.load\n", 3, "<class 'torch.Tensor'>"),
        ("from torch import nn\nw = nn.Linear.weight\n", 2, "first, `nn.Linear(...).weight`"),
        ("import torch\nx = torch.ones(2)\nn = x.sum.shape\n", 3, "`x.sum(...).shape`"),
        ("def g():\n    yield 1\nn = g().shape\n", 3, "a generator or iterator has no"),
        # Python's own words for the classes of a builtin and of a program's function
        ("a = print + 1\n", 1, "for +: 'builtin_function_or_method' and 'int'"),
        ("def f():\n    return 1\na = f * 2\n", 3, "for *: 'function' and 'int'"),
        ("for i in len:\n    pass\n", 1, "iterate over a builtin_function_or_method"),
        ("n = int('9' * 5000)\n", 1, "value has 5000 digits"),
    ],
)
def test_misuse_gets_pythons_error_located(source: str, line: int, fragment: str) -> None:
    assert_refused_at(source, line, fragment)


HOOKS = textwrap.dedent(
    """
    import torch
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    seen = []

    def show(grad):
        print("gradient arriving at y:", grad)
        seen.append(grad.sum().item())

    def double(grad):
        return grad * 2

    y = x * 3
    handle = y.register_hook(show)
    y.register_hook(double)
    z = (y ** 2).sum()
    print(z.grad_fn.name(), z.grad_fn.next_functions[0][0].name())
    for node, index in y.grad_fn.next_functions:
        print(node.name() if node is not None else None, index)
    print(y.grad_fn is not None, x.grad_fn)
    z.backward()
    print(x.grad, seen)
    handle.remove()
    x.grad = None
    z = (x * 3).pow(2).sum()
    z.backward()
    print(x.grad, seen)
    available = torch.accelerator.is_available()
    device = torch.accelerator.current_accelerator().type if available else "cpu"
    print(device == ("cuda" if torch.cuda.is_available() else "cpu"))
    """
)


def test_gradient_hooks_and_grad_fn_print_what_python_prints(tmp_path: Path) -> None:
    expected, _ = python_prints(HOOKS, tmp_path)
    assert gradviz_prints(HOOKS) == expected


def test_a_hook_that_changes_a_gradient_is_what_the_graph_shows() -> None:
    source = HOOKS.split("handle.remove()")[0]  # the graph of the first backward
    graph = trace(source).graph
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    y.register_hook(lambda grad: grad * 2)
    (y**2).sum().backward()
    shown = {n.name: n for n in graph.nodes}
    torch.testing.assert_close(shown["x"].grad, x.grad)  # 36·x, not 18·x
    arrived = 2 * (3 * x.detach())  # what (y**2).sum() sends to y, before the hook doubles it
    assert explain(graph, shown["y"]).changed == (
        f"{_text(arrived)} arrived; a gradient hook on y made it {_text(2 * arrived)}"
    )
    assert explain(graph, shown["x"]).changed == ""  # no hook there


def test_a_hook_is_checked_by_the_allocation_guard_inside_backward() -> None:
    source = (
        "import torch\ndef hook(grad):\n    return grad + torch.ones(10**6, 10**6)\n"
        "x = torch.ones(2, requires_grad=True)\ny = x * 2\ny.register_hook(hook)\n"
        "y.sum().backward()\n"
    )
    with pytest.raises(ProgramError, match="elements") as info:
        trace(source)
    assert info.value.line == 3


STRINGS_AND_DICTS = textwrap.dedent(
    """
    import torch
    from torch import nn
    model = nn.Linear(3, 2)
    params = dict(model.named_parameters())
    print(sorted(params.keys()), isinstance(params, dict))
    d = dict(a=1, b=2)
    print(d, dict([("x", 1), ("y", 2)]), min(3, 1, 2), max([4, 5]), abs(-2.5))
    torch.manual_seed(0)
    x = torch.randn(3)
    print(f"{x.sum().item():>10.3f}|{'hi'!r}|{3:05d}")
    names = ["fc1", "fc2"]
    print(", ".join(names), "abc".upper(), "a,b".split(","), " x ".strip(), "ab".replace("a", "zz"))
    print("loss".ljust(8) + "|", "7".zfill(3), "model.0.weight".startswith("model"))
    print("a-b-c".count("-"), "a-b".find("b"), "12".isdigit(), "ab".title(), " a".lstrip())
    line = "-" * 20
    print(line, len(line))
    """
)


def test_string_methods_and_dict_print_what_python_prints(tmp_path: Path) -> None:
    expected, _ = python_prints(STRINGS_AND_DICTS, tmp_path)
    assert gradviz_prints(STRINGS_AND_DICTS) == expected


KEYWORD_DICTS = textwrap.dedent(
    """
    import torch
    from torch import nn
    config = {"in_features": 3, "out_features": 2}
    layer = nn.Linear(**config)
    opt_settings = dict(lr=0.1, momentum=0.9)
    opt = torch.optim.SGD(layer.parameters(), **opt_settings)
    def make(hidden, depth=1, *, act="relu"):
        return f"{hidden}-{depth}-{act}"
    print(make(**{"hidden": 4, "act": "tanh"}), make(8, **dict(depth=3)))
    print(layer, opt.param_groups[0]["momentum"])
    """
)


def test_keyword_arguments_from_a_dict_print_what_python_prints(tmp_path: Path) -> None:
    expected, _ = python_prints(KEYWORD_DICTS, tmp_path)
    assert gradviz_prints(KEYWORD_DICTS) == expected


GRAD_MODE_BY_PHASE = textwrap.dedent(
    """
    import torch
    import torch.nn as nn
    torch.manual_seed(0)
    model = nn.Linear(3, 1)
    X = torch.randn(8, 3)
    y = torch.randn(8, 1)
    for phase in ['train', 'val']:
        with torch.set_grad_enabled(phase == 'train'):
            loss = ((model(X) - y) ** 2).mean()
        print(phase, loss.requires_grad, torch.is_grad_enabled())
    torch.set_grad_enabled(False)
    frozen = model(X).sum()
    print('after a bare call:', frozen.requires_grad)
    torch.set_grad_enabled(True)
    m = torch.randn(3, 3, requires_grad=True)
    picked = m.masked_select(m > 0).sum() + m.trace() + m.cumprod(1).sum()
    picked = picked + m.fmod(0.5).sum() + m.remainder(0.5).sum() + m.atan2(m.T).sum()
    picked = picked + m.gt(0).logical_and(m.lt(1)).logical_or(m.eq(0)).logical_xor(m.gt(2)).sum()
    picked.backward()
    print(m.grad)
    """
)


def test_grad_mode_by_phase_and_more_tensor_methods_print_what_python_prints(
    tmp_path: Path,
) -> None:
    # PyTorch's transfer-learning tutorial: `with torch.set_grad_enabled(phase == 'train'):`
    expected, _ = python_prints(GRAD_MODE_BY_PHASE, tmp_path)
    assert "train True" in expected and "val False" in expected  # the test reads what it should
    assert gradviz_prints(GRAD_MODE_BY_PHASE) == expected


def test_a_bare_set_grad_enabled_lasts_only_for_the_run() -> None:
    from gradviz.autograd.tracer import trace

    result = trace("import torch\nx = torch.ones(2, requires_grad=True)\n"
                   "torch.set_grad_enabled(False)\ny = x * 2\n")  # fmt: skip
    assert torch.is_grad_enabled()  # the program's setting did not outlive its run
    assert not [n for n in result.graph.nodes if n.kind == "op"]  # y was made without a graph


VARIADIC = textwrap.dedent(
    """
    import torch

    class Accumulator:
        # d2l's: sums over n variables, added a row at a time
        def __init__(self, n):
            self.data = [0.0] * n

        def add(self, *args):
            added = []
            for a, b in zip(self.data, args):
                added.append(a + float(b))
            self.data = added

        def __getitem__(self, idx):
            return self.data[idx]

    def show(*values, sep=' ', **options):
        print(len(values), sep, sorted(options), options.get('end', 'none'))
        return values

    metric = Accumulator(3)
    for i in range(4):
        metric.add(torch.tensor(2.0) * i, i, 1)
    print(metric[0] / metric[2], metric[1])
    print(show(1, 2, 3, sep='-', end='!', flush=True))
    print(show())

    def first_and_rest(a, *rest):
        return a, rest

    print(first_and_rest(1), first_and_rest(1, 2, 3))
    """
)


def test_star_args_and_keyword_args_parameters_print_what_python_prints(tmp_path: Path) -> None:
    expected, _ = python_prints(VARIADIC, tmp_path)
    assert gradviz_prints(VARIADIC) == expected


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        ("def f(a, **options):\n    return a\nf(1, 2)\n", "takes 1 positional argument"),
        ("def f(*rest, a):\n    return a\nf(1, 2)\n", "missing 1 required keyword-only"),
        ("def f(a, *rest):\n    return a\nf(1, a=2)\n", "multiple values for argument 'a'"),
    ],
)
def test_wrong_calls_of_variadic_functions_get_pythons_message(
    source: str, fragment: str, tmp_path: Path
) -> None:
    with pytest.raises(TypeError, match=fragment.split("'")[0]):
        python_prints(source, tmp_path)  # the message is Python's own
    assert_refused_at(source, 3, fragment)


MODULE_CHECKS = textwrap.dedent(
    """
    import torch
    from torch import nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 1)

        def forward(self, x):
            return self.fc(x)

    class Plain:
        pass

    for thing in [Net(), nn.Sequential(nn.Linear(2, 2)), torch.ones(2), Plain(), 3.0]:
        print(isinstance(thing, nn.Module), isinstance(thing, (torch.nn.Module, float)))
    """
)


def test_isinstance_of_nn_module_prints_what_python_prints(tmp_path: Path) -> None:
    # d2l's evaluate_accuracy: `if isinstance(net, torch.nn.Module): net.eval()`
    expected, _ = python_prints(MODULE_CHECKS, tmp_path)
    assert gradviz_prints(MODULE_CHECKS) == expected


LAYER_SHAPES = textwrap.dedent(
    """
    import torch
    from torch import nn
    net = nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(),
        nn.Linear(120, 84), nn.Sigmoid(),
        nn.Linear(84, 10))
    X = torch.rand(size=(1, 1, 28, 28), dtype=torch.float32)
    for layer in net:
        X = layer(X)
        print(layer.__class__.__name__,'output shape: \\t',X.shape)

    class Net(nn.Module):
        pass

    print(type(X).__name__, type(3.0).__name__, Net().__class__.__name__, type(Net()).__name__)
    """
)


def test_class_names_of_layers_print_what_python_prints(tmp_path: Path) -> None:
    # d2l's LeNet: `print(layer.__class__.__name__, 'output shape: \t', X.shape)`
    expected, _ = python_prints(LAYER_SHAPES, tmp_path)
    assert "Conv2d output shape" in expected
    assert gradviz_prints(LAYER_SHAPES) == expected


@pytest.mark.parametrize(
    "source",
    [
        "x = 1\ny = x.__class__\n",
        "x = 1\ny = x.__class__.__bases__\n",
        "x = 1\nx.__class__.__name__ = 'a'\n",
        "x = 1\ny = type(x).__dict__\n",
        "x = 1\ny = type(x).__name__.__class__\n",
    ],
)
def test_only_a_class_name_may_be_read_through_a_dunder(source: str) -> None:
    with pytest.raises(ProgramError, match="underscore"):
        parse(source)


VOCABULARY = textwrap.dedent(
    """
    import torch
    words = ['emma', 'olivia', 'ava', 'isabella', 'sophia']
    chars = sorted(list(set(''.join(words))))
    stoi = {}
    for i, s in enumerate(chars):
        stoi[s] = i + 1
    stoi['.'] = 0
    print(len(chars), chars[:5], stoi['e'])
    seen = {1, 2, 3}
    seen.add(4)
    seen.update([5, 6])
    seen.discard(1)
    print(sorted(seen), 3 in seen, len(seen), sorted(seen | {10}), sorted(seen & {2, 3, 99}))
    print(sorted(seen - {2}), sorted(seen.union([0])), seen.issubset(range(10)), type(seen))
    N = torch.zeros((27, 27), dtype=torch.int32)
    for w in words:
        chs = ['.'] + list(w) + ['.']
        for ch1, ch2 in zip(chs, chs[1:]):
            N[stoi[ch1], stoi[ch2]] += 1
    print(N.sum(), N[0].nonzero().flatten().tolist())
    """
)


def test_sets_as_makemore_builds_its_vocabulary_print_what_python_prints(
    tmp_path: Path,
) -> None:
    # Karpathy's makemore: `chars = sorted(list(set(''.join(words))))`
    expected, _ = python_prints(VOCABULARY, tmp_path)
    assert gradviz_prints(VOCABULARY) == expected


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        ("import torch\ns = {torch.ones(1)}\n", "set items must be strings, numbers"),
        ("s = set()\ns.add([1])\n", "set items must be"),
        ("s = set(range(10 ** 9))\n", "the limit is"),
    ],
)
def test_sets_of_other_things_or_too_many_are_refused(source: str, fragment: str) -> None:
    assert_refused_at(source, source.count("\n"), fragment)


DEVICE_CHOICE = textwrap.dedent(
    """
    import torch
    device = (
        "cuda"
        if torch.cuda.is_available()
        else "mps"
        if torch.backends.mps.is_available()
        else "cpu"
    )
    print(f"Using {device} device", torch.backends.cudnn.is_available(),
          torch.backends.cuda.is_built(), torch.backends.mps.is_built())
    """
)


def test_the_tutorials_device_choice_prints_what_python_prints(tmp_path: Path) -> None:
    # PyTorch's "Build the Neural Network" (before torch.accelerator)
    expected, _ = python_prints(DEVICE_CHOICE, tmp_path)
    assert gradviz_prints(DEVICE_CHOICE) == expected


def test_cudnn_settings_stay_out_of_reach() -> None:
    assert_refused_at("import torch\ntorch.backends.cudnn.benchmark = True\n", 2, "setting")
    assert_refused_at("import torch\nx = torch.backends.cudnn.deterministic\n", 2, "global")


LIST_UPKEEP = textwrap.dedent(
    """
    history = [0.9, 0.5, 0.7, 0.2]
    last = history.pop()
    first = history.pop(0)
    history.insert(1, 0.3)
    history.remove(0.7)
    kept = history.copy()
    history.reverse()
    print(last, first, history, kept)

    def score(w):
        return -len(w)

    history.sort()
    words = ['ava', 'emma', 'bo']
    words.sort(key=len, reverse=True)
    print(history, words, sorted(words, key=score))
    words.sort(key=score)
    kept.clear()
    print(kept, words)
    """
)


def test_list_methods_print_what_python_prints(tmp_path: Path) -> None:
    expected, _ = python_prints(LIST_UPKEEP, tmp_path)
    assert gradviz_prints(LIST_UPKEEP) == expected


PRINT_AND_REPR = textwrap.dedent(
    """
    import torch
    x = torch.tensor([1.5, 2.0])
    print("epoch", 1, sep=None, end=None, flush=True)
    print("loss", x.sum().item(), file=None)
    print(repr(x), repr("a"), repr([1, "b", 2.5]), repr((3,)), repr(None), sep=" | ")
    print(f"{repr(x.shape)}")
    """
)


def test_print_with_flush_and_file_none_and_repr_print_what_python_prints(
    tmp_path: Path,
) -> None:
    expected, _ = python_prints(PRINT_AND_REPR, tmp_path)
    assert gradviz_prints(PRINT_AND_REPR) == expected


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        ("print('a', file='log.txt')", "output panel"),
        ("print('a', sep=3)", "sep must be None or a string"),
        ("x = torch.randn(3, device='meta')", "meta device"),
        ("x = torch.zeros(2).to('meta')", "meta device"),
    ],
)
def test_print_elsewhere_and_the_meta_device_are_refused_at_their_line(
    source: str, fragment: str
) -> None:
    assert_refused_at(source, 1, fragment, traced=True)


def test_pythons_advice_to_call_sys_is_left_out_where_there_is_no_sys() -> None:
    with pytest.raises(ProgramError) as info:
        run_program(parse("n = int('9' * 5000)\n"))
    assert info.value.message.endswith("value has 5000 digits") and "sys" not in str(info.value)


SCRIPT_BOILERPLATE = textwrap.dedent(
    '''
    from __future__ import annotations

    import math
    from typing import List, Optional

    import torch


    def model(x: torch.Tensor, w: torch.Tensor, scale: Optional[float] = None) -> torch.Tensor:
        """A tiny model, type-hinted as a modern script is."""
        return (x * w).sum() * (scale or 1.0)


    def main() -> None:
        w: torch.Tensor = torch.tensor([0.5, -1.0], requires_grad=True)
        losses: List[float] = []
        step: int
        for step in range(3):
            loss = (model(torch.tensor([1.0, 2.0]), w) - math.pi) ** 2
            loss.backward()
            with torch.no_grad():
                w -= 0.1 * w.grad
                w.grad.zero_()
            losses.append(round(loss.item(), 6))
        print(*losses, sep=", ")


    if __name__ == "__main__":
        main()
    else:
        print("imported")
    '''
)


def test_a_type_hinted_script_with_a_main_guard_runs_as_python_runs_it(tmp_path: Path) -> None:
    """Type hints (never evaluated), imports from __future__ and typing, and the
    `if __name__ == "__main__":` guard: gradviz runs the program as Python runs a script."""
    expected, _ = python_prints(SCRIPT_BOILERPLATE, tmp_path, run_name="__main__")
    assert expected.count(",") == 2 and "imported" not in expected
    assert gradviz_prints(SCRIPT_BOILERPLATE) == expected


def test_an_annotated_number_is_a_slider_input_as_a_plain_one_is() -> None:
    program = parse("x: float = 2.0\ny = x * 3\n")
    assert [i.name for i in program.inputs] == ["x"]


@pytest.mark.parametrize(
    ("source", "where"),
    [
        ("print(__name__)\n", (1, 7)),  # only the main guard reads it
        ("__name__ = 'x'\n", (1, 1)),
        ("from typing import List\nx = List[int]\n", (2, 5)),  # typing's names are not kept
    ],
)
def test_boilerplate_elsewhere_is_still_refused(source: str, where: tuple[int, int]) -> None:
    with pytest.raises(ProgramError) as caught:
        run_program(parse(source))
    assert (caught.value.line, caught.value.col) == where
    if "typing" in source:
        assert "`List` comes from typing, for type hints" in caught.value.message


def test_a_name_the_program_binds_itself_is_its_own(tmp_path: Path) -> None:
    source = "from __future__ import annotations\nannotations = 3\nprint(annotations)\n"
    assert gradviz_prints(source) == python_prints(source, tmp_path)[0] == "3\n"


STARRED = textwrap.dedent(
    """
    import torch
    torch.manual_seed(0)
    params = [torch.randn(2, requires_grad=True), torch.randn(3, requires_grad=True)]
    first, *rest = params
    *init, last = [1, 2, 3, 4]
    x, *mid, y = (1, 2, 3, 4)
    p, q, *nothing = [1, 2]
    print(init, last, x, mid, y, nothing, [*init, *mid], (*mid, 5))
    for head, *tail in [(1, 2, 3), (4, 5)]:
        print(head, tail)
    loss = first.pow(2).sum() + rest[0].sum()
    loss.backward()
    print(first.grad, rest[0].grad)
    """
)


def test_starred_unpacking_and_spreading_print_as_python_does(tmp_path: Path) -> None:
    expected, _ = python_prints(STARRED, tmp_path)
    assert gradviz_prints(STARRED) == expected


@pytest.mark.parametrize(
    ("source", "line", "fragment"),
    [
        ("a, *b, *c = [1, 2, 3]\n", 1, "only one `*` name is allowed"),
        ("a, b, *c = [1]\n", 1, "cannot unpack 1 values into at least 2 names"),
        ("xs = [1]\n*xs\n", 2, "only allowed in calls, lists and tuples"),
        ("xs = [1]\nd = {**{'a': 1}}\n", 2, "`**` in a dict literal is not supported"),
        ("xs = [*range(10 ** 9)]\n", 1, "* would spread 1,000,000,000 items; the limit is"),
    ],
)
def test_starred_misuse_is_refused_at_its_line(source: str, line: int, fragment: str) -> None:
    assert_refused_at(source, line, fragment)


@pytest.mark.parametrize(
    ("source", "line", "fragment"),
    [
        (
            "class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
            "    def _init_weights(self, m):\n        pass\n",
            4,
            "`_init_weights`: names starting with an underscore are not allowed; rename it "
            "`init_weights`",
        ),
        ("_x = 1\n", 1, "rename it `x`"),
        (
            "class A:\n    def __init__(self):\n        self._n = 1\n",
            3,
            "`._n`: names starting with an underscore are not allowed; rename it `n`",
        ),
        ("x = torch.ones(2)\nb = x._base\n", 2, "`._base`: names starting with an underscore"),
    ],
)
def test_an_underscore_name_of_the_program_s_own_is_refused_with_the_name_to_use(
    source: str, line: int, fragment: str
) -> None:
    assert_refused_at(source, line, fragment)
    if "._base" in source:  # torch's own insides: nothing to rename
        with pytest.raises(ProgramError) as caught:
            trace(source)
        assert "rename" not in caught.value.message
