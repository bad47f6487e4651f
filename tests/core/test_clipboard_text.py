"""A copied value reads back as exactly the tensor torch holds: every element, its own dtype."""

from __future__ import annotations

import ast

import pytest
import torch

from gradviz.render.clipboard_text import MAX_COPIED_ELEMENTS, copyable, full_text


@pytest.mark.parametrize(
    "value",
    [
        torch.tensor(0.7909650206565857),
        torch.randn(3, 4, generator=torch.Generator().manual_seed(0)),
        torch.randn(2, 3, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(1)),
        torch.tensor([1e-8, 1.0, 123456.0, -3.5e12]),
        torch.tensor([0.1, 0.2, 0.3], dtype=torch.bfloat16),
        torch.tensor([0.1, 65504.0], dtype=torch.float16),
        torch.arange(-3, 5),
        torch.tensor([True, False]),
        torch.randn(4, 5).t(),  # not contiguous
        torch.randn(2, 2).neg(),
    ],
)
def test_copied_text_reads_back_exactly(value: torch.Tensor) -> None:
    text = full_text(value)
    assert text is not None and "..." not in text
    back = torch.tensor(ast.literal_eval(text), dtype=value.dtype)
    assert back.shape == value.shape
    assert torch.equal(back, value)


def test_float32_is_written_with_its_own_digits() -> None:
    # float32's 0.1 is 0.100000001490116…; written in its own precision it is 0.1
    text = full_text(torch.tensor([0.1, 0.25]))
    assert text is not None and ast.literal_eval(text) == [0.1, 0.25]


def test_numbers_none_and_the_size_cap() -> None:
    assert full_text(2.5) == "2.5"
    assert full_text(3) == "3"
    assert full_text(None) is None and not copyable(None)
    assert full_text(torch.zeros(MAX_COPIED_ELEMENTS)) is not None
    assert copyable(torch.zeros(MAX_COPIED_ELEMENTS))
    assert full_text(torch.zeros(MAX_COPIED_ELEMENTS + 1)) is None
    assert not copyable(torch.zeros(MAX_COPIED_ELEMENTS + 1))
