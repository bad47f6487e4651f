"""A loss given what it computes itself (softmax's output to cross_entropy, sigmoid's to a loss
with logits, probabilities to nll_loss) is remarked on at its line; the program still runs, with
torch's numbers; the same losses given logits or log-probabilities are not."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from gradviz.autograd.tracer import trace

SETUP = "torch.manual_seed(0)\nX = torch.randn(5, 4)\ny = torch.tensor([0, 1, 2, 1, 0])\n"
LOGITS = "X @ torch.ones(4, 3, requires_grad=True)"


@pytest.mark.parametrize(
    ("line", "said"),
    [
        (f"loss = F.cross_entropy(torch.softmax({LOGITS}, dim=1), y)", "takes logits"),
        (f"loss = nn.CrossEntropyLoss()(({LOGITS}).softmax(1), y)", "takes logits"),
        (
            "loss = F.binary_cross_entropy_with_logits("
            f"torch.sigmoid({LOGITS}[:, 0]), (y > 0).float())",
            "applies sigmoid itself",
        ),
        (
            f"loss = nn.BCEWithLogitsLoss()(torch.sigmoid({LOGITS}[:, 0]), (y > 0).float())",
            "applies sigmoid itself",
        ),
        (f"loss = F.nll_loss(F.softmax({LOGITS}, dim=1), y)", "takes log-probabilities"),
        (f"loss = nn.NLLLoss()(input=nn.Softmax(dim=1)({LOGITS}), target=y)", "log-probabilities"),
    ],
)
def test_a_loss_given_what_it_computes_itself_is_remarked_on(line: str, said: str) -> None:
    result = trace(SETUP + line + "\nloss.backward()\n")
    ((at, text),) = result.warnings
    assert at == 4 and said in text


def test_the_program_still_runs_with_torchs_numbers() -> None:
    result = trace(SETUP + f"loss = F.cross_entropy(torch.softmax({LOGITS}, dim=1), y)\n")
    torch.manual_seed(0)
    X, y = torch.randn(5, 4), torch.tensor([0, 1, 2, 1, 0])
    expected = F.cross_entropy(torch.softmax(X @ torch.ones(4, 3), dim=1), y)
    loss = result.graph.node(result.graph.output)  # type: ignore[arg-type]
    torch.testing.assert_close(loss.value, expected)


@pytest.mark.parametrize(
    "line",
    [
        f"loss = F.cross_entropy({LOGITS}, y)",
        f"loss = nn.CrossEntropyLoss()({LOGITS}, y)",
        f"loss = F.nll_loss(F.log_softmax({LOGITS}, dim=1), y)",
        f"loss = F.binary_cross_entropy(torch.sigmoid({LOGITS}[:, 0]), (y > 0).float())",
        f"loss = F.binary_cross_entropy_with_logits({LOGITS}[:, 0], (y > 0).float())",
    ],
)
def test_the_same_losses_given_what_they_take_are_not(line: str) -> None:
    assert trace(SETUP + line + "\nloss.backward()\n").warnings == []


def test_a_module_built_for_it_says_so_too() -> None:
    """A network ending in nn.Softmax, trained with CrossEntropyLoss: the classic."""
    source = (
        "torch.manual_seed(0)\nmodel = nn.Sequential(nn.Linear(4, 3), nn.Softmax(dim=1))\n"
        "X = torch.randn(5, 4)\n"
        "loss = nn.CrossEntropyLoss()(model(X), torch.tensor([0, 1, 2, 1, 0]))\n"
        "loss.backward()\n"
    )
    ((at, text),) = trace(source).warnings
    assert at == 4 and "Pass the values before softmax" in text


@pytest.mark.parametrize(
    "line",
    [f"loss = F.nll_loss({LOGITS}, y)", f"loss = nn.NLLLoss()({LOGITS}, y)"],
)
def test_scores_given_to_nll_loss_are_remarked_on_and_the_graph_is_torchs(line: str) -> None:
    """Log-probabilities are never above 0: scores with a positive value are not them (checked
    in torch: these scores have one), and nll_loss of them is just minus the picked score."""
    result = trace(SETUP + line + "\nloss.backward()\n")
    ((at, text),) = result.warnings
    assert at == 4 and "nll_loss takes log-probabilities" in text and "positive" in text
    torch.manual_seed(0)
    X, y = torch.randn(5, 4), torch.tensor([0, 1, 2, 1, 0])
    scores = X @ torch.ones(4, 3)
    assert bool((scores > 0).any())
    assert bool((F.log_softmax(scores, dim=1) <= 0).all())
    ops = sorted(n.op or "" for n in result.graph.nodes if n.kind == "op")
    assert ops == ["MmBackward0", "NllLossBackward0"]  # gradviz's look added no node
    loss = result.graph.node(result.graph.output)  # type: ignore[arg-type]
    torch.testing.assert_close(loss.value, F.nll_loss(scores, y))


def test_log_softmax_across_the_batch_into_nll_loss_is_remarked_on() -> None:
    """dim=0 normalises each class over the batch (torch: rows do not sum to one, columns do);
    nll_loss reads the classes along dim 1. dim=1 and dim=-1 are right for (N, C)."""
    scores = torch.randn(5, 3)
    rows = F.log_softmax(scores, dim=0).exp().sum(1)
    assert not torch.allclose(rows, torch.ones(5))
    line = f"loss = F.nll_loss(F.log_softmax({LOGITS}, dim={{dim}}), y)"
    ((at, text),) = trace(SETUP + line.format(dim=0) + "\n").warnings
    assert at == 4 and text.startswith("log_softmax was taken along dim 0, but nll_loss reads")
    for dim in (1, -1):
        assert trace(SETUP + line.format(dim=dim) + "\n").warnings == []
