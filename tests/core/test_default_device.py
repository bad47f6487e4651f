"""What torch's default-device mode misses, placed by gradviz: checked on the meta device, which
any machine has (the CUDA runs are in test_cuda.py)."""

from __future__ import annotations

import torch

from gradviz.lang.catalog import TORCH_NS
from gradviz.lang.default_device import placed_kwargs, shuffle_generator


def test_torch_mode_alone_leaves_normal_of_numbers_on_the_cpu() -> None:
    with torch.device("meta"):  # the reason for placed_kwargs: if torch fixes it, this fails
        assert torch.normal(0.0, 1.0, (2, 3)).device.type == "cpu"
        assert torch.randn(2).device.type == "meta"


def test_normal_of_numbers_goes_to_the_default_device() -> None:
    name = TORCH_NS.members["normal"].qualname  # type: ignore[union-attr]
    with torch.device("meta"):
        kwargs = placed_kwargs(name, [0, 1, (2, 3)], {})
        assert torch.normal(0, 1, (2, 3), **kwargs).device.type == "meta"
        assert placed_kwargs(name, [torch.zeros(2), 1.0], {}) == {}  # where its mean is
        assert placed_kwargs(name, [0, 1, (2,)], {"device": "cpu"}) == {"device": "cpu"}
        assert placed_kwargs("torch.randn", [2], {}) == {}  # torch's mode places it
    assert placed_kwargs(name, [0, 1, (2, 3)], {}) == {}  # on the CPU: nothing to add


def test_a_generator_goes_to_the_default_device_unless_one_is_named() -> None:
    name = TORCH_NS.members["Generator"].qualname  # type: ignore[union-attr]
    with torch.device("meta"):
        assert placed_kwargs(name, [], {}) == {"device": torch.device("meta")}
        assert placed_kwargs(name, ["cpu"], {}) == {}  # Generator("cpu"): as written
        assert placed_kwargs(name, [], {"device": "cpu"}) == {"device": "cpu"}
    assert placed_kwargs(name, [], {}) == {}


def test_on_the_cpu_shuffling_is_torchs_own() -> None:
    assert shuffle_generator() is None
