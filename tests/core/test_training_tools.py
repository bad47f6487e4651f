"""Training tools a course uses beyond optimizers: learning-rate schedulers, nn.init, buffers,
`model.apply(init)`, LBFGS with a closure, param groups and isinstance. Each program is also run
by Python itself: what it prints must be the same, and its weights equal torch's."""

from __future__ import annotations

import textwrap
import warnings
from pathlib import Path

import pytest
import torch
from torch import nn

from gradviz.autograd.tracer import trace
from gradviz.lang.errors import ProgramError
from gradviz.lang.interpreter import run_program
from gradviz.lang.parser import parse
from tests.core.same_as_python import assert_refused_at, gradviz_prints, python_prints

SCHEDULED = textwrap.dedent(
    """
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    from torch.optim.lr_scheduler import StepLR, ReduceLROnPlateau

    torch.manual_seed(0)
    X = torch.randn(64, 2)
    y = (X[:, 0] * X[:, 1] > 0).long()

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 2))
            self.register_buffer("scale", torch.tensor([1.0, 2.0]))

        def forward(self, x):
            return self.net(x * self.scale)

    def halve(epoch):
        return 0.5 ** (epoch // 4)

    model = Net()
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    steps = StepLR(opt, step_size=5, gamma=0.5)
    plateau = ReduceLROnPlateau(opt, patience=1, factor=0.5)
    for epoch in range(12):
        opt.zero_grad()
        logits = model(X)
        loss = F.cross_entropy(logits, y)
        loss.backward()
        opt.step()
        steps.step()
        plateau.step(loss.item())
        acc = (logits.argmax(dim=1) == y).float().mean()
        print(f"{epoch}: {loss.item():.5f} {acc.item():.3f} {steps.get_last_lr()[0]:.5f}")

    sgd = torch.optim.SGD(model.parameters(), lr=0.1)
    lam = torch.optim.lr_scheduler.LambdaLR(sgd, lr_lambda=halve)
    for epoch in range(9):
        lam.step()
    print(lam.get_last_lr(), sgd.param_groups[0]["lr"])
    sgd.param_groups[0]["lr"] = 0.01
    sgd.param_groups[0]["lr"] *= 3
    print(sgd.param_groups[0]["lr"], sgd.param_groups[0]["momentum"])
    """
)


def test_schedulers_buffers_and_param_groups_run_as_python_runs_them(tmp_path: Path) -> None:
    expected, names = python_prints(SCHEDULED, tmp_path)
    assert gradviz_prints(SCHEDULED) == expected
    assert "0.02500" in expected  # StepLR halved the rate twice by epoch 11 (or more)
    result = trace(SCHEDULED)
    line = SCHEDULED.splitlines().index("    lam.step()") + 1
    assert any(at == line and "lr_scheduler.step()" in said for at, said in result.warnings)
    model = names["model"]
    assert isinstance(model, nn.Module)
    params = {n.param_path: n for n in result.graph.nodes if n.param_path}
    for path, value in model.named_parameters():  # the graph: the last backward's gradients
        node = params[f"model.{path}"]
        assert node.grad is not None and value.grad is not None
        assert torch.allclose(node.grad, value.grad, atol=1e-6)  # type: ignore[arg-type]


INIT_AND_LBFGS = textwrap.dedent(
    """
    import torch
    from torch import nn
    import torch.nn.functional as F

    torch.manual_seed(1)
    X = torch.randn(40, 3)
    y = X @ torch.tensor([1.0, -2.0, 0.5]) + 0.3

    def init_weights(m):
        if isinstance(m, nn.Linear):
            nn.init.xavier_uniform_(m.weight, gain=nn.init.calculate_gain("tanh"))
            nn.init.constant_(m.bias, 0.1)

    model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))
    model.apply(init_weights)
    print(model[0].weight.sum().item(), model[2].bias.tolist())
    opt = torch.optim.LBFGS(model.parameters(), lr=0.5, max_iter=10)

    def closure():
        opt.zero_grad()
        loss = F.mse_loss(model(X).squeeze(1), y)
        loss.backward()
        return loss

    for step in range(4):
        loss = opt.step(closure)
        print(step, loss.item())
    kinds = (nn.ReLU, nn.Tanh)
    print(isinstance(model[1], kinds), isinstance(2.0, float), isinstance(model, nn.Linear))
    """
)


def test_apply_init_and_lbfgs_closure_run_as_python_runs_them(tmp_path: Path) -> None:
    expected, names = python_prints(INIT_AND_LBFGS, tmp_path)
    assert gradviz_prints(INIT_AND_LBFGS) == expected
    assert "True True False" in expected
    run = run_program(parse(INIT_AND_LBFGS))
    ours, theirs = run.env["model"], names["model"]
    assert isinstance(ours, nn.Module) and isinstance(theirs, nn.Module)
    for (name, a), (_, b) in zip(ours.named_parameters(), theirs.named_parameters(), strict=True):
        assert torch.equal(a, b), name


def test_the_graph_is_the_last_closure_call() -> None:
    result = trace(INIT_AND_LBFGS)
    ops = [n.op for n in result.graph.nodes if n.kind == "op"]
    assert ops.count("AddmmBackward0") == 2 and "MseLossBackward0" in ops
    loss = result.run.env["loss"]
    output = result.graph.node(result.graph.output)  # type: ignore[arg-type]
    assert isinstance(loss, torch.Tensor)
    # LBFGS returns the first closure's loss; the graph is the last backward's (a later step)
    assert output.op == "MseLossBackward0"


def test_a_buffer_moves_with_the_module_and_is_no_parameter() -> None:
    source = textwrap.dedent(
        """
        class Scaled(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(2, 1)
                self.register_buffer("mean", torch.tensor([1.0, -1.0]))

            def forward(self, x):
                return self.fc(x - self.mean)

        model = Scaled().double()
        n = len(model.parameters())
        """
    )
    env = run_program(parse(source)).env
    model = env["model"]
    assert isinstance(model, nn.Module)
    assert env["n"] == 2  # weight and bias: the buffer is not trained
    assert model.mean.dtype == torch.float64  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("source", "line", "words"),
    [
        ("opt = torch.optim.LBFGS([torch.ones(2, requires_grad=True)])\nopt.step()\n",
         2, "LBFGS.step needs a closure"),
        ("w = torch.ones(2, requires_grad=True)\nopt = torch.optim.SGD([w], lr=0.1)\n"
         "opt.param_groups[0]['params'] = []\n", 3, "cannot be set"),
        ("w = torch.ones(2, requires_grad=True)\nopt = torch.optim.SGD([w], lr=0.1)\n"
         "opt.param_groups[0]['lr'] = 'fast'\n", 3, "takes a number"),
        ("w = torch.ones(2, requires_grad=True)\nopt = torch.optim.SGD([w], lr=0.1)\n"
         "opt.param_groups[0]['nesterov2'] = 1\n", 3, "cannot be set"),
        ("model = nn.Linear(2, 1)\nmodel.apply(print)\n", 2, "function the program defines"),
        ("model = nn.Linear(2, 1)\nmodel.register_buffer('m', torch.ones(1))\n", 2,
         "module class of the program"),
        ("class N(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
         "        self.register_buffer('forward', torch.ones(1))\nn = N()\n", 4, "uses itself"),
        ("class N(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
         "        self.register_buffer('a.b', torch.ones(1))\nn = N()\n", 4, "plain name"),
        ("x = isinstance(2.0, 3)\n", 1, "must be a class"),
        ("def f(t):\n    return t\nx = torch.sum(f)\n", 3, "torch.sum"),
        ("t = (1, 2)\nt[0] = 3\n", 2, "does not support item assignment"),
    ],
)  # fmt: skip
def test_misuse_gets_a_located_error(source: str, line: int, words: str) -> None:
    assert_refused_at(source, line, words)


def test_a_closure_that_never_converges_is_stopped_by_the_step_budget() -> None:
    source = textwrap.dedent(
        """
        w = torch.ones(3, requires_grad=True)
        opt = torch.optim.LBFGS([w], max_iter=10000000, tolerance_grad=-1.0,
                                tolerance_change=-1.0, max_eval=10000000)

        def closure():
            opt.zero_grad()
            loss = (w * w).sum() + 1.0
            loss.backward()
            return loss

        opt.step(closure)
        """
    )
    from gradviz.lang.limits import Limits

    with pytest.raises(ProgramError) as caught:
        run_program(parse(source), limits=Limits(max_steps=20_000))
    assert "step" in caught.value.message.lower()


def test_a_defined_function_kept_after_its_run_says_so() -> None:
    source = (
        "def f(epoch):\n    return 0.5\nw = torch.ones(1, requires_grad=True)\n"
        "opt = torch.optim.SGD([w], lr=1.0)\nsched = torch.optim.lr_scheduler.LambdaLR(opt, f)\n"
    )
    sched = run_program(parse(source)).env["sched"]
    import gc

    gc.collect()  # the interpreter is gone; the scheduler still holds the function
    with pytest.raises(RuntimeError, match="no longer running"), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (this step comes before any optimizer step)
        sched.step()  # type: ignore[attr-defined]


EVALUATION = textwrap.dedent(
    """
    import torch
    from torch import nn

    torch.manual_seed(3)
    X = torch.randn(30, 4)
    labels = torch.randint(0, 3, (30,))
    net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    for _ in range(3):
        loss = nn.CrossEntropyLoss()(net(X), labels)
    net.eval()
    correct = 0
    total = 0
    with torch.no_grad():
        outputs = net(X)
        _, predicted = torch.max(outputs.data, 1)
        total += labels.size(0)
        correct += (predicted == labels).sum().item()
    print('[%d] loss: %.3f' % (1, loss.item()))
    print('Accuracy: %d %%' % (100 * correct / total))
    print('%5.1f|%-4s|%+e|%x|%r' % (2.25, 'ab', 0.5, 255, 'q'))
    print('%s' % loss)
    """
)


def test_course_idioms_underscore_and_percent_formatting(tmp_path: Path) -> None:
    expected, _ = python_prints(EVALUATION, tmp_path)
    assert gradviz_prints(EVALUATION) == expected
    assert "Accuracy:" in expected and "%" in expected


@pytest.mark.parametrize(
    ("source", "words"),
    [
        ("s = '%(lr)s' % 1\n", "fields are not supported"),
        ("s = '%*d' % (5, 1)\n", "`*` widths"),
        ("s = '%999999999d' % 1\n", "over 200"),
        ("s = '%.500f' % 1.0\n", "over 200"),
        ("s = '%y' % 1\n", "not a format"),
        ("s = '%d %d' % 1\n", "not enough arguments"),
    ],
)
def test_percent_formatting_refuses_what_could_blow_up(source: str, words: str) -> None:
    assert_refused_at(source, 1, words)


def test_underscore_alone_is_a_name_but_dunders_stay_refused() -> None:
    assert run_program(parse("_ = 3\ny = _ * 2\n")).env["y"] == 6
    for source in ("__x = 1\n", "_x = 1\n", "y = __builtins__\n"):
        with pytest.raises(ProgramError, match="underscore"):
            parse(source)


MORE_OF_A_COURSE = textwrap.dedent(
    """
    import torch
    from torch import nn
    import torch.nn.functional as F

    torch.manual_seed(0)
    cell = nn.GRUCell(3, 4)
    lstm = nn.LSTMCell(3, 4)
    xs = torch.randn(5, 2, 3)
    h = torch.zeros(2, 4)
    hc = (torch.zeros(2, 4), torch.zeros(2, 4))
    for t in range(5):
        h = cell(xs[t], h)
        hc = lstm(xs[t], hc)
    head = nn.Sequential(nn.PReLU(), nn.Dropout1d(0.0), nn.Linear(4, 3))
    loss = F.cross_entropy(head(h + hc[0]), torch.tensor([0, 2]))
    loss.backward()
    norm = nn.utils.clip_grad_norm_(cell.parameters(), max_norm=0.01)
    print(round(norm.item(), 5), cell.weight_hh.grad.norm().item() <= 0.0100001)
    flat = nn.utils.parameters_to_vector(head.parameters())
    print(flat.shape)
    gx, gy = torch.meshgrid(torch.linspace(-1, 1, 3), torch.linspace(0, 1, 2), indexing="ij")
    print(gx.tolist(), gy.tolist())
    probs = F.softmax(torch.tensor([1.0, 2.0, 3.0]), dim=0)
    print(torch.multinomial(probs, 8, replacement=True).tolist())
    print(torch.bernoulli(torch.full((6,), 0.5)).tolist(), torch.normal(0.0, 1.0, size=(2,)))
    print(torch.isclose(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.1])).tolist())
    print(torch.unique(torch.tensor([3, 1, 3, 2])).tolist(), torch.diff(torch.arange(5) ** 2))
    print(torch.cdist(torch.zeros(1, 2), torch.tensor([[3.0, 4.0]])).item())
    """
)


def test_cells_clipping_sampling_and_grids_run_as_python_runs_them(tmp_path: Path) -> None:
    expected, _ = python_prints(MORE_OF_A_COURSE, tmp_path)
    assert gradviz_prints(MORE_OF_A_COURSE) == expected
    assert expected.splitlines()[-1] == "5.0"


DICTS = textwrap.dedent(
    """
    import torch
    history = {"loss": [], "acc": []}
    config = {"lr": 0.1, "epochs": 3, ("a", 1): "tuple key", 2: None}
    w = torch.tensor([1.0, -1.0], requires_grad=True)
    opt = torch.optim.SGD([w], lr=config["lr"])
    for epoch in range(config["epochs"]):
        loss = (w ** 2).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
        history["loss"].append(round(loss.item(), 4))
        history["acc"].append(epoch / 10)
    history["best"] = min(history["loss"])
    config["lr"] *= 0.5
    for key, value in history.items():
        print(key, value)
    print(list(config.keys()), config.get("missing", "default"), "lr" in config, len(history))
    for k in config:
        print(k, config[k])
    print(history, opt.param_groups[0].get("lr"), sorted(opt.param_groups[0].keys())[:3])
    print(sorted([3, -5, 1], key=abs), sorted([2, 9, 4], reverse=True))
    print(any([0, 0, 1]), all([1, 2, 0]), list(reversed(range(3))))
    """
)


def test_dicts_and_sorting_run_as_python_runs_them(tmp_path: Path) -> None:
    expected, _ = python_prints(DICTS, tmp_path)
    assert gradviz_prints(DICTS) == expected
    assert "[1, 3, -5] [9, 4, 2]" in expected
