"""The guard counts the bytes of tensors alive at once: freed ones stop counting, so a loop that
rebinds a name runs, while one that keeps every tensor is refused before it exhausts memory."""

from __future__ import annotations

import pytest
import torch

from gradviz.lang.errors import ProgramError
from gradviz.lang.interpreter import Interpreter, run_program
from gradviz.lang.limits import Limits
from gradviz.lang.parser import parse

LIMITS = Limits(max_total_bytes=64 << 20)  # 64 MiB; each tensor below is 4 MB

REBOUND = """
total = 0.0
for i in range(100):
    x = torch.ones(1000, 1000)
    total = total + float(x[0, 0])
"""

KEPT = """
kept = []
for i in range(100):
    kept.append(torch.ones(1000, 1000))
"""


def test_tensors_freed_along_the_way_stop_counting() -> None:
    run_program(parse(REBOUND, LIMITS), limits=LIMITS)  # 400 MB made, 4 MB alive at a time


def test_tensors_kept_alive_add_up_to_the_limit() -> None:
    with pytest.raises(ProgramError, match="at once"):
        run_program(parse(KEPT, LIMITS), limits=LIMITS)


def test_a_tensor_counts_while_it_is_bound_and_stops_when_freed() -> None:
    kept = Interpreter(parse("a = torch.ones(1000, 1000)\nb = a * 2", LIMITS), limits=LIMITS)
    kept.run()
    assert kept.guard.live_bytes >= 8_000_000  # a and b, 4 MB each, still bound
    freed = Interpreter(
        parse("a = torch.ones(1000, 1000)\nb = a * 2\na = 1.0\nb = 2.0", LIMITS), limits=LIMITS
    )
    result = freed.run()
    assert isinstance(result.output, torch.Tensor)  # the run's last tensor, a * 2, is kept
    assert 4_000_000 <= freed.guard.live_bytes < 4_001_000  # a itself is no longer counted
