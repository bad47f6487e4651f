"""The autograd errors a course's students meet most, said with what to do about them; torch's
own words follow in parentheses, shortened to their first sentence."""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping, Sequence
from typing import Any

import torch

from gradviz.lang.rebinding import Rebinding, rebindings

_NUMBER_TYPES = (
    "these tensors hold different kinds of numbers: layers and torch.randn make float32, whole "
    "numbers (`torch.arange(6)`, `torch.tensor([1, 2])`) make int64: convert the input with "
    "`.float()`, or write its numbers as floats (6.0)"
)

_SAME_SHAPES = (
    "a binary loss compares each output with one target, so their shapes must be equal: "
    "`.squeeze(1)` an output of shape (N, 1), or `.view(-1, 1)` a target of shape (N,)"
)

# (what torch's message starts with or contains, what to tell the student; {name} is the
# tensor the failing call was made on, where the code names one)
HINTS: list[tuple[str, str]] = [
    (
        "element 0 of tensors does not require grad",
        "{name} depends on no tensor that requires grad, so there is nothing to differentiate: "
        "create its inputs with requires_grad=True (or write `x = 2.0`), and compute it "
        "outside `with torch.no_grad():`",
    ),
    (
        "grad can be implicitly created only for scalar outputs",
        "{name} holds more than one number, and backward() needs a single one (as does "
        "autograd.grad): reduce it first (`.sum().backward()` or `.mean().backward()`), or "
        "pass a `gradient=` of its shape (`grad_outputs=` to autograd.grad)",
    ),
    (
        "Trying to backward through the graph a second time",
        "the first backward() freed this graph's saved values: run the forward pass again "
        "before each backward(), or pass retain_graph=True to the first one",
    ),
    (
        "a leaf Variable that requires grad is being used in an in-place operation",
        "{name} is a leaf that requires grad: change it inside `with torch.no_grad():` (as an "
        "optimizer does), or make a new tensor (`x = x + 1`, not `x += 1`)",
    ),
    (
        "Only Tensors of floating point and complex dtype can require gradients",
        "whole numbers cannot require grad: write them as floats (1.0, not 1) or pass "
        "dtype=torch.float32",
    ),
    *(  # a layer's float32 weights given whole numbers (`torch.arange(6)`) or float64
        (pattern, _NUMBER_TYPES)
        for pattern in ("must have the same dtype", "to have the same dtype", " type (float) ")
    ),
    (
        "can't optimize a non-leaf Tensor",
        "an optimizer takes leaves, tensors made with requires_grad=True, not ones computed "
        "from them: `w = torch.randn(3, 1, requires_grad=True) * 0.01` computes w; write "
        "`w = (torch.randn(3, 1) * 0.01).requires_grad_()`",
    ),
    (
        "expected target dtype to be Long",
        "cross-entropy's targets are class indices, which are whole numbers: convert them "
        "with `.long()` (targets of class probabilities would have the input's shape)",
    ),
    (
        "is out of bounds.",  # cross_entropy's "Target 5 is out of bounds."
        "a class index is not below the number of classes (the logits' size along dim 1): "
        "classes are numbered 0 to C−1",
    ),
    (
        "multi-target not supported",
        "cross_entropy's target holds one class index per sample, shape (N,): flatten a "
        "target of shape (N, 1) with `.view(-1)`; a one-hot target of shape (N, C) gives its "
        "indices with `.argmax(1)`",
    ),
    (
        "not implemented for 'Long'",
        "this operation needs floats, and a tensor it got holds whole numbers (int64): convert "
        "it with `.float()` (or, for a loss, check the order: cross_entropy takes the logits "
        "first, the class indices second)",
    ),
    *(  # BCE given outputs of shape (N, 1) and targets of shape (N,)
        (pattern, _SAME_SHAPES)
        for pattern in ("must be the same as input size", "that is different to the input size")
    ),
    (
        "is invalid for input of size",  # view / reshape
        "a view or reshape keeps every element, so its sizes must multiply to the tensor's "
        "number of elements (one of them may be -1, worked out from the rest)",
    ),
    (
        "self must be a matrix",  # torch.mm of a vector
        "torch.mm multiplies two matrices (2-D): for a vector use `@` (torch.matmul) or torch.mv",
    ),
    (
        "channels, but got",  # a convolution given channels last
        "a convolution takes its input as (N, C, H, W), channels second: images laid out as "
        "(N, H, W, C) need `.permute(0, 3, 1, 2)`",
    ),
    (
        "could not infer output dtype. Input dtype must be either a floating point",
        "a mean needs numbers with fractions, and this tensor holds True/False (or whole "
        "numbers): convert it first, `(pred == y).float().mean()` for an accuracy",
    ),
    (
        "elements cannot be converted to Scalar",
        "`.item()` reads a tensor of one element, and {name} holds several: reduce it first "
        "(`.sum().item()`, `.mean().item()`), or take `.tolist()` for all of them",
    ),
    (
        "Boolean value of Tensor with more than one value is ambiguous",
        "a condition needs one True or False, and this tensor holds several: ask whether all "
        "or any of them hold, `(…).all()` or `(…).any()`",
    ),
    (
        "all elements of input should be between 0 and 1",
        "binary_cross_entropy takes probabilities (0 to 1, sigmoid's output), and these are "
        "scores: use binary_cross_entropy_with_logits (nn.BCEWithLogitsLoss), which applies "
        "sigmoid itself, or apply torch.sigmoid first",
    ),
    (
        "size mismatch (got input:",  # cross_entropy's backward, one sample with a batch target
        "an input of shape (C,) is one sample, and takes one class index, a 0-d target "
        "(`torch.tensor(1)`, no brackets); a batch of shape (N, C) takes N indices, shape (N,)",
    ),
    (
        "to match target batch_size",  # cross_entropy / nll_loss
        "the loss takes one target per sample, so its input and its target must have the same "
        "first size (the batch): check that the targets belong to these outputs",
    ),
    (
        "can't be cast to the desired output type Long",
        "binary cross-entropy's targets are floats (0.0 or 1.0), not whole numbers: convert "
        "them with `.float()`",
    ),
    (
        "derivative for aten::floor_divide is not implemented",
        "`//` (floor division) has no derivative in PyTorch, so backward() cannot pass through "
        "it: write `torch.floor(a / b)` (its gradient is 0 almost everywhere) where the step "
        "is wanted, or plain `/` where it is not",
    ),
    (
        "'indices' to have one of the following scalar types",
        "an embedding looks its rows up by index, so its input must hold whole numbers: "
        "convert it with `.long()`",
    ),
]

_FIRST_SENTENCE = re.compile(r"^(.*?[.!?])(\s|$)")


def autograd_hint(message: str, name: str | None) -> str | None:
    """What to tell the student for torch's `message`, or None for other errors."""
    for pattern, hint in HINTS:
        if pattern in message:
            found = _FIRST_SENTENCE.match(message)
            torch_words = (found.group(1) if found else message).rstrip(".")
            return f"{hint.format(name=name or 'the tensor')} (torch: {torch_words})"
    return None


def none_grad_hint(
    expr: ast.AST | None, env: Mapping[str, Any], value: object = None, lines: Sequence[str] = ()
) -> str | None:
    """Why `name.grad` (`expr`, whose value is `value`) is None, where `name` holds a tensor
    (`lines`: the program, for a step that rebound the name)."""
    if value is not None or not (isinstance(expr, ast.Attribute) and expr.attr == "grad"):
        return None
    if not isinstance(expr.value, ast.Name):
        return None
    name, owner = expr.value.id, env.get(expr.value.id)
    if not isinstance(owner, torch.Tensor):
        return None
    if owner.grad_fn is not None and (step := _rebinding(name, lines)) is not None:
        return (
            f"`{name}.grad` is None because `{name}` is not a leaf any more: line {step.line} "
            f"(`{step.code}`) made it a new tensor computed from the old one "
            f"({owner.grad_fn.name()}). Update it in place inside `with torch.no_grad():`, "
            f"`{step.in_place()}`, so that it stays the leaf"
        )
    if owner.grad_fn is not None:
        return (
            f"`{name}.grad` is None because `{name}` is not a leaf: it was computed "
            f"({owner.grad_fn.name()}), and backward() fills .grad only for leaves. For "
            f"example `{name} = torch.randn(3, 1, requires_grad=True) * 0.01` computes {name} "
            f"from the leaf randn made: `{name} = (torch.randn(3, 1) * 0.01).requires_grad_()` "
            f"makes {name} itself the leaf"
        )
    if not owner.requires_grad and (step := _rebinding(name, lines)) and step.under_no_grad:
        return (
            f"`{name}.grad` is None because `{name}` does not require grad any more: line "
            f"{step.line} (`{step.code}`) made it a new tensor inside `with torch.no_grad():`. "
            f"Update it in place, `{step.in_place()}`, so that it stays the leaf"
        )
    if not owner.requires_grad:
        return (
            f"`{name}.grad` is None: `{name}` does not require grad, so backward() gives it "
            "none; create it with requires_grad=True"
        )
    return (
        f"`{name}.grad` is None: no backward() has reached `{name}` since it was made or "
        "since zero_grad() set it to None; call loss.backward() first"
    )


def _rebinding(name: str, lines: Sequence[str]) -> Rebinding | None:
    """The program's `name = … name.grad …`, if it has one (parsed again: an error's path)."""
    if not lines:
        return None
    from gradviz.lang.parser import parse_python  # (the parser imports the evaluator's modules)

    found = [r for r in rebindings(parse_python("\n".join(lines)), list(lines)) if r.name == name]
    return found[0] if found else None
