"""A larger tensor's box shows its mean and standard deviation and is coloured by its root mean
square: each equals torch's own computation in double precision, huge and tiny values too."""

from __future__ import annotations

import pytest
import torch

from gradviz.render.labels import format_number, magnitude, tensor_text

torch.manual_seed(7)
TENSORS = [
    torch.randn(50, 40),
    torch.randn(512, 1024) * 3 + 100,  # a large mean next to a small spread
    torch.rand(7) * 1e-3,
    torch.randn(30, 30) * 1e25,  # squares overflow float32
    torch.randn(30, 30) * 1e-25,  # squares underflow float32
    torch.randn(3, 4, 5, dtype=torch.float64),
    torch.randn(8, 8).half(),
    torch.full((5, 3), 0.1),  # every element the same: no spread at all
]


@pytest.mark.parametrize("index", range(len(TENSORS)))
def test_mean_and_spread_are_torch_s(index: int) -> None:
    value = TENSORS[index]
    exact = value.double()
    expected = (
        f"μ {format_number(float(exact.mean()), 3)} · σ {format_number(float(exact.std()), 3)}"
    )
    assert tensor_text(value) == expected


@pytest.mark.parametrize("index", range(len(TENSORS)))
def test_gradient_magnitude_is_the_root_mean_square(index: int) -> None:
    value = TENSORS[index]
    expected = float(value.double().pow(2).mean().sqrt())
    assert magnitude(value) == pytest.approx(expected, rel=1e-5)


def test_integer_tensors_show_their_range() -> None:
    value = torch.tensor([[4, -2, 9], [0, 3, 1], [7, 7, 7]])
    low, high = float(value.min()), float(value.max())
    assert tensor_text(value) == f"min {format_number(low, 3)} · max {format_number(high, 3)}"


def test_non_finite_values_show_as_torch_gives_them() -> None:
    value = torch.tensor([1.0, float("inf"), 2.0, 3.0, 4.0, 5.0, 6.0])
    exact = value.double()
    mean, std = format_number(float(exact.mean()), 3), format_number(float(exact.std()), 3)
    assert tensor_text(value) == f"μ {mean} · σ {std}"


def test_the_magnitude_of_integer_values_is_their_root_mean_square_too() -> None:
    value = torch.tensor([[3, 4], [0, -5]])
    assert magnitude(value) == pytest.approx(float(value.double().pow(2).mean().sqrt()))


def test_a_mean_that_rounding_cannot_tell_from_zero_reads_zero() -> None:
    """The cross-entropy gradient w.r.t. the logits: each row sums to 0 exactly (softmax − one
    hot), so its mean is 0; float32 leaves a residue of ~1e-10, shown as 0.0. A real mean many
    times that residue is still shown as torch gives it."""
    from gradviz.autograd.tracer import trace

    source = (
        "torch.manual_seed(1)\nlogits = torch.randn(4, 3, requires_grad=True)\n"
        "labels = torch.tensor([0, 2, 1, 2])\nloss = F.cross_entropy(logits, labels)\n"
        "loss.backward()\n"
    )
    graph = trace(source).graph
    grad = next(n.grad for n in graph.nodes if n.name == "logits")
    assert isinstance(grad, torch.Tensor)
    torch.testing.assert_close(grad.sum(1), torch.zeros(4), atol=1e-6, rtol=0)
    std = format_number(float(grad.double().std()), 3)
    assert tensor_text(grad) == f"μ 0.0 · σ {std}"
    shifted = grad + 1e-4  # a mean of 1e-4: far above float32's rounding of these elements
    mean = format_number(float(shifted.double().mean()), 3)
    assert tensor_text(shifted).startswith(f"μ {mean} · σ ")
    assert mean != "0.0"


def test_kept_statistics_follow_an_in_place_change_and_never_outlive_their_tensor() -> None:
    """Mean and spread are kept per tensor (a graph's labels are built several times): an
    in-place change is seen, and a new tensor that gets a freed one's id is read afresh."""

    def expected(value: torch.Tensor) -> str:
        exact = value.double()
        mean, std = float(exact.mean()), float(exact.std())
        return f"μ {format_number(mean, 3)} · σ {format_number(std, 3)}"

    value = torch.randn(40, 30)
    assert tensor_text(value) == expected(value)
    value.mul_(4).add_(2)
    assert tensor_text(value) == expected(value)
    assert magnitude(value) == pytest.approx(float(value.double().pow(2).mean().sqrt()), rel=1e-6)
    for scale in range(1, 30):  # CPython reuses a freed object's id: some of these share one
        fresh = torch.randn(20, 20) * scale - scale
        assert tensor_text(fresh) == expected(fresh)
        rms = float(fresh.double().pow(2).mean().sqrt())
        assert magnitude(fresh) == pytest.approx(rms, rel=1e-6)
        del fresh


@pytest.mark.parametrize(
    ("scale", "shift"), [(1.0, 0.0), (3.0, 100.0), (1e-3, -5.0), (1e12, 1e13), (1e-12, 0.0)]
)
def test_float32_spread_and_mean_are_torch_s_in_double_to_a_millionth(
    scale: float, shift: float
) -> None:
    """Large float32 tensors take float32's own sums (four times faster than summing in
    double): mean and spread still within a millionth of torch's in double."""
    from gradviz.render.labels import std_mean

    value = torch.randn(300, 700) * scale + shift
    std, mean = std_mean(value)
    exact_std, exact_mean = torch.std_mean(value.double())
    assert std == pytest.approx(float(exact_std), rel=1e-6)
    assert mean == pytest.approx(float(exact_mean), rel=1e-6, abs=1e-6 * float(exact_std))


def test_a_mean_s_gradient_has_no_spread_at_all() -> None:
    """Every element the same (loss = out.mean() sends 1/n to each): σ 0.0 and μ exactly
    1/n, not float32's residue."""
    value = torch.full((400, 250), 1 / 100_000)
    assert tensor_text(value) == f"μ {format_number(1 / 100_000, 3)} · σ 0.0"
