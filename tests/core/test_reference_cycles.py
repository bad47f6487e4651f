"""A trace and a plain run leave no reference cycles behind: once the
result is dropped, reference counting frees every tensor, graph node and interpreter object at
once (a cycle would hold them, and the memory of the tensors, until a garbage collection, which
then has to walk them all)."""

from __future__ import annotations

import gc
import types
from collections.abc import Callable
from pathlib import Path

import pytest
import torch

import gradviz
from gradviz.autograd.tracer import trace
from gradviz.lang.interpreter import run_program
from gradviz.lang.parser import parse
from gradviz.lang.user_code import UserFunction

EXAMPLES = sorted((Path(gradviz.__file__).parent / "resources" / "examples").glob("*.py"))


def cycles_left_by(action: Callable[[], object]) -> list[str]:
    """The types of the tensors and gradviz objects that `action` left in reference cycles,
    found by a garbage collection after it (its result dropped)."""
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        action()
        gc.collect()
        return _ours(gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()


def _ours(objects: list[object]) -> list[str]:
    """The tensors and gradviz objects among them (torch's own helpers may make small cycles:
    the DataLoader's collate flattens batches with a recursive closure). A class the program
    defines is, like every Python class, a cycle of its own (its `__mro__` holds it): it and
    its methods (UserFunction: their syntax; an autograd.Function's static methods, which
    call them) wait for a collection; nothing else may."""
    return sorted(
        {
            type(o).__qualname__
            for o in objects
            if not isinstance(o, (type, UserFunction, staticmethod, types.FunctionType))
            and (
                isinstance(o, torch.Tensor)
                or type(o).__module__.startswith("gradviz")
                or getattr(o, "__module__", "").startswith("gradviz")
            )
        }
    )


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_tracing_an_example_leaves_no_cycle(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    assert trace(source).graph.nodes
    assert cycles_left_by(lambda: trace(source)) == []


def test_a_plain_run_leaves_no_cycle() -> None:
    program = parse(
        "import torch\nfrom torch import nn\ntorch.manual_seed(0)\n"
        "model = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 1))\n"
        "loss = model(torch.randn(16, 3)).pow(2).mean()\nprint(loss)\nloss.backward()\n"
    )
    run = run_program(program)
    assert run.printed and run.backward_called
    assert cycles_left_by(lambda: run_program(program)) == []


def test_a_failed_run_leaves_no_cycle() -> None:
    from gradviz.lang.errors import ProgramError

    source = "import torch\nw = torch.ones(3, 4, requires_grad=True)\n(w @ torch.ones(5)).sum()\n"

    def failing() -> None:
        with pytest.raises(ProgramError, match="line 3"):
            trace(source)

    assert cycles_left_by(failing) == []


@pytest.mark.parametrize(
    "source",
    [
        "import torch\nx = torch.ones(2, requires_grad=True)\ny = x.exp()\n"
        "z = y.sum()\ny *= 2\nz.backward()\n",
        "x = 2.0\ny = exp(x)\ny *= 2\ny\n",  # (gradviz's own backward from the output)
    ],
    ids=["program's backward", "gradviz's backward"],
)
def test_a_failed_backward_leaves_no_cycle(source: str) -> None:
    """The error carries the graph of the pass that failed; dropping it frees everything."""
    from gradviz.autograd.failed_pass import BackwardFailed

    def failing() -> None:
        with pytest.raises(BackwardFailed, match="changed in place"):
            trace(source)

    assert cycles_left_by(failing) == []


def test_a_tensor_is_freed_when_the_trace_is_dropped() -> None:
    """Not only no cycle: nothing else keeps the program's tensors (a weak reference dies)."""
    import weakref

    result = trace("import torch\nx = torch.randn(100, requires_grad=True)\ny = (x * x).sum()\n")
    x = result.run.env["x"]
    ref = weakref.ref(x)
    del x, result
    assert ref() is None


def test_functions_handed_to_torch_leave_no_cycle() -> None:
    """LambdaLR holds the program's function, LBFGS calls a closure, apply an initialiser:
    each is held weakly by what torch keeps (a Callback), so nothing of the run is cycled."""
    source = (
        "import torch\nfrom torch import nn\ntorch.manual_seed(0)\n"
        "def init(m):\n    if isinstance(m, nn.Linear):\n        nn.init.zeros_(m.bias)\n"
        "def rate(epoch):\n    return 0.9 ** epoch\n"
        "model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))\n"
        "model.apply(init)\nX = torch.randn(8, 3)\n"
        "opt = torch.optim.LBFGS(model.parameters(), max_iter=3)\n"
        "sched = torch.optim.lr_scheduler.LambdaLR(opt, rate)\n"
        "def closure():\n    opt.zero_grad()\n    loss = model(X).pow(2).mean()\n"
        "    loss.backward()\n    return loss\n"
        "for step in range(2):\n    loss = opt.step(closure)\n    sched.step()\n"
        "X.requires_grad_()\n(g,) = torch.autograd.grad(model(X).sum(), X)\n"
    )
    assert trace(source).graph.nodes
    assert cycles_left_by(lambda: trace(source)) == []
    assert cycles_left_by(lambda: run_program(parse(source))) == []


def test_generators_leave_no_cycle() -> None:
    """Generators finished, abandoned at a `break`, or left waiting when the run ends, and an
    iterator, leave nothing in a cycle (a waiting generator's frame holds the interpreter: the
    run closes it; test_generators checks that it is closed in the run's own thread)."""
    source = (
        "import torch\n\ndef batches(n):\n    for i in range(n):\n"
        "        yield torch.ones(2) * i\n\n"
        "total = torch.zeros(2)\nfor b in batches(3):\n    total = total + b\n"
        "for b in batches(5):\n    break\n"
        "waiting = batches(4)\nfirst = next(waiting)\nit = iter([1, 2])\n"
    )
    assert trace(source).run.env["first"] is not None
    assert cycles_left_by(lambda: trace(source)) == []
    assert cycles_left_by(lambda: run_program(parse(source))) == []
