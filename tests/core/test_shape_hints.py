"""Shape errors in a student's terms: a matrix product names the operands, their shapes and the
sizes that disagree; a network names the linear layer that got the wrong number of features.
(A hint is only ever made from torch's own refusal of the operation, its RuntimeError.)"""

from __future__ import annotations

import pytest

from gradviz.autograd.tracer import trace
from gradviz.lang.errors import ProgramError

CASES = [
    (
        "W = torch.randn(3, 4, requires_grad=True)\nx = torch.randn(5)\ny = W @ x\n",
        "line 3, col 5: in `W @ x`: cannot multiply: W is 3×4 and x has 5 elements; "
        "the 4 columns of W must match the 5 elements of x",
    ),
    (
        "W = torch.randn(3, 4)\nx = torch.randn(5, 2)\ny = torch.mm(W, x)\n",
        "the 4 columns of W must match the 5 rows of x",
    ),
    (
        "W = torch.randn(3, 4)\nx = torch.randn(5)\ny = W.matmul(x)\n",
        "in `W.matmul(x)`: cannot multiply: W is 3×4 and x has 5 elements",
    ),
    (
        "x = torch.randn(3)\nW = torch.randn(4, 2)\ny = torch.matmul(x, W)\n",
        "the 3 elements of x must match the 4 rows of W",
    ),
    (
        "a = torch.randn(3)\nb = torch.randn(4)\nc = a @ b\n",
        "a has 3 elements and b has 4 elements; a dot product needs two vectors of one length",
    ),
    (
        "a = torch.randn(2, 3, 4)\nb = torch.randn(2, 5, 6)\nc = a @ b\n",
        "the last size of a (4) must match the second-to-last size of b (5)",
    ),
    (
        "layer = nn.Linear(3, 4)\nx = torch.randn(8, 5)\ny = layer(x)\n",
        "in `layer(x)`: layer is Linear(3 → 4): its input's last size must be 3, "
        "but it was given 8×5 (5 features)",
    ),
    (
        "model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(8, 1))\n"
        "y = model(torch.randn(4, 2))\n",
        "model.2 is Linear(8 → 1): its input's last size must be 8, but it was given 4×16",
    ),
    (
        "a = torch.randn(5, 3)\nb = torch.randn(5)\nc = a - b\n",
        "in `a - b`: cannot combine a (5×3) and b (5 elements) element by element: lined up "
        "from the right, their sizes at the last dimension are 3 and 5, and neither is 1",
    ),
    (
        "a = torch.randn(4, 5, 3)\nb = torch.randn(2, 1, 3)\nc = a / b\n",
        "their sizes at dimension 3 from the right are 4 and 2",
    ),
    (
        "a = torch.randn(2, 3, 4)\nb = torch.randn(3, 4)\nc = a * b.T\n",
        "a (2×3×4) and b.T (4×3)",
    ),
    (
        "a = torch.randn(2, 3)\nb = torch.randn(3, 3)\nc = torch.cat([a, b], dim=1)\n",
        "in `torch.cat([a, b], dim=1)`: torch.cat joins along dim 1, so every other size must "
        "be equal, but dim 0 differs: a is 2×3, b is 3×3; dim=0 would join them",
    ),
    (
        "a = torch.randn(2, 3)\nb = torch.randn(2, 4, 1)\nparts = [a, b.squeeze(-1)]\n"
        "c = torch.cat(parts)\n",
        "but dim 1 differs: tensor 0 is 2×3, tensor 1 is 2×4; dim=1 would join them",
    ),
    (
        "a = torch.randn(2, 3)\nb = torch.randn(4, 5)\nc = torch.concat((a, b), -1)\n",
        "torch.cat joins along dim 1, so every other size must be equal, but dim 0 differs: "
        "a is 2×3, b is 4×5\n",  # (no dim joins them: nothing more said)
    ),
]


@pytest.mark.parametrize(("source", "message"), CASES)
def test_a_shape_error_names_the_sizes_that_disagree(source: str, message: str) -> None:
    with pytest.raises(ProgramError) as caught:
        trace(source)
    assert message in str(caught.value) + "\n"


def test_shapes_that_broadcast_are_not_refused() -> None:
    source = "a = torch.randn(3, requires_grad=True)\nb = torch.randn(3, 1)\nc = a + b\n"
    graph = trace(source).graph
    output = next(n for n in graph.nodes if n.id == graph.output)
    assert tuple(output.value.shape) == (3, 3)  # as torch broadcasts them


def test_other_product_errors_keep_torchs_words() -> None:
    """Inner sizes that agree, a dtype that does not: torch says it best."""
    source = "a = torch.ones(2, 2, dtype=torch.float64)\nb = torch.ones(2, 2)\nc = a @ b\n"
    with pytest.raises(ProgramError, match="same dtype"):
        trace(source)
    batches = "a = torch.randn(2, 3, 4)\nb = torch.randn(5, 4, 6)\nc = a @ b\n"
    with pytest.raises(ProgramError) as caught:
        trace(batches)
    assert "cannot multiply" not in str(caught.value)


def test_tensors_that_cat_cannot_join_are_refused_by_torch_too() -> None:
    """What the hints say of torch.cat is torch's: these joins fail, the suggested one works."""
    import torch

    a, b = torch.randn(2, 3), torch.randn(3, 3)
    with pytest.raises(RuntimeError):
        torch.cat([a, b], dim=1)
    assert torch.cat([a, b], dim=0).shape == (5, 3)
    with pytest.raises(RuntimeError):
        torch.cat([torch.randn(2, 3), torch.randn(4, 5)], dim=-1)
