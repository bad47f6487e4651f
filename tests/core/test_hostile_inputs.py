"""Hostile or broken programs: each gets one clear error at its line and column, quickly, and
nothing happens outside the program."""

from __future__ import annotations

import math
import os
import sys
import time
from pathlib import Path

import pytest
import torch

from gradviz.autograd.tracer import trace
from gradviz.lang.errors import ProgramError
from gradviz.lang.interpreter import run_program
from gradviz.lang.parser import parse

# (source, expected line, expected column or None, a fragment the message must contain)
HOSTILE = [
    ("().__class__.__bases__[0].__subclasses__()", 1, 1, "underscore"),
    ("x = torch.ones(2)\ny = x.__dict__", 2, 5, "underscore"),
    ("f = getattr(torch, 'load')", 1, 5, "getattr"),
    ("m = torch.load('model.pt')", 1, 5, "reads files"),
    ("torch.save(torch.ones(1), 'PWNED')", 1, 1, "writes files"),
    ("import os\nos.system('touch PWNED')", 1, 1, "only torch"),
    ("__import__('os').system('touch PWNED')", 1, 1, "underscore"),
    ("from os import system", 1, 1, "only torch"),
    ("eval('1+1')", 1, 1, "runs strings as code"),
    ("exec('import os')", 1, 1, "runs strings as code"),
    ("data = open('/etc/passwd').read()", 1, 8, "opens files"),
    ("f = lambda: 1", 1, 5, "lambda"),
    ("xs = [i * 2 for i in range(3)]", 1, 6, "comprehension"),
    ("while True:\n    pass", 1, 1, "while"),
    ("def f(a, /):\n    return a", 1, 1, "positional-only"),
    ("def f(t):\n    def g():\n        return g()\n    return g()\nf(1)", 3, 16, "calls deep"),
    ("def f(t=2):\n    return f(t)\nf()", 2, 12, "calls deep"),
    ("@print\ndef f(t):\n    return t", 1, 2, "decorators"),
    ("@torch.no_grad(1)\ndef f(t):\n    return t", 1, 2, "decorators"),
    ("class A:\n    def __getattribute__(self, n):\n        return 1", 2, 5, "may define"),
    ("class A(dict):\n    pass", 1, 1, "nn.Module"),
    ("class A(nn.Module):\n    def eval(self):\n        return 1", 2, 5, "replace"),
    (
        "class A(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.__class__ = A\nA()",
        4,
        9,
        "underscore",
    ),
    (
        "class A(nn.Module):\n    def forward(self, x):\n        return super().forward(x)",
        3,
        16,
        "super()",
    ),
    (
        "class A(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.forward = print\nA()",
        4,
        9,
        "choose another",
    ),
    ("big = torch.ones(100000, 100000)", 1, 7, "elements"),
    ("a = torch.zeros(1000000)\nb = a.expand(1000000, 1000000).contiguous()", 2, 5, "elements"),
    ("layer = nn.Linear(1000000, 1000000)", 1, 9, "elements"),
    ("n = 2 ** 10 ** 10", 1, 5, "too large"),
    ("n = 10 ** 100000", 1, 5, "too large"),
    ("s = 'a' * 10 ** 9", 1, 5, "too large"),
    ("xs = [0] * 10 ** 9", 1, 6, "too large"),
    ("r = torch.arange(0, 1e12)", 1, 5, "elements"),
    ("for i in range(10 ** 9):\n    pass", 1, 10, "times"),
    ("print(*range(10 ** 9))", 1, 7, "would spread 1,000,000,000 items"),
    ("x = (1, 2", 1, 5, "syntax error"),
    ("y = foo * 2", 1, 5, "not defined"),
    ("z = torch.ones(3) + torch.ones(4)", 1, 5, "cannot combine"),
    ("h = torch.hub.load('a', 'b')", 1, 5, "downloads"),
    ("x = torch.ones(3)\nx.numpy()", 2, 1, "NumPy"),
    ("s = '{0.__class__}'.format(1)", 1, 5, "not allowed"),
    ("op = torch.ops.aten.add", 1, 6, "arbitrary operators"),
    ("import torch.utils.cpp_extension", 1, 1, "not available; the torch modules"),
    ("y = torch.utils.cpp_extension", 1, 5, "compiles and loads code"),
    ("x = torch.ones(3)\nx.register_hook(print)", 2, 1, "takes a function"),
    ("w = nn.Linear(2, 2)\np = w.weight.data_ptr()", 2, 5, "raw memory"),
    ("torch.set_default_dtype(torch.float64)", 1, 1, "global settings"),
    ("torch.ones = 1", 1, 1, "not allowed"),
    ("x = torch.ones(3, requires_grad=True) * 2\nx.grad_fn(torch.ones(3))", 2, 1, "not callable"),
    ("x = torch.ones(3, requires_grad=True)\nx.grad_fn.register_prehook", 2, 1, "not available"),
    ("y = torch.rand(2, 2, device='cuda')", 1, 5, "cuda"),
    ("import numpy as np", 1, 1, "only torch"),
    # Python 3.12 parses f-strings itself (PEP 701), so the error points inside the string
    ("t = f'{1:99999999}'", 1, 5 if sys.version_info < (3, 12) else 7, "width"),
    ("x = {**{'a': 1}}", 1, 5, "`**` in a dict literal"),
    ("x = {torch.ones(1): 1}", 1, 6, "dict keys must be strings"),
    ("d = {'a': 1}\nd[nn.Linear(1, 1)] = 2", 2, 1, "dict keys must be strings"),
    ("d = {'a': 1}\nd.clear()", 2, 1, "clear"),
    # one list a hundred thousand times over: ten billion numbers for torch to walk and hold
    ("row = [1.0] * 100000\ny = torch.tensor([row] * 100000)", 2, 5, "nested lists"),
    ("row = [1.0] * 100000\ny = torch.as_tensor([row] * 100000)", 2, 5, "nested lists"),
    ("x = torch.zeros(3)\nrow = [0] * 100000\ny = x[[row] * 100000]", 3, 5, "nested lists"),
    # a view allocates nothing, but whatever reads it reads it all (the graph's copy of it did)
    ("x = torch.ones(1)\ny = x.expand(10 ** 12)", 2, 5, "elements"),
    ("x = torch.ones(1, requires_grad=True)\ny = x.expand(10 ** 12)", 2, 5, "elements"),
]


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


@pytest.mark.parametrize(
    ("source", "line", "col", "fragment"), HOSTILE, ids=[h[0][:40] for h in HOSTILE]
)
def test_hostile_input_gets_a_clear_located_error(
    source: str, line: int, col: int | None, fragment: str, tmp_path: Path
) -> None:
    if "cuda" in source and torch.cuda.is_available():
        pytest.skip("CUDA is available here")
    dtype, grad_mode, rng = (
        torch.get_default_dtype(),
        torch.is_grad_enabled(),
        torch.get_rng_state(),
    )
    start = time.perf_counter()
    with pytest.raises(ProgramError) as info:
        trace(source)
    elapsed = time.perf_counter() - start
    error = info.value
    assert fragment.lower() in error.message.lower(), error.message
    assert error.line == line, str(error)
    if col is not None:
        assert error.col == col, str(error)
    assert "\n" not in str(error) and "Traceback" not in str(error)
    assert elapsed < 5.0
    assert list(tmp_path.iterdir()) == [], "the program left a file behind"
    assert torch.get_default_dtype() == dtype and torch.is_grad_enabled() == grad_mode
    assert torch.equal(torch.get_rng_state(), rng)


def test_there_are_at_least_25_hostile_inputs() -> None:
    assert len(HOSTILE) >= 25


def test_a_one_megabyte_source_is_refused_before_parsing() -> None:
    source = "x = 1\n" * (1 << 18)  # 1.5 MB
    start = time.perf_counter()
    with pytest.raises(ProgramError, match="characters long"):
        parse(source)
    assert time.perf_counter() - start < 0.5


@pytest.mark.parametrize("depth", [150, 3000])
def test_deep_nesting_is_refused(depth: int) -> None:
    sources = ("y = " + "[" * depth + "1" + "]" * depth, "y = " + "-" * depth + "1")
    for source in sources:
        with pytest.raises(ProgramError) as info:
            parse(source)
        assert "nested" in info.value.message or "syntax" in info.value.message


def test_nested_loops_stop_at_the_step_limit_quickly() -> None:
    source = "for i in range(100):\n    for j in range(100000):\n        pass"
    start = time.thread_time()  # this thread's CPU time: the same on a machine busy with others
    with pytest.raises(ProgramError, match="steps"):
        run_program(parse(source))
    assert time.thread_time() - start < 10  # 2.8 s here; 13 s of wall time on a loaded GPU host


def test_lists_holding_one_list_a_thousand_times_over_are_named_quickly() -> None:
    """Naming the tensors a program keeps on its objects looks through its lists: one list
    held a thousand times at each of three levels is looked at once, not 10⁹ times."""
    source = (
        "a = [[[[0] * 1000] * 1000] * 1000]\nb = []\nb.append(b)\n"
        "x = torch.ones(2, requires_grad=True)\ny = (x * 2).sum()\n"
    )
    start = time.perf_counter()
    graph = trace(source).graph
    assert time.perf_counter() - start < 10
    assert graph.find("y") is not None


def test_nan_is_not_an_error_but_flagged_where_it_first_appears() -> None:
    graph = trace("x = -1.0\ny = sqrt(x)\nz = y * 2").graph
    y, z = graph.find("y"), graph.find("z")
    assert y is not None and z is not None
    assert y.nonfinite_value and y.nonfinite_origin
    assert z.nonfinite_value and not z.nonfinite_origin


@pytest.mark.parametrize(
    ("source", "name", "twin", "said"),
    [
        ("x = -1.0\ny = sqrt(x)\nz = y * 2", "y", torch.sqrt(torch.tensor(-1.0)), "NaN"),
        ("x = 0.0\ny = log(x)\nz = y * 2", "y", torch.log(torch.tensor(0.0)), "−inf"),
        (
            "x = torch.ones(3, requires_grad=True)\n"
            "y = x.masked_fill(torch.tensor([True, False, False]), float('inf'))\n"
            "z = (y * 0).sum()",
            "y",
            torch.ones(3).masked_fill(torch.tensor([True, False, False]), float("inf")),
            "inf",
        ),
    ],
)
def test_the_flag_says_which_non_finite_number_appears(
    source: str, name: str, twin: torch.Tensor, said: str
) -> None:
    """A causal mask's deliberate -inf reads "−inf appears here", not a NaN alarm."""
    from gradviz.render.labels import build_labels
    from gradviz.render.theme import LIGHT

    graph = trace(source).graph
    node = graph.find(name)
    assert node is not None and node.nonfinite_origin
    words = {"NaN": torch.isnan(twin).any(), "−inf": torch.isneginf(twin).any()}
    words["inf"] = torch.isposinf(twin).any()
    assert [w for w, present in words.items() if present] == [said]  # torch's own verdict
    assert build_labels(graph, LIGHT)[node.id].alert == f"{said} appears here"


def test_cancel_stops_a_running_program() -> None:
    import threading

    cancel = threading.Event()
    timer = threading.Timer(0.3, cancel.set)
    timer.start()
    source = "x = torch.randn(200, 200)\nfor i in range(100000):\n    x = (x @ x).tanh()"
    start = time.perf_counter()
    with pytest.raises(ProgramError, match="cancelled"):
        run_program(parse(source), cancel=cancel)
    assert time.perf_counter() - start < 3
    timer.cancel()


@pytest.mark.parametrize(
    "loop",
    [
        "x = 2.0\nfor i in range(100000):\n    print(i, x)",  # a tensor's text, no torch op
        "s = 0\nfor i in range(100000):\n    for j in range(9):\n        s = s + i * j",
    ],
    ids=["prints", "plain numbers"],
)
def test_cancel_stops_a_loop_that_runs_no_torch_op(loop: str) -> None:
    """The guard sees cancellation at each torch op; a loop of prints or of plain numbers runs
    none (the first took 15 s to notice: the app's next trace waited for it)."""
    import threading

    cancel = threading.Event()
    timer = threading.Timer(0.3, cancel.set)
    timer.start()
    start = time.perf_counter()
    with pytest.raises(ProgramError, match="cancelled"):
        run_program(parse(loop), cancel=cancel, on_print=lambda text: None)
    assert time.perf_counter() - start < 3
    timer.cancel()


def test_errors_carry_one_based_columns_for_non_ascii_lines() -> None:
    with pytest.raises(ProgramError) as info:
        trace("é = 2.0\nz = é * undefined_name")
    assert (info.value.line, info.value.col) == (2, 9)


def test_environment_is_untouched(tmp_path: Path) -> None:
    before = dict(os.environ)
    trace("torch.manual_seed(123)\nx = torch.randn(3, requires_grad=True)\ny = x.sum()")
    assert dict(os.environ) == before


def test_nonfinite_checks_of_many_values_equal_torchs_isfinite() -> None:
    """Small and large tensors of several dtypes (NaN, ±Inf or neither), numbers, ints and
    None, checked together: flagged exactly where torch.isfinite finds a non-finite element,
    also where finite values are big enough that their norm or sum overflows."""
    from gradviz.autograd.nonfinite import _nonfinite_all

    big = 70_000

    generator = torch.Generator().manual_seed(11)
    values: list[object] = []
    for size in (1, 7, 300, big):
        for dtype in (torch.float32, torch.float64, torch.float16, torch.bfloat16):
            for bad in (None, float("nan"), float("inf"), float("-inf")):
                t = torch.randn(size, generator=generator).to(dtype)
                if bad is not None:
                    t[size // 2] = bad
                values.append(t.reshape(-1, 1) if size % 2 else t)
    values += [torch.full((3,), 3e38), torch.full((big + 1,), 6e4, dtype=torch.float16)]
    values += [2.0, float("nan"), float("inf"), None, torch.arange(4), torch.zeros(0)]
    values += [torch.randn(4, 4, generator=generator).t()]  # not contiguous
    expected = [
        (not bool(torch.isfinite(v).all()))
        if isinstance(v, torch.Tensor) and v.is_floating_point()
        else isinstance(v, float) and not math.isfinite(v)
        for v in values
    ]
    assert _nonfinite_all(values) == expected  # type: ignore[arg-type]
    assert expected.count(True) == 4 * 4 * 3 + 2  # the test's own count: 48 tensors, 2 numbers


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        # a list that doubles itself each round: forty rounds had filled the machine's memory
        ("l = [0]\nfor i in range(40):\n    l.extend(l)\n", "over 100,000 items"),
        ("s = set()\nfor i in range(2):\n    s.update(range(10 ** 9))\n", "the limit is"),
        ("s = {1}\nfor i in range(2):\n    s = s.union(range(10 ** 9))\n", "the limit is"),
    ],
)
def test_plain_containers_cannot_grow_past_the_limits(source: str, fragment: str) -> None:
    start = time.perf_counter()
    with pytest.raises(ProgramError, match=fragment) as info:
        run_program(parse(source))
    assert info.value.line == 3
    assert time.perf_counter() - start < 10


@pytest.mark.parametrize(
    "source",
    [  # each keeps a copy a round: memory grows without bound where nothing counts them
        "l = []\nfor i in range(30000):\n    l.append(l[:])\n",
        "import torch\nt = torch.zeros(4000, 1000)\nkeep = []\nfor i in range(100):\n"
        "    keep.append(t.tolist())\n",
        "l = list(range(50000))\nkeep = []\nfor i in range(2000):\n    keep.append(l + l)\n",
        "d = dict(zip(range(50000), range(50000)))\nkeep = []\nfor i in range(1000):\n"
        "    keep.append(dict(d))\n",
        "def f(*a):\n    return a\nl = list(range(100000))\nkeep = []\nfor i in range(2000):\n"
        "    keep.append(f(*l))\n",
    ],
)
def test_lists_and_strings_a_run_makes_are_bounded_in_all(source: str) -> None:
    with pytest.raises(ProgramError, match="MiB of lists, tuples, strings and dicts") as info:
        run_program(parse(source))
    assert info.value.line == source.count("\n")  # at the copy, in the loop's last line
