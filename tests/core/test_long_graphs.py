"""Long and runaway autograd graphs: freed without a crash, capped with a clear error, and what a
backward pass cut short by an error left queued in torch's engine is freed too."""

from __future__ import annotations

import gc
import subprocess
import sys
import textwrap
import weakref
from typing import Any

import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode

from gradviz.autograd.tracer import trace
from gradviz.lang.engine_queue import drained_on_error
from gradviz.lang.errors import ProgramError
from gradviz.lang.interpreter import Interpreter, run_program
from gradviz.lang.limits import Limits
from gradviz.lang.parser import parse

# A chain of 100,000 ops whose nodes' Python objects were made (as every tracer makes them):
# torch 2.13 frees it one group of C stack frames per node, past a usual 8 MiB stack.
LONG_CHAIN = """
import torch
from gradviz.deep_stack import call_with_deep_stack

def work():
    x = torch.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.00001
        y.grad_fn.name()
    value = y.item()
    del y
    return value

print(round(call_with_deep_stack(work), 3))
"""


def test_a_long_chain_is_freed_on_a_deep_stack_thread() -> None:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(LONG_CHAIN)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert float(done.stdout) == pytest.approx(1.00001**100_000, rel=1e-2)  # float32 steps


def test_call_with_deep_stack_hands_back_what_work_raises() -> None:
    from gradviz.deep_stack import call_with_deep_stack

    def work() -> None:
        raise ProgramError("line 3", 3, 1)

    with pytest.raises(ProgramError) as caught:
        call_with_deep_stack(work)
    assert caught.value.line == 3


def test_a_graph_past_the_node_limit_is_refused_at_its_line() -> None:
    source = (
        "x = torch.tensor(1.0, requires_grad=True)\ny = x\nfor i in range(300):\n    y = y * 1.01\n"
    )
    with pytest.raises(ProgramError) as caught:
        trace(source, limits=Limits(max_graph_nodes=200))
    assert caught.value.line == 4
    assert "grew past 200 nodes" in caught.value.message
    graph = trace(source, limits=Limits(max_graph_nodes=400)).graph
    assert sum(node.kind == "op" for node in graph.nodes) == 300


def test_a_run_past_the_op_limit_is_stopped() -> None:
    source = "x = torch.ones(3)\nfor i in range(300):\n    x = x + 1\n"
    with pytest.raises(ProgramError) as caught:
        run_program(parse(source), limits=Limits(max_ops=250))
    assert caught.value.line == 3
    assert "more than 250 tensor operations" in caught.value.message
    result = run_program(parse(source), limits=Limits(max_ops=400))
    assert torch.equal(result.env["x"], torch.ones(3) + 300)


def test_the_ops_of_a_graph_building_backward_pass_count_too() -> None:
    # each derivative of a derivative is a bigger graph: runs of ops the program never wrote
    source = (
        "x = torch.tensor(0.5, requires_grad=True)\ng = torch.tanh(torch.tanh(x) * x)\n"
        "for i in range(12):\n    g = torch.autograd.grad(g, x, create_graph=True)[0]\n"
    )
    with pytest.raises(ProgramError) as caught:
        run_program(parse(source), limits=Limits(max_ops=20_000))
    assert caught.value.line == 4
    assert "tensor operations" in caught.value.message


class _StopAfter(TorchDispatchMode):
    def __init__(self, ops: int) -> None:
        super().__init__()
        self.left = ops

    def __torch_dispatch__(
        self, func: Any, types: Any, args: tuple[Any, ...] = (), kwargs: Any = None
    ) -> Any:
        self.left -= 1
        if self.left < 0:
            raise RuntimeError("stopped mid-pass")
        return func(*args, **(kwargs or {}))


def _cut_short_pass(drain: bool) -> weakref.ref[torch.Tensor]:
    """A graph-building backward pass that fails partway; a weak reference to a tensor that
    only its graph holds."""

    def run() -> weakref.ref[torch.Tensor]:
        x = torch.randn(10, requires_grad=True)
        h = torch.tanh(x) * 1.0
        held = weakref.ref(h)
        g = torch.tanh(h * x).sum()
        del h
        with pytest.raises(RuntimeError, match="stopped mid-pass"), _StopAfter(200):
            for _ in range(12):
                g = torch.autograd.grad(g, x, create_graph=True)[0].sum()
        return held

    if not drain:
        return run()
    with pytest.raises(RuntimeError), drained_on_error():
        held = run()
        raise RuntimeError("stopped mid-pass")  # (what the program's run raises on)
    return held


def test_torch_keeps_what_a_failed_pass_left_queued() -> None:
    # Why drained_on_error exists; if this fails, torch frees it itself now.
    held = _cut_short_pass(drain=False)
    gc.collect()
    assert held() is not None


def test_drained_on_error_frees_what_a_failed_pass_left_queued() -> None:
    held = _cut_short_pass(drain=True)
    gc.collect()
    assert held() is None


def test_a_refused_trace_leaves_no_graph_queued() -> None:
    source = (
        "h = torch.tanh(x) * 1.0\nbox.append(h)\ng = torch.tanh(h * x).sum()\n"
        "for i in range(12):\n    g = torch.autograd.grad(g, x, create_graph=True)[0].sum()\n"
    )
    box: list[torch.Tensor] = []
    x = torch.randn(10, requires_grad=True)
    interpreter = Interpreter(
        parse(source), limits=Limits(max_ops=2_000), bindings={"box": box, "x": x}
    )
    with pytest.raises(ProgramError, match="tensor operations"):
        interpreter.run()
    held = weakref.ref(box.pop())
    del interpreter
    gc.collect()
    assert held() is None


def test_recording_ones_own_code_stops_past_the_node_limit() -> None:
    import gradviz
    from gradviz.lang.limits import DEFAULT_LIMITS

    x = torch.tensor(1.0, requires_grad=True)
    y = x
    with pytest.raises(ProgramError, match="grew past 20,000 nodes"), gradviz.record():
        for _ in range(DEFAULT_LIMITS.max_graph_nodes + 2):  # (the last flushed by the next)
            y = y * 1.0
    with gradviz.record() as rec:
        y = x
        for _ in range(100):
            y = y * 1.0
    assert sum(node.kind == "op" for node in rec.backward(y).nodes) == 100


def test_without_a_thread_the_work_runs_here(monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    from gradviz.deep_stack import call_with_deep_stack

    def refuse(self: threading.Thread) -> None:
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(threading.Thread, "start", refuse)
    assert call_with_deep_stack(threading.get_ident) == threading.get_ident()
    monkeypatch.undo()
    assert call_with_deep_stack(threading.get_ident) != threading.get_ident()


def test_a_graph_of_too_many_leaves_is_refused_before_it_is_built() -> None:
    source = (
        "xs = []\nfor i in range(150):\n    xs.append(torch.ones(1, requires_grad=True))\n"
        "y = torch.cat(xs).sum()\ny.backward()\n"
    )
    with pytest.raises(ProgramError) as caught:
        trace(source, limits=Limits(max_graph_nodes=100))
    assert caught.value.line == 5
    assert "has 152 nodes" in caught.value.message  # 150 leaves, the cat and the sum
    graph = trace(source, limits=Limits(max_graph_nodes=200)).graph
    assert sum(node.kind == "input" for node in graph.nodes) == 150
