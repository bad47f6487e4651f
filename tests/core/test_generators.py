"""Generators (`yield` in a function, as d2l's data_iter), iter() and next(): run as Python runs
them — a piece of the body at a time, as the reader asks — and compared with Python itself."""

from __future__ import annotations

import dataclasses
import textwrap
from pathlib import Path

import pytest
import torch

from gradviz.lang.errors import ProgramError
from gradviz.lang.interpreter import run_program
from gradviz.lang.limits import DEFAULT_LIMITS
from gradviz.lang.parser import parse
from tests.core.same_as_python import assert_refused_at, gradviz_prints, python_prints

LAZY = textwrap.dedent(
    """
    import torch
    torch.manual_seed(0)

    def batches(n):
        print('generator starts')
        for i in range(n):
            print('making batch', i)
            yield torch.randn(2) * (i + 1)
        print('generator done')

    i = 'the reader keeps its own i'
    total = torch.zeros(2)
    for b in batches(3):
        print('got', b)
        total = total + b + torch.randn(2)  # draws between the generator's draws
    print(total, i)

    for b in batches(5):
        if b.sum() != 0:
            break  # the generator is left where it is: 'generator done' never prints
    g = batches(2)
    print(g is iter(g), type(g), type(iter([1])), type(g) == type(batches(1)))
    print(next(g))
    print(next(g, 'empty'))
    print(next(g, 'empty'))
    print(next(iter([5, 6])), next(iter(range(3, 9))))

    scale = torch.tensor(1.0)

    def reader():
        for k in range(3):
            yield scale * k  # `scale` as it is when the reader asks for the next item

    for v in reader():
        print(v)
        scale = scale + 1

    def mixed(limit):
        yield from batches(1)
        with torch.no_grad():
            for j in range(limit):
                if j == 1:
                    continue
                if j == 3:
                    return
                yield j
        yield 'never'

    print(list(mixed(5)))
    for n, item in enumerate(mixed(3), 1):
        print(n, item)
    for item, label in zip(mixed(3), ['a', 'b', 'c', 'd']):
        print(item, label)
    """
)


def test_generators_run_lazily_and_print_what_python_prints(tmp_path: Path) -> None:
    expected, _ = python_prints(LAZY, tmp_path)
    assert "tensor(2.)" in expected and "tensor(6.)" in expected  # read lazily: 0, 1·2, 2·3
    assert gradviz_prints(LAZY) == expected


GRADIENTS = textwrap.dedent(
    """
    import torch
    torch.manual_seed(0)
    X = torch.randn(12, 3)
    y = X @ torch.tensor([1.0, -2.0, 0.5])
    w = torch.zeros(3, requires_grad=True)

    def minibatches(size):
        order = torch.randperm(len(X))
        for start in range(0, len(X), size):
            rows = order[start:start + size]
            yield X[rows], y[rows]

    for epoch in range(2):
        for xb, yb in minibatches(4):
            loss = ((xb @ w - yb) ** 2).mean()
            loss.backward()
            with torch.no_grad():
                w -= 0.1 * w.grad
                w.grad.zero_()
        print(epoch, loss.item())
    """
)


def test_a_training_loop_over_a_generator_gives_torchs_weights(tmp_path: Path) -> None:
    _, names = python_prints(GRADIENTS, tmp_path)
    result = run_program(parse(GRADIENTS))
    assert torch.equal(result.env["w"], names["w"])  # type: ignore[arg-type]
    assert "".join(result.printed) == python_prints(GRADIENTS, tmp_path)[0]


def test_next_of_an_exhausted_iterator_is_reported_where_it_is_called() -> None:
    source = "def one():\n    yield 1\n\ng = one()\nprint(next(g))\nprint(next(g))\n"
    assert_refused_at(source, 6, "StopIteration")
    assert_refused_at("x = next([1, 2])\n", 1, "'list' object is not an iterator")


def test_an_error_inside_a_generator_points_at_its_own_line() -> None:
    source = textwrap.dedent(
        """
        import torch

        def pairs():
            yield torch.ones(2, 3)
            yield torch.ones(2, 3) @ torch.ones(2, 3)

        for p in pairs():
            print(p.shape)
        """
    )
    assert_refused_at(source, 6, "cannot multiply")


def test_a_generator_stops_at_the_loop_limit() -> None:
    limits = dataclasses.replace(DEFAULT_LIMITS, max_loop_iterations=50)
    source = "def count():\n    for i in range(40):\n        for j in range(40):\n" \
             "            yield i\n\nfor k in count():\n    pass\n"  # fmt: skip
    with pytest.raises(ProgramError, match="went on past 50 items") as info:
        run_program(parse(source, limits), limits=limits)
    assert info.value.line == 6


@pytest.mark.parametrize(
    ("source", "line", "fragment"),
    [
        ("yield 1\n", 1, "'yield' outside function"),
        ("def f():\n    x = yield 1\n", 2, "a statement of its own"),
        ("def f():\n    print((yield 1))\n", 2, "a statement of its own"),
        ("class A:\n    def items(self):\n        yield 1\n", 3, "in a method"),
        ("def f():\n    def g():\n        return 1\n    yield g\n", 4, "cannot define"),
    ],
)
def test_yield_where_the_language_does_not_take_it_is_refused(
    source: str, line: int, fragment: str
) -> None:
    with pytest.raises(ProgramError, match=fragment) as info:
        parse(source)
    assert info.value.line == line


LOADER = textwrap.dedent(
    """
    import torch
    from torch.utils.data import TensorDataset, DataLoader
    torch.manual_seed(0)
    ds = TensorDataset(torch.randn(10, 2), torch.arange(10))
    loader = DataLoader(ds, batch_size=4, shuffle=True)
    train_features, train_labels = next(iter(loader))
    print(f"Feature batch shape: {train_features.size()}")
    print(train_labels)
    it = iter(loader)
    first = next(it)
    second = next(it)
    print(second[1], len(loader))
    for i, (xb, yb) in enumerate(loader):
        print(i, yb)
    print(type(iter(loader)))
    """
)


def test_next_of_iter_of_a_loader_prints_what_python_prints(tmp_path: Path) -> None:
    # PyTorch's "Datasets & DataLoaders": `train_features, train_labels = next(iter(loader))`
    expected, _ = python_prints(LOADER, tmp_path)
    assert gradviz_prints(LOADER) == expected


GRAD_MODES = textwrap.dedent(
    """
    import torch
    w = torch.ones(2, requires_grad=True)

    @torch.no_grad()
    def frozen(n):
        for i in range(n):
            yield w * i, torch.is_grad_enabled()

    for v, mode in frozen(2):
        print(v.requires_grad, mode, torch.is_grad_enabled())

    def leaky():
        with torch.no_grad():
            yield 1

    g = leaky()
    next(g)
    print(torch.is_grad_enabled())  # Python's too: the generator's `with` is still open
    next(g, None)
    print(torch.is_grad_enabled())
    """
)


def test_grad_modes_around_yields_are_pythons(tmp_path: Path) -> None:
    expected, _ = python_prints(GRAD_MODES, tmp_path)
    assert expected.splitlines()[-2:] == ["False", "True"]
    assert gradviz_prints(GRAD_MODES) == expected


def test_a_generator_left_waiting_is_closed_when_its_run_ends() -> None:
    """Closed in the run's own thread, as Python closes it when the program ends: its open
    `with torch.no_grad():` must not end later in whichever thread collects it."""
    import gc
    import threading

    source = "import torch\n\ndef leaky():\n    with torch.no_grad():\n        yield 1\n\n" \
             "g = leaky()\nprint(next(g))\n"  # fmt: skip
    results = []
    worker = threading.Thread(target=lambda: results.append(run_program(parse(source))))
    worker.start()
    worker.join()
    assert "".join(results[0].printed) == "1\n"
    with torch.no_grad():  # this thread's own grad mode, which the old generator must not touch
        results.clear()
        gc.collect()
        assert not torch.is_grad_enabled()
