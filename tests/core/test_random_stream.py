"""Programs and training steps running on several threads at once (as the app runs them) each
draw the random numbers they would draw alone: torch's global stream is lent to one at a time."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
import torch
from torch import nn

from gradviz.lang.interpreter import run_program
from gradviz.lang.parser import parse
from gradviz.nets.trainer import Trainer
from tests.core.test_nets import TRAINED, plain_loop

SOURCE = (
    "import torch\nfrom torch import nn\ntorch.manual_seed(0)\n"
    + "".join(f"layer{i} = nn.Linear(16, 16)\n" for i in range(12))
    + "noise = torch.randn(64)\n"
)


def on_threads(work: Callable[[], None], count: int = 3) -> None:
    errors: list[BaseException] = []

    def guarded() -> None:
        try:
            work()
        except BaseException as error:  # re-raised on the test's thread
            errors.append(error)

    threads = [threading.Thread(target=guarded) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def plain_weights() -> tuple[list[torch.Tensor], torch.Tensor]:
    torch.manual_seed(0)
    layers = [nn.Linear(16, 16) for _ in range(12)]
    return [layer.weight.detach() for layer in layers], torch.randn(64)


def test_programs_running_at_once_get_the_weights_they_get_alone() -> None:
    weights, noise = plain_weights()
    program = parse(SOURCE)

    def run_a_few() -> None:
        for _ in range(8):
            env = run_program(program).env
            torch.testing.assert_close(env["noise"], noise, rtol=0, atol=0)
            for i, weight in enumerate(weights):
                torch.testing.assert_close(env[f"layer{i}"].weight, weight, rtol=0, atol=0)

    on_threads(run_a_few)


def test_dropout_while_programs_run_draws_what_a_plain_loop_draws() -> None:
    steps = 30
    trainer = Trainer(TRAINED)  # dropout 0.2: every step draws masks from the global stream
    _, expected = plain_loop(TRAINED, steps)
    program = parse(SOURCE)
    done = threading.Event()

    def run_programs() -> None:
        while not done.is_set():
            run_program(program)

    other = threading.Thread(target=run_programs)
    other.start()
    try:
        for _ in range(steps):
            trainer.step()
    finally:
        done.set()
        other.join()
    assert trainer.metrics.batch_loss == pytest.approx(expected, abs=1e-6)
