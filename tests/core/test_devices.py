"""Device names: the CPU and CUDA GPUs this machine has pass, anything else is a clear error."""

from __future__ import annotations

import pytest
import torch

from gradviz.devices import checked_device
from gradviz.lang.errors import ProgramError


def test_the_cpu_passes() -> None:
    assert checked_device("cpu") == torch.device("cpu")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("tpu", "unknown device 'tpu': use cpu or cuda"),
        ("cuda:x", "unknown device 'cuda:x'"),
        ("", "unknown device ''"),
        ("mps", "gradviz runs on cpu or cuda, not 'mps'"),
        ("meta", "gradviz runs on cpu or cuda, not 'meta'"),
    ],
)
def test_other_devices_are_refused_by_name(name: str, message: str) -> None:
    with pytest.raises(ProgramError, match=message):
        checked_device(name)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message without CUDA")
def test_cuda_without_a_gpu_says_so() -> None:
    with pytest.raises(ProgramError, match="CUDA is not available on this machine"):
        checked_device("cuda")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_a_gpu_beyond_the_last_is_named() -> None:
    count = torch.cuda.device_count()
    assert checked_device(f"cuda:{count - 1}").index == count - 1
    with pytest.raises(ProgramError, match=f"there is no cuda:{count}: this machine has {count}"):
        checked_device(f"cuda:{count}")


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message without CUDA")
@pytest.mark.parametrize(
    "line",
    [
        'x = torch.ones(2).to("cuda")',
        "m = nn.Linear(2, 1).cuda()",
        "x = torch.ones(2, device='cuda')",
    ],
)
def test_a_program_asking_for_a_gpu_this_machine_lacks_is_shown_the_lecture_s_idiom(
    line: str,
) -> None:
    from gradviz.autograd.tracer import trace

    with pytest.raises((RuntimeError, AssertionError)):  # torch refuses too (CPU builds: assert)
        torch.ones(2, device="cuda")
    with pytest.raises(ProgramError, match="no CUDA GPU") as caught:
        trace(f"import torch\n{line}\n")
    assert caught.value.line == 2
    assert "torch.cuda.is_available() else 'cpu'" in caught.value.message
    # the idiom it names runs here, as in example 06
    assert (
        trace(
            "my_device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')\n"
            "x = torch.ones(2, requires_grad=True).to(my_device)\nx.sum().backward()\n"
        ).graph.device
        == "cpu"
    )
