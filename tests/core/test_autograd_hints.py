"""The autograd errors students meet most say what to do, then torch's own first sentence."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch

from gradviz.autograd.tracer import trace
from gradviz.lang.errors import ProgramError

CASES = [
    (
        "x = torch.randn(4, 3)\ny = x.view(5, 3)\n",
        (2, 5),
        "a view or reshape keeps every element, so its sizes must multiply",
        "shape '[5, 3]' is invalid for input of size 12",
    ),
    (
        "a = torch.randn(3)\nb = torch.randn(3, 2)\nc = torch.mm(a, b)\n",
        (3, 5),
        "torch.mm multiplies two matrices (2-D): for a vector use `@`",
        "self must be a matrix",
    ),
    (
        "conv = nn.Conv2d(1, 4, 3)\nx = torch.randn(1, 28, 28, 1)\ny = conv(x)\n",
        (3, 5),
        "a convolution takes its input as (N, C, H, W), channels second",
        "Given groups=1, weight of size [4, 1, 3, 3], expected input[1, 28, 28, 1] to have 1 "
        "channels",
    ),
    (
        "logits = torch.randn(4, 3)\ny = torch.tensor([0, 1, 2, 1])\n"
        "acc = (logits.argmax(1) == y).mean()\n",
        (3, 7),
        "a mean needs numbers with fractions, and this tensor holds True/False",
        "mean(): could not infer output dtype",
    ),
    (
        "x = torch.ones(3)\nprint(x.item())\n",
        (2, 7),
        "`.item()` reads a tensor of one element, and `x` holds several",
        "a Tensor with 3 elements cannot be converted to Scalar",
    ),
    (
        "x = torch.ones(3)\nif x > 0:\n    print(1)\n",
        (2, 4),
        "a condition needs one True or False, and this tensor holds several",
        "Boolean value of Tensor with more than one value is ambiguous",
    ),
    (
        "torch.manual_seed(0)\nmodel = nn.Linear(4, 1)\nX = torch.randn(8, 4)\n"
        "t = (torch.randn(8, 1) > 0).float()\nloss = F.binary_cross_entropy(model(X), t)\n",
        (5, 8),
        "binary_cross_entropy takes probabilities (0 to 1, sigmoid's output)",
        "all elements of input should be between 0 and 1",
    ),
    (
        "logits = torch.randn(3, requires_grad=True)\ny = torch.tensor([1])\n"
        "loss = F.cross_entropy(logits, y)\nloss.backward()\n",
        (4, 1),
        "an input of shape (C,) is one sample, and takes one class index, a 0-d target",
        "size mismatch (got input: [3], target: [1])",
    ),
    (
        "w = torch.ones(3, requires_grad=True)\ng = torch.autograd.grad(w * 2, w)\n",
        (2, 5),
        "`w * 2` holds more than one number, and backward() needs a single one (as does "
        "autograd.grad)",
        "grad can be implicitly created only for scalar outputs",
    ),
    (
        "logits = torch.randn(4, 3, requires_grad=True)\ny = torch.tensor([0, 1, 2])\n"
        "loss = F.cross_entropy(logits, y)\n",
        (3, 8),
        "the loss takes one target per sample, so its input and its target must have the same "
        "first size",
        "Expected input batch_size (4) to match target batch_size (3)",
    ),
    (
        "x = torch.ones(3)\ny = (x * 2).sum()\ny.backward()\n",
        (3, 1),
        "`y` depends on no tensor that requires grad",
        "element 0 of tensors does not require grad",
    ),
    (
        "x = torch.ones(3, requires_grad=True)\nwith torch.no_grad():\n    y = x * 2\n"
        "y.sum().backward()\n",
        (4, 1),
        "compute it outside `with torch.no_grad():`",
        "element 0 of tensors",
    ),
    (
        "x = torch.ones(3, requires_grad=True)\ny = x * 2\ny.backward()\n",
        (3, 1),
        "`y` holds more than one number, and backward() needs a single one",
        "grad can be implicitly created only for scalar outputs",
    ),
    (
        "x = torch.ones(3, requires_grad=True)\ny = (x * x).sum()\ny.backward()\ny.backward()\n",
        (4, 1),
        "run the forward pass again before each backward(), or pass retain_graph=True",
        "Trying to backward through the graph a second time",
    ),
    (
        "x = torch.ones(3, requires_grad=True)\nx += 1\n",
        (2, 1),
        "`x` is a leaf that requires grad: change it inside `with torch.no_grad():`",
        "a leaf Variable that requires grad is being used in an in-place operation",
    ),
    (
        "x = torch.tensor([1, 2, 3], requires_grad=True)\n",
        (1, 5),
        "whole numbers cannot require grad: write them as floats (1.0, not 1)",
        "Only Tensors of floating point and complex dtype can require gradients",
    ),
    (
        "model = nn.Linear(3, 1)\nX = torch.arange(6).reshape(2, 3)\nout = model(X)\n",
        (3, 7),
        "whole numbers (`torch.arange(6)`, `torch.tensor([1, 2])`) make int64: convert the "
        "input with `.float()`",
        "mat1 and mat2 must have the same dtype",
    ),
    (
        "X = torch.arange(6).reshape(2, 3)\nout = X @ torch.randn(3, 1)\n",
        (2, 7),
        "convert the input with `.float()`",
        "expected m1 and m2 to have the same dtype",
    ),
    (
        "conv = nn.Conv2d(1, 2, 3)\nout = conv(torch.ones(1, 1, 5, 5, dtype=torch.uint8))\n",
        (2, 7),
        "convert the input with `.float()`",
        "Input type (unsigned char) and bias type (float) should be the same",
    ),
    (
        "z = torch.randn(3, 4, requires_grad=True)\n"
        "loss = F.cross_entropy(z, torch.tensor([0.0, 1.0, 2.0]))\n",
        (2, 8),
        "cross-entropy's targets are class indices, which are whole numbers: convert them "
        "with `.long()`",
        "expected target dtype to be Long",
    ),
    (
        "z = torch.randn(3, requires_grad=True)\n"
        "loss = F.binary_cross_entropy_with_logits(z, torch.tensor([0, 1, 1]))\n",
        (2, 8),
        "binary cross-entropy's targets are floats (0.0 or 1.0), not whole numbers",
        "result type Float can't be cast to the desired output type Long",
    ),
    (
        "w = torch.randn(3, 1, requires_grad=True) * 0.01\nopt = torch.optim.SGD([w], lr=0.1)\n",
        (2, 7),
        "an optimizer takes leaves, tensors made with requires_grad=True",
        "can't optimize a non-leaf Tensor",
    ),
    (
        "x = torch.randn(4, requires_grad=True)\nbins = x // 0.5\nbins.sum().backward()\n",
        (3, 1),
        "`//` (floor division) has no derivative in PyTorch",
        "derivative for aten::floor_divide is not implemented",
    ),
    (
        "z = torch.randn(3, 4, requires_grad=True)\n"
        "loss = F.cross_entropy(z, torch.tensor([0, 1, 5]))\n",
        (2, 8),
        "a class index is not below the number of classes",
        "Target 5 is out of bounds",
    ),
    (
        "z = torch.randn(3, 4, requires_grad=True)\n"
        "loss = F.cross_entropy(z, torch.tensor([[0], [1], [2]]))\n",
        (2, 8),
        "flatten a target of shape (N, 1) with `.view(-1)`",
        "0D or 1D target tensor expected, multi-target not supported",
    ),
    (
        "z = torch.randn(3, 4, requires_grad=True)\n"
        "loss = F.cross_entropy(torch.tensor([0, 1, 2]), z)\n",
        (2, 8),
        "cross_entropy takes the logits first, the class indices second",
        "\"log_softmax_lastdim_kernel_impl\" not implemented for 'Long'",
    ),
    (
        "z = torch.randn(8, 1, requires_grad=True)\n"
        "loss = F.binary_cross_entropy_with_logits(z, torch.ones(8))\n",
        (2, 8),
        "`.squeeze(1)` an output of shape (N, 1), or `.view(-1, 1)` a target of shape (N,)",
        "Target size (torch.Size([8])) must be the same as input size (torch.Size([8, 1]))",
    ),
    (
        "z = torch.sigmoid(torch.randn(8, 1, requires_grad=True))\n"
        "loss = F.binary_cross_entropy(z, torch.ones(8))\n",
        (2, 8),
        "a binary loss compares each output with one target",
        "Using a target size (torch.Size([8])) that is different to the input size",
    ),
    (
        "emb = nn.Embedding(5, 2)\nout = emb(torch.tensor([0.0, 1.0]))\n",
        (2, 7),
        "its input must hold whole numbers: convert it with `.long()`",
        "Expected tensor for argument #1 'indices'",
    ),
]


@pytest.mark.parametrize(("source", "where", "hint", "torch_words"), CASES)
def test_the_error_says_what_to_do_and_keeps_torchs_words(
    source: str, where: tuple[int, int], hint: str, torch_words: str
) -> None:
    with pytest.raises(ProgramError) as caught:
        trace(source)
    error = caught.value
    assert (error.line, error.col) == where
    assert hint in error.message
    assert f"(torch: {torch_words}" in error.message
    assert error.message.index(hint) < error.message.index("(torch:")  # the advice first


def test_other_errors_are_left_as_torch_says_them() -> None:
    with pytest.raises(ProgramError) as caught:
        trace("x = torch.ones(3)\ny = x[5]\n")
    assert "index 5 is out of bounds" in caught.value.message
    assert "(torch:" not in caught.value.message


NON_LEAF = (
    "w = torch.randn(3, 1, requires_grad=True) * 0.01\nX = torch.randn(4, 3)\n"
    "loss = (X @ w).pow(2).mean()\nloss.backward()\n"
)


@pytest.mark.parametrize(
    ("source", "where", "said"),
    [
        (  # the makemore slip: scaled after asking for grad, so w is computed, not a leaf
            NON_LEAF + "with torch.no_grad():\n    w -= 0.1 * w.grad\n",
            (6, 10),
            "`w.grad` is None because `w` is not a leaf: it was computed (MulBackward0)",
        ),
        (
            NON_LEAF + "w.grad.zero_()\n",
            (5, 1),
            "`w = (torch.randn(3, 1) * 0.01).requires_grad_()` makes w itself the leaf",
        ),
        (
            "w = torch.randn(3, requires_grad=True)\nwith torch.no_grad():\n"
            "    w -= w.grad * 0.1\n",
            (3, 10),
            "`w.grad` is None: no backward() has reached `w`",
        ),
        (
            "w = torch.randn(3)\nloss = (w * 2).sum()\nw.grad.zero_()\n",
            (3, 1),
            "`w` does not require grad, so backward() gives it none",
        ),
    ],
)
def test_a_grad_that_is_none_says_why(source: str, where: tuple[int, int], said: str) -> None:
    with pytest.raises(ProgramError) as caught:
        trace(source)
    assert (caught.value.line, caught.value.col) == where
    assert said in caught.value.message


def test_what_the_non_leaf_hint_says_is_torchs_behaviour() -> None:
    """In torch too: the scaled tensor has no .grad after backward, and the fix gives one."""
    w = torch.randn(3, 1, requires_grad=True) * 0.01
    (torch.randn(4, 3) @ w).pow(2).mean().backward()
    with pytest.warns(UserWarning, match="not a leaf Tensor"):
        assert w.grad_fn is not None and w.grad is None
    fixed = (torch.randn(3, 1) * 0.01).requires_grad_()
    (torch.randn(4, 3) @ fixed).pow(2).mean().backward()
    assert fixed.is_leaf and fixed.grad is not None
    result = trace(NON_LEAF.replace(
        "w = torch.randn(3, 1, requires_grad=True) * 0.01",
        "w = (torch.randn(3, 1) * 0.01).requires_grad_()",
    ))  # fmt: skip
    assert result.graph.find("w") is not None


@pytest.mark.parametrize(
    ("change", "instead"),
    [
        ("y *= 2", "write `y = y * …` (a new tensor), not `y *= …`"),
        ("y[0] = 0", "write `y = y.clone()` first, then change the copy's elements"),
        ("y.mul_(2)", "write `y = y.mul(…)` (a new tensor), not `.mul_(…)`"),
    ],
)
def test_a_saved_tensor_changed_in_place_names_it_and_the_line(change: str, instead: str) -> None:
    """autograd's in-place error: the tensor by its name, the line that changed it, the fix;
    torch raises the same error for the same code."""
    made = "x = torch.randn(2, 3, requires_grad=True)\ny = x.exp()\n"
    source = f"{made}{change}\ny.sum().backward()\n"
    x = torch.randn(2, 3, requires_grad=True)
    y = x.exp()
    if change == "y[0] = 0":
        y[0] = 0
    else:  # `y *= 2` and `y.mul_(2)`: the same in-place multiplication
        y.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()
    with pytest.raises(ProgramError) as caught:
        trace(source)
    error = caught.value
    assert (error.line, error.col) == (4, 1)
    said = f"`y` (the output of exp) was changed in place at line 3 (`{change}`)"
    assert said in error.message and instead in error.message
    assert "(torch: one of the variables needed for gradient computation" in error.message


def _relu_then_add(x: torch.Tensor) -> torch.Tensor:
    h = x * 2
    h.relu_()
    h += 1
    return h.mul_(3)


def _add_then_sigmoid(x: torch.Tensor) -> torch.Tensor:
    h = x * 2
    h += 0.5
    h = h.sigmoid()
    return h.add_(1)


@pytest.mark.parametrize(
    ("body", "twin", "line", "said"),
    [
        # relu_ made the value relu saved; `h += 1` below it is what broke it
        ("h = x * 2\nh.relu_()\nh += 1\nh.mul_(3)\n", _relu_then_add, 4, "`h += 1`"),
        # the write above the sigmoid changed an older h (mul saved nothing of it)
        ("h = x * 2\nh += 0.5\nh = h.sigmoid()\nh.add_(1)\n", _add_then_sigmoid, 5, "`h.add_(1)`"),
    ],
)
def test_the_write_named_is_the_one_after_the_op_that_saved(
    body: str, twin: Callable[[torch.Tensor], torch.Tensor], line: int, said: str
) -> None:
    """The line named is the write after the op whose output autograd saved, not an earlier
    write to the same name (nor the in-place op that made the saved value)."""
    source = f"x = torch.tensor([-1.0, 0.5, 2.0], requires_grad=True)\n{body}h.sum().backward()\n"
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        twin(torch.tensor([-1.0, 0.5, 2.0], requires_grad=True)).sum().backward()
    with pytest.raises(ProgramError) as caught:
        trace(source)
    assert f"was changed in place at line {line} ({said})" in caught.value.message


def test_an_in_place_change_the_program_names_nowhere_is_still_explained() -> None:
    source = (
        "def f(a):\n    b = a.exp()\n    b.add_(1)\n    return b\n"
        "x = torch.randn(3, requires_grad=True)\nf(x).sum().backward()\n"
    )
    with pytest.raises(ProgramError) as caught:
        trace(source)
    assert caught.value.line == 6
    assert "a tensor autograd saved for backward (the output of exp, shape [3])" in (
        caught.value.message
    )


REBOUND = (
    "w = torch.zeros(3, requires_grad=True)\nX = torch.ones(4, 3)\nfor step in range(3):\n"
    "    loss = (X @ w - 1).pow(2).mean()\n    loss.backward()\n"
)


def test_a_step_that_rebinds_its_tensor_under_no_grad_is_named() -> None:
    """`w = w - lr * w.grad` inside no_grad: the next step's loss requires nothing (as in
    torch), and the error names that line and the in-place step."""
    w = torch.zeros(3, requires_grad=True)
    for _ in range(2):
        loss = (torch.ones(4, 3) @ w - 1).pow(2).mean()
        if not loss.requires_grad:
            break
        loss.backward()
        with torch.no_grad():
            w = w - 0.1 * w.grad  # type: ignore[operator]
    assert not loss.requires_grad
    with pytest.raises(ProgramError) as caught:
        trace(REBOUND + "    with torch.no_grad():\n        w = w - 0.1 * w.grad\n")
    assert (caught.value.line, caught.value.col) == (5, 5)
    said = caught.value.message
    assert "line 7 (`w = w - 0.1 * w.grad`) made `w` a new tensor" in said
    assert "Update it in place, `w -= 0.1 * w.grad`" in said
    fixed = trace(REBOUND + "    with torch.no_grad():\n        w -= 0.1 * w.grad\n")
    assert fixed.graph.find("w") is not None


def test_a_step_that_rebinds_its_tensor_with_grad_on_is_named() -> None:
    """The same outside no_grad: w is computed from then on, and its .grad is None."""
    with pytest.raises(ProgramError) as caught:
        trace(REBOUND + "    w = w - 0.1 * w.grad\n")
    assert (caught.value.line, caught.value.col) == (6, 13)
    said = caught.value.message
    assert "`w` is not a leaf any more: line 6 (`w = w - 0.1 * w.grad`)" in said
    assert "(SubBackward0)" in said and "`w -= 0.1 * w.grad`" in said


@pytest.mark.parametrize("made", ["(w * 2).sum().item()", "float((w * 2).sum())"])
def test_a_loss_made_a_number_says_which_line_did(made: str) -> None:
    source = f"w = torch.ones(3, requires_grad=True)\nloss = {made}\nloss.backward()\n"
    with pytest.raises(ProgramError) as caught:
        trace(source)
    assert (caught.value.line, caught.value.col) == (3, 1)
    said = caught.value.message
    assert said.startswith("`loss` holds a float here, which has no `.backward`")
    assert f"line 2 (`loss = {made}`) made it a Python number" in said


def test_a_grad_mode_named_without_its_call_says_so() -> None:
    with pytest.raises(ProgramError) as caught:
        trace("w = torch.ones(3, requires_grad=True)\nwith torch.no_grad:\n    w -= 1\n")
    assert (caught.value.line, caught.value.col) == (2, 6)
    assert caught.value.message == "`torch.no_grad` needs its call: `with torch.no_grad():`"


@pytest.mark.parametrize(
    ("code", "in_place"),
    [
        ("w = w - 0.1 * w.grad", "w -= 0.1 * w.grad"),
        ("w = w-lr*w.grad", "w -= lr*w.grad"),
        ("w=w+ lr * w.grad", "w += lr * w.grad"),
        ("w = 0.9 * w - lr * w.grad", "w.copy_(…)"),  # no in-place operator says it
    ],
)
def test_the_in_place_step_the_hint_suggests(code: str, in_place: str) -> None:
    from gradviz.lang.parser import parse_python
    from gradviz.lang.rebinding import rebindings

    (step,) = rebindings(parse_python(code), [code])
    assert (step.name, step.line, step.code, step.under_no_grad) == ("w", 1, code, False)
    assert step.in_place() == in_place


def test_a_grad_read_after_a_rebinding_under_no_grad_names_that_line() -> None:
    source = (
        "w = torch.randn(3).requires_grad_()\n(w * 2).sum().backward()\n"
        "with torch.no_grad():\n    w = w - 0.1 * w.grad\nwith torch.no_grad():\n"
        "    w -= 0.1 * w.grad\n"
    )
    with pytest.raises(ProgramError) as caught:
        trace(source)
    assert (caught.value.line, caught.value.col) == (6, 10)
    assert "`w` does not require grad any more: line 4 (`w = w - 0.1 * w.grad`)" in (
        caught.value.message
    )
