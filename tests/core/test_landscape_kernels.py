"""The landscape's own kernels against torch's: the clamped logsumexp, the target's logit picked
without gather, and the affine results shared by a landscape's chunks."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call
from torch.utils._python_dispatch import TorchDispatchMode

import gradviz.nets.landscape as landscape_module
from gradviz.autograd.tracer import trace
from gradviz.nets.affine import Affine, affine_call
from gradviz.nets.batched import Batched, WithOnes, batched_call
from gradviz.nets.batched_losses import logsumexp
from gradviz.nets.batched_value import Product
from gradviz.nets.landscape import random_landscape
from gradviz.nets.replay import replay_loss
from tests.core.landscape_grid import assert_grid_equals

INF, NAN = float("inf"), float("nan")


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("spread", [0.1, 5.0, 40.0, 400.0])
def test_logsumexp_equals_torch_from_close_to_far_apart_terms(
    dtype: torch.dtype, spread: float
) -> None:
    """Far-apart terms (spread 400: e^-800 underflows) are where the clamp acts; a clamp at a
    less negative exponent would change the sums of the 5 and 40 spreads."""
    generator = torch.Generator().manual_seed(int(spread * 10))
    x = (torch.randn(6, 50, 3, generator=generator) * spread).to(dtype)
    for dim in (0, 1, 2):
        torch.testing.assert_close(logsumexp(x, dim), torch.logsumexp(x, dim, keepdim=True))


def test_logsumexp_of_gaps_just_beyond_the_clamp() -> None:
    gaps = torch.tensor([[0.0, -70.0], [0.0, -79.0], [0.0, -81.0], [0.0, -90.0], [3.0, -200.0]])
    for dtype in (torch.float32, torch.float64):
        x = gaps.to(dtype)
        torch.testing.assert_close(logsumexp(x, 1), torch.logsumexp(x, 1, keepdim=True))


def test_logsumexp_with_infinities_and_nan_is_torchs() -> None:
    x = torch.tensor(
        [[1.0, INF, 0.0], [-INF, -INF, -INF], [2.0, -INF, 1.0], [NAN, 1.0, 0.0], [-INF, 5.0, 4.0]]
    )
    torch.testing.assert_close(logsumexp(x, 1), torch.logsumexp(x, 1, keepdim=True), equal_nan=True)


def cross_entropy_program(classes: int, options: str, scale: float) -> str:
    return f"""
import torch
import torch.nn.functional as F
from torch import nn
torch.manual_seed(4)
model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, {classes}))
X = torch.randn(30, 2) * {scale}
y = torch.randint(0, {classes}, (30,))
loss = F.cross_entropy(model(X) * {scale}, y{options})
"""


@pytest.mark.parametrize("classes", [2, 4, 6])  # 2 and 4 by torch.where, 6 by gather
@pytest.mark.parametrize("options", ["", ", ignore_index=1", ", reduction='sum'"])
@pytest.mark.parametrize("scale", [1.0, 60.0])  # 60: logits hundreds apart
def test_batched_cross_entropy_equals_plain_torch(classes: int, options: str, scale: float) -> None:
    loss, base = replay_loss(trace(cross_entropy_program(classes, options, scale)).graph)
    torch.manual_seed(4)
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, classes))
    X = torch.randn(30, 2) * scale
    y = torch.randint(0, classes, (30,))
    torch.manual_seed(9)
    settings = [{k: v + s * torch.randn_like(v) for k, v in base.items()} for s in (0, 0.5, -2.0)]
    together = loss.batched({k: torch.stack([p[k] for p in settings]) for k in base})
    keyword = {"ignore_index": 1} if "ignore" in options else {}
    reduction = "sum" if "sum" in options else "mean"
    with torch.no_grad():
        expected = torch.stack(
            [
                F.cross_entropy(
                    functional_call(model, {k.removeprefix("model."): v for k, v in p.items()}, X)
                    * scale,
                    y,
                    reduction=reduction,
                    **keyword,  # type: ignore[arg-type]
                )
                for p in settings
            ]
        )
    torch.testing.assert_close(together, expected, atol=1e-5, rtol=1e-5)


MLP = """
import torch
import torch.nn.functional as F
from torch import nn
torch.manual_seed(3)
model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 2))
X = torch.randn(25, 2)
y = (X[:, 0] * X[:, 1] > 0).long()
loss = F.cross_entropy(model(X), y)
"""


class ProductsWith(TorchDispatchMode):
    """Counts the aten calls that read a given tensor (by its storage)."""

    def __init__(self, tensor: torch.Tensor) -> None:
        super().__init__()
        self.pointer = tensor.untyped_storage().data_ptr()
        self.count = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
        for arg in args:
            if isinstance(arg, torch.Tensor) and arg.untyped_storage().data_ptr() == self.pointer:
                self.count += 1
        return func(*args, **(kwargs or {}))


def test_chunks_share_the_first_layers_products_and_equal_plain_torch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Many small chunks: the data enters the first layer's three products (θ, d₁, d₂) once in
    all, not once per chunk, and every point still equals plain torch at that point."""
    graph = trace(MLP).graph
    loss, base = replay_loss(graph)
    data = next(n.value for n in graph.nodes if n.name == "X")
    monkeypatch.setitem(landscape_module.CHUNK_BYTES, "cpu", 20_000)  # a few points a chunk
    assert 1 < landscape_module.chunk_size(loss, base) < 8
    counter = ProductsWith(data)
    with counter:
        landscape = random_landscape(loss, base, grid=7, span=1.2, seed=2)
    assert landscape.method == "batched"
    assert counter.count == 3 + 1  # and once more for the loss at the centre, alone

    torch.manual_seed(3)
    model = nn.Sequential(
        nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 2)
    )
    X = torch.randn(25, 2)
    y = (X[:, 0] * X[:, 1] > 0).long()

    def plain(params: dict[str, torch.Tensor]) -> float:
        named = {k.removeprefix("model."): v for k, v in params.items()}
        return float(F.cross_entropy(functional_call(model, named, (X,)), y))

    assert_grid_equals(landscape, base, 2, plain)


def test_materialised_matrices_carry_a_row_of_exact_ones() -> None:
    coeffs = torch.tensor([[1.0, 0.3, -2.0], [1.0, -1.5, 0.25], [1.0, 7.0, 3.0]])
    parts = [torch.randn(5, 4) for _ in range(3)]
    value = Affine(parts, coeffs).materialised()
    assert isinstance(value, WithOnes)
    expected = torch.stack([sum(c * p for c, p in zip(row, parts, strict=True)) for row in coeffs])
    torch.testing.assert_close(value.tensor, expected)
    assert torch.equal(value.storage[:, -1, :], torch.ones(3, 5))


@pytest.mark.parametrize("bias_kind", ["batched", "constant"])
def test_a_product_with_the_row_of_ones_adds_the_bias_in_the_product(bias_kind: str) -> None:
    """relu(first layer) @ Wᵀ + b, with m1 carrying its row of ones through the in-place ReLU,
    against torch.addmm slice by slice; the ones must come out of the ReLU unchanged."""
    coeffs = torch.tensor([[1.0, 0.5, -1.0], [1.0, 2.0, 0.25]])
    hidden = Affine([torch.randn(6, 4) for _ in range(3)], coeffs).materialised()
    activated = batched_call("aten.relu.default", [hidden], {}, donated=True)
    assert isinstance(activated, WithOnes)
    weight_t = Batched(torch.randn(2, 4, 3))  # per slice (k=4) × (n=3)
    bias = Batched(torch.randn(2, 3)) if bias_kind == "batched" else torch.randn(3)
    out = batched_call("aten.addmm.default", [bias, activated, weight_t], {})
    for i in range(2):
        b = bias.tensor[i] if isinstance(bias, Batched) else bias
        expected = torch.addmm(b, activated.tensor[i], weight_t.tensor[i])
        torch.testing.assert_close(out.tensor[i], expected)
    assert torch.equal(activated.storage[:, -1, :], torch.ones(2, 6))


def _batched_cross_entropy(logits: torch.Tensor, target: torch.Tensor, **options: int) -> object:
    log_probs = batched_call("aten._log_softmax.default", [Batched(logits), 1, False], {})
    reduction, ignore_index = options.get("reduction", 1), options.get("ignore_index", -100)
    out, _ = batched_call(
        "aten.nll_loss_forward.default", [log_probs, target, None, reduction, ignore_index], {}
    )
    return out.tensor


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_two_class_cross_entropy_from_tiny_to_huge_gaps(dtype: torch.dtype) -> None:
    """Two classes take softplus of the logit gap: gaps of 0 to ±300 (and just past the −80
    clamp) against F.cross_entropy slice by slice, each target, with and without ignored ones."""
    gaps = torch.tensor([0.0, 0.3, -2.0, 19.0, 21.0, -79.0, -81.0, -120.0, 300.0, -300.0])
    first = torch.linspace(-3, 3, len(gaps))
    slices = torch.stack([torch.stack([first, first + s * gaps], dim=1) for s in (1.0, -0.5)])
    logits = slices.to(dtype)  # 2 settings × 10 samples × 2 classes
    target = torch.tensor([0, 1, 1, 0, 1, 0, 1, 0, 1, 0])
    for options in ({}, {"ignore_index": 1}, {"reduction": 2}, {"reduction": 0}):
        got = _batched_cross_entropy(logits, target, **options)
        reduction = {0: "none", 1: "mean", 2: "sum"}[options.get("reduction", 1)]
        keyword = {"ignore_index": 1} if "ignore_index" in options else {}
        expected = torch.stack(
            [F.cross_entropy(s, target, reduction=reduction, **keyword) for s in logits]  # type: ignore[arg-type]
        )
        torch.testing.assert_close(got, expected, atol=1e-6, rtol=1e-6)


def test_two_class_cross_entropy_with_infinite_logits_is_not_finite_where_torchs_is() -> None:
    logits = torch.tensor([[[1.0, INF], [0.0, 2.0]], [[-INF, 0.0], [NAN, 1.0]]])
    target = torch.tensor([0, 1])
    got = _batched_cross_entropy(logits, target, reduction=0)
    expected = torch.stack([F.cross_entropy(s, target, reduction="none") for s in logits])
    # not finite exactly where torch's is (an infinite logit may give inf where torch gives nan)
    assert torch.equal(got.isfinite(), expected.isfinite())
    finite = expected.isfinite()
    torch.testing.assert_close(got[finite], expected[finite])


def test_cpu_chunks_keep_every_intermediate_below_glibcs_mmap_threshold(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """However large the byte budget, no one intermediate of a chunk outgrows what glibc serves
    from its reusable heap (blocks over 32 MiB come as fresh pages, faulted in every chunk):
    here the widest, a 512-wide hidden layer over 2,000 points, is 4 MB a point."""
    program = (
        "import torch\nfrom torch import nn\ntorch.manual_seed(0)\n"
        "model = nn.Sequential(nn.Linear(2, 512), nn.Tanh(), nn.Linear(512, 1))\n"
        "X = torch.randn(2000, 2)\nloss = (model(X) ** 2).mean()\n"
    )
    loss, base = replay_loss(trace(program).graph)
    monkeypatch.setitem(landscape_module.CHUNK_BYTES, "cpu", 1 << 30)
    per_point = 2000 * 512 * 4  # the hidden layer's values at one grid point, as torch has them
    count = landscape_module.chunk_size(loss, base)
    assert count >= 1 and count * per_point <= 32 << 20
    assert (count + 1) * per_point > landscape_module.LARGEST_CPU_TENSOR  # as many as fit


def test_two_class_signs_follow_the_target_changed_in_place_and_its_dtype() -> None:
    """The signs kept for a landscape's chunks are the target's as it is now: the same tensor
    after an in-place change, another target, another dtype, an ignored item appearing."""
    generator = torch.Generator().manual_seed(5)
    logits = torch.randn(3, 8, 2, generator=generator)
    target = torch.tensor([0, 1, 1, 0, 1, 0, 0, 1])

    def check(t: torch.Tensor, dtype: torch.dtype = torch.float32, **options: int) -> None:
        got = _batched_cross_entropy(logits.to(dtype), t, reduction=0, **options)
        expected = torch.stack(
            [F.cross_entropy(s, t, reduction="none", **options) for s in logits.to(dtype)]  # type: ignore[arg-type]
        )
        torch.testing.assert_close(got, expected)

    check(target)
    target[0], target[1] = 1, 0  # in place: the same tensor object
    check(target)
    check(target, torch.float64)
    check(1 - target)
    target[2] = -100  # now ignored
    check(target, ignore_index=-100)


@pytest.mark.parametrize("bias_kind", ["none", "per class", "shared", "batched"])
def test_a_products_column_gap_is_the_difference_of_its_columns(bias_kind: str) -> None:
    generator = torch.Generator().manual_seed(7)
    weights = torch.randn(3, 4, 5, generator=generator)  # 3 settings, 4 outputs, k = 5
    values = torch.randn(3, 5, 6, generator=generator)  # n = 6 items
    initial = {
        "none": None,
        "per class": torch.randn(4, 1, generator=generator),
        "shared": torch.randn(1, 1, generator=generator),
        "batched": torch.randn(3, 4, 1, generator=generator),
    }[bias_kind]
    beta, alpha = (1.0, 1.0) if initial is None else (0.5, -2.0)
    product = torch.bmm(weights, values) * alpha + (0 if initial is None else beta * initial)
    expected = product[:, 3] - product[:, 1]  # columns 3 and 1 of each n × out slice
    lazy = Product(weights, values, initial, beta, alpha)
    torch.testing.assert_close(lazy.column_gap(3, 1), expected)
    assert lazy._tensor is None  # the gap alone: the product was never computed
    torch.testing.assert_close(lazy.tensor, product.mT)
    torch.testing.assert_close(lazy.column_gap(3, 1), expected)


def test_two_class_cross_entropy_after_a_linear_layer_needs_only_the_logit_gap() -> None:
    """hidden @ Wᵀ + b, then cross-entropy of two classes: the loss from the gap's own product
    equals F.cross_entropy slice by slice, the logits never computed; an infinite weight takes
    aten's path and its infinities, as torch does."""
    generator = torch.Generator().manual_seed(8)
    hidden = Batched(torch.randn(3, 7, 4, generator=generator))  # 3 settings × 7 items × 4
    weight_t, bias = torch.randn(4, 2, generator=generator), torch.randn(2, generator=generator)
    target = torch.tensor([0, 1, 1, 0, 1, 0, 0])
    for weight in (weight_t, weight_t.clone().index_put_((torch.tensor(2), torch.tensor(1)),
                                                         torch.tensor(INF))):  # fmt: skip
        logits = batched_call("aten.addmm.default", [bias, hidden, weight], {})
        assert isinstance(logits, Product)
        log_probs = batched_call("aten._log_softmax.default", [logits, 1, False], {})
        got, _ = batched_call(
            "aten.nll_loss_forward.default", [log_probs, target, None, 0, -100], {}
        )
        expected = torch.stack(
            [F.cross_entropy(s @ weight + bias, target, reduction="none") for s in hidden.tensor]
        )
        assert torch.equal(got.tensor.isfinite(), expected.isfinite())
        finite = expected.isfinite()
        torch.testing.assert_close(got.tensor[finite], expected[finite])
        assert (logits._tensor is None) == bool(weight.isfinite().all())


def _at(value: Affine, row: list[float]) -> torch.Tensor:
    return sum((c * p for c, p in zip(row, value.parts, strict=True)), torch.tensor(0.0))


@pytest.mark.parametrize("bias_kind", ["affine", "constant", "none"])
@pytest.mark.parametrize("input_kind", ["with ones", "plain"])
def test_a_layer_with_affine_weights_makes_them_only_when_a_product_reads_them(
    bias_kind: str, input_kind: str
) -> None:
    """h @ Wᵀ + b with W and b affine in the grid coordinates and h batched: a lazy Product of
    [Wᵀ | b] (one small product per chunk), equal slice by slice to torch.addmm; its logit
    gap made from the rows' difference alone; the next chunk reuses the first one's basis."""
    generator = torch.Generator().manual_seed(11)

    def parts(*shape: int) -> list[torch.Tensor]:
        return [torch.randn(*shape, generator=generator) for _ in range(3)]

    chunks = [torch.tensor([[1.0, 0.5, -1.0], [1.0, 2.0, 0.25]]), torch.tensor([[1.0, -3.0, 0.7]])]
    weight = Affine(parts(4, 5), chunks[0])
    transposed = affine_call("aten.t.default", [weight], {})
    bias: Affine | torch.Tensor | None = {
        "affine": Affine(parts(4), chunks[0]),
        "constant": torch.randn(4, generator=generator),
        "none": None,
    }[bias_kind]
    for coeffs in chunks:  # the next chunk's values as the landscape's memo makes them
        t_now = transposed.with_coeffs(coeffs)
        bias_now = bias.with_coeffs(coeffs) if isinstance(bias, Affine) else bias
        count = coeffs.shape[0]
        if input_kind == "with ones":
            h = Affine(parts(6, 5), coeffs).materialised()  # 6 items × 5 features, and ones
            assert isinstance(h, WithOnes)
        else:
            h = Batched(torch.randn(count, 6, 5, generator=generator))
        op, args = (
            ("aten.mm.default", [h, t_now])
            if bias_now is None
            else ("aten.addmm.default", [bias_now, h, t_now])
        )
        out = affine_call(op, args, {})
        assert isinstance(out, Product)
        expected = []
        for i, row in enumerate(coeffs.tolist()):
            product = h.tensor[i] @ _at(weight, row).t()
            b = _at(bias, row) if isinstance(bias, Affine) else bias
            expected.append(product if b is None else product + b)
        wanted = torch.stack(expected)
        torch.testing.assert_close(out.column_gap(2, 0), wanted[..., 2] - wanted[..., 0])
        assert out._tensor is None
        torch.testing.assert_close(out.tensor, wanted)
        assert len(transposed.derived) == 1  # one basis: the first chunk's, kept for the next


@pytest.mark.parametrize("classes", [2, 3])
def test_layers_without_bias_and_leaky_relus_equal_plain_torch_at_every_grid_point(
    classes: int,
) -> None:
    """Linear layers with and without a bias, a leaky ReLU run over the first layer's row of
    ones (it leaves 1 as it is) and a ReLU: every grid point against F.cross_entropy."""
    program = f"""
import torch
import torch.nn.functional as F
from torch import nn
torch.manual_seed(9)
model = nn.Sequential(nn.Linear(2, 8, bias=False), nn.LeakyReLU(0.2), nn.Linear(8, 8), nn.ReLU(),
                      nn.Linear(8, {classes}, bias=False))
X = torch.randn(20, 2)
y = torch.arange(20) % {classes}
loss = F.cross_entropy(model(X), y)
"""
    loss, base = replay_loss(trace(program).graph)
    landscape = random_landscape(loss, base, grid=5, span=1.5, seed=3)
    assert landscape.method == "batched"
    torch.manual_seed(9)
    model = nn.Sequential(
        nn.Linear(2, 8, bias=False), nn.LeakyReLU(0.2), nn.Linear(8, 8), nn.ReLU(),
        nn.Linear(8, classes, bias=False),
    )  # fmt: skip
    X = torch.randn(20, 2)
    y = torch.arange(20) % classes

    def plain(params: dict[str, torch.Tensor]) -> float:
        named = {k.removeprefix("model."): v for k, v in params.items()}
        return float(F.cross_entropy(functional_call(model, named, (X,)), y))

    assert_grid_equals(landscape, base, 3, plain)
