"""The garbage collector's pauses and the start-up freeze: collection is off inside a pause and
back on after the last one (across threads), stays off where the owner turned it off, and the
objects alive at start-up are frozen once, by the CLI too."""

from __future__ import annotations

import gc
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from gradviz import collection
from gradviz.autograd.tracer import trace


def test_a_pause_turns_collection_off_and_back_on() -> None:
    assert gc.isenabled()
    with collection.paused():
        assert not gc.isenabled()
        with collection.paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer pause still holds
    assert gc.isenabled()


def test_overlapping_pauses_in_two_threads_end_with_collection_on() -> None:
    inside, leave = threading.Event(), threading.Event()

    def other() -> None:
        with collection.paused():
            inside.set()
            leave.wait(5)

    thread = threading.Thread(target=other)
    with collection.paused():
        thread.start()
        assert inside.wait(5)
    assert not gc.isenabled()  # this pause ended, the other thread's has not
    leave.set()
    thread.join(5)
    assert gc.isenabled()


def test_collection_the_owner_turned_off_stays_off() -> None:
    gc.disable()
    try:
        with collection.paused():
            assert not gc.isenabled()
        trace("x = 2.0\nx * x\n")
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_trace_leaves_collection_on_even_when_the_program_fails() -> None:
    from gradviz.lang.errors import ProgramError

    with pytest.raises(ProgramError):
        trace("x = 2.0\ny = x +\n")
    with pytest.raises(ProgramError):
        trace("x = torch.ones(3)\ny = x @ torch.ones(4)\n")
    assert gc.isenabled()


FREEZE_ONCE = """
import gc
from gradviz import collection

before = object(), [1, 2]  # alive at start-up: frozen with it
already = gc.get_freeze_count()  # (0 here; a site hook may have frozen some already)
with collection.start_up("torch"):
    assert not gc.isenabled()
    import torch
assert gc.isenabled()
frozen = gc.get_freeze_count()
assert frozen - already > 100_000, frozen  # torch's modules, classes and functions
assert not any(o is before for o in gc.get_objects())  # the frozen are no collector's concern
later = [[] for _ in range(1000)]
with collection.start_up("torch"):  # a second window: nothing more frozen
    pass
assert gc.get_freeze_count() == frozen
cycle = []
cycle.append(cycle)  # a cycle made after start-up is still collected
import weakref
class Node: pass
node = Node(); node.self = node; ref = weakref.ref(node); del node, cycle
gc.collect()
assert ref() is None
print("ok")
"""

CLI_FREEZES = """
import gc, sys
from gradviz.cli import main
code = main(["trace", sys.argv[1]])
assert code == 0, code
print("frozen", gc.get_freeze_count(), "enabled", gc.isenabled(), file=sys.stderr)
assert gc.get_freeze_count() > 100_000 and gc.isenabled()
"""


def _python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_start_up_freezes_what_the_imports_made_once() -> None:
    result = _python(FREEZE_ONCE)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_the_cli_freezes_torch_before_it_traces(tmp_path: Path) -> None:
    program = tmp_path / "p.py"
    program.write_text("x = 2.0\ny = 3.0\nx*y + exp(x*y)\n")
    result = _python(CLI_FREEZES, str(program))
    assert result.returncode == 0, result.stderr
    assert '"schema": "gradviz.graph/1"' in result.stdout
