"""The autograd errors a course's students meet most, said with what to do about them; torch's
own words follow in parentheses, shortened to their first sentence."""

from __future__ import annotations

import re

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
        "{name} holds more than one number, and backward() needs a single one: reduce it "
        "first (`.sum().backward()` or `.mean().backward()`), or pass "
        "a `gradient=` of its shape",
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
