"""The eager-only torch._dynamo stand-in: optimizers step exactly as with the real module, and
anything else (torch.compile) still gets the real one. Each case runs in a fresh interpreter,
since which module `import torch._dynamo` gives is decided once per process."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from gradviz.dynamo_stand_in import EagerDynamo

OPTIMIZERS = """
import json, sys
from gradviz import dynamo_stand_in
if sys.argv[1] == "stand-in":
    dynamo_stand_in.install()
import torch
from gradviz.optim.registry import KINDS
out = {}
for name, kind in KINDS.items():
    p = torch.tensor([-1.0, 1.5], requires_grad=True)
    opt = kind.cls([p], **kind.presets)
    def closure():
        opt.zero_grad()
        x, y = p
        loss = (1 - x) ** 2 + 5 * (y - x * x) ** 2
        loss.backward()
        return loss
    for _ in range(25):
        opt.step(closure)
    out[name] = [v.hex() for v in p.tolist()]
print(json.dumps({"params": out, "standing_in": dynamo_stand_in.standing_in()}))
"""


def run(script: str, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=180
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_every_optimizer_steps_bit_for_bit_as_with_the_real_module() -> None:
    with_stand_in = json.loads(run(OPTIMIZERS, "stand-in"))
    with_real = json.loads(run(OPTIMIZERS, "real"))
    assert with_stand_in["standing_in"] is True  # the real module was never loaded
    assert with_real["standing_in"] is False
    assert len(with_real["params"]) == 16
    assert with_stand_in["params"] == with_real["params"]
    moved = [p for p in with_real["params"].values() if p != [(-1.0).hex(), (1.5).hex()]]
    assert len(moved) == 16  # every optimizer took its steps


def test_torch_compile_still_gets_the_real_module() -> None:
    script = """
import sys
from gradviz import dynamo_stand_in
dynamo_stand_in.install()
import torch
torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1).step()
before = dynamo_stand_in.standing_in()
f = torch.compile(lambda x: x * 2 + 1, backend="eager")
print(f(torch.arange(3.0)).tolist(), before, dynamo_stand_in.standing_in(),
      type(sys.modules["torch._dynamo"]).__name__, hasattr(torch._dynamo, "config"))
"""
    assert run(script) == "[1.0, 3.0, 5.0] True False module True"


def test_a_submodule_import_loads_the_real_package_once() -> None:
    """`import torch._dynamo.config` with the stand-in in place: the real package is loaded,
    and the config it uses is the module the import gives (not a second copy)."""
    script = """
import sys
from gradviz import dynamo_stand_in
dynamo_stand_in.install()
import torch
import torch._dynamo.config as config
import torch._dynamo.utils
print(config is torch._dynamo.config, config is sys.modules["torch._dynamo.config"],
      torch._dynamo.utils.__spec__.name, dynamo_stand_in.standing_in())
"""
    assert run(script) == "True True torch._dynamo.utils False"


def test_not_installed_over_a_loaded_module() -> None:
    script = """
import torch._dynamo
from gradviz import dynamo_stand_in
print(dynamo_stand_in.install(), dynamo_stand_in.standing_in())
"""
    assert run(script) == "False False"


def test_the_stand_ins_answers() -> None:
    stand_in = EagerDynamo()

    def fn(x: int) -> int:
        return x + 1

    assert stand_in.disable(fn) is fn
    assert stand_in.disable(recursive=False)(fn) is fn
    assert stand_in.graph_break() is None
    with pytest.raises(AttributeError):
        stand_in.__file__  # noqa: B018  (inspect.getmodule's probe must not load the real one)
