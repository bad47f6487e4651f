"""The language runs the lecture's snippets unchanged and the constructs a course uses."""

from __future__ import annotations

import pytest
import torch

from gradviz.lang.errors import ProgramError
from gradviz.lang.interpreter import run_program
from gradviz.lang.parser import parse
from gradviz.lang.reference import language_reference
from gradviz.resources import examples


def run(source: str, **kwargs: object):  # type: ignore[no-untyped-def]
    return run_program(parse(source), **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("example", examples(), ids=[e.name for e in examples()])
def test_every_shipped_example_runs(example) -> None:  # type: ignore[no-untyped-def]
    result = run(example.source)
    assert result.output is not None


@pytest.mark.parametrize("example", examples(), ids=[e.name for e in examples()])
def test_each_example_is_titled_by_a_whole_sentence_of_its_first_comment(example) -> None:  # type: ignore[no-untyped-def]
    comment = example.source.splitlines()[0].lstrip("# ")
    assert comment.startswith(example.title)
    rest = comment[len(example.title) :]
    # the menu shows a sentence (or the words before a colon), not a line that breaks off
    assert example.title.endswith("?") or rest == "" or rest[0] in ".:", (example.title, rest)
    assert ". " not in example.title


def test_lecture_expression_as_typed() -> None:
    result = run("x = 2.0\ny = 3.0\nx*y + exp(x*y)")
    expected = 6.0 + torch.exp(torch.tensor(6.0))
    torch.testing.assert_close(result.output, expected)
    assert [i.name for i in result.inputs] == ["x", "y"]


def test_computing_gradients_prints_the_real_gradients() -> None:
    source = next(e.source for e in examples() if "computing_gradients" in e.name)
    printed: list[str] = []
    result = run(source, on_print=printed.append)
    torch.manual_seed(0)
    w = torch.randn(5, 3, requires_grad=True)
    b = torch.randn(3, requires_grad=True)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(
        torch.matmul(torch.ones(5), w) + b, torch.zeros(3)
    )
    loss.backward()
    assert printed == [f"{w.grad}\n", f"{b.grad}\n"]
    assert result.backward_called


def test_lecture_tensor_snippets_verbatim() -> None:
    source = (
        "ones = torch.zeros(2, 2) + 1\ntwos = torch.ones(2, 2) * 2\n"
        "threes = (torch.ones(2, 2) * 7 - 1) / 2\nfours = twos ** 2\nsqrt2s = twos ** 0.5\n"
        "rand = torch.rand(2, 4)\ndoubled = rand * (torch.ones(1, 4) * 2)\n"
        "y = torch.rand(2, 2)\nmy_device = torch.device('cpu')\ny = y.to(my_device)\n"
    )
    env = run(source).env
    torch.testing.assert_close(env["threes"], torch.full((2, 2), 3.0))
    torch.testing.assert_close(env["sqrt2s"], torch.full((2, 2), 2.0**0.5))
    assert env["doubled"].shape == (2, 4)
    assert env["y"].device.type == "cpu"


@pytest.mark.parametrize(
    "imports",
    [
        "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F",
        "from torch import nn\nfrom torch.nn import functional as F",
        "import torch.nn\nnn = torch.nn\nF = torch.nn.functional",
        "from torch.nn.functional import relu\nF = torch.nn.functional",
    ],
)
def test_import_forms(imports: str) -> None:
    source = imports + "\nm = nn.Linear(2, 1)\nout = F.relu(m(torch.ones(3, 2))).sum()"
    assert run(source).output.shape == ()


def test_float_literal_inputs_and_overrides() -> None:
    result = run("x = 2.0\nn = 3\ny = x ** n", overrides={"x": 4.0})
    assert result.output.item() == 64.0
    assert [i.name for i in result.inputs] == ["x"]  # an int stays a plain number


def test_a_name_the_program_changes_is_not_an_input() -> None:
    result = run("total = 0.\nfor i in range(3):\n    total += 1.5\nprint(total)")
    assert result.inputs == []
    assert result.printed == ["4.5\n"]


def test_unknown_override_is_refused() -> None:
    with pytest.raises(ProgramError, match="no scalar input named 'q'"):
        run("x = 2.0\ny = x * 3", overrides={"q": 1.0})


def test_control_flow_and_formatting() -> None:
    source = (
        "xs = []\nfor i, v in enumerate([3, 1, 2]):\n    if v > 1:\n        xs.append(v * i)\n"
        "    elif v == 1:\n        continue\n    else:\n        break\n"
        "print(xs, len(xs), f'{sum(xs):.2f}', '{} and {}'.format(1, 'b'))"
    )
    assert run(source).printed == ["[0, 4] 2 4.00 1 and b\n"]


def test_a_number_format_of_a_tensor_prints_as_python_and_a_vectors_says_what_to_do() -> None:
    loss = torch.tensor([1.0, 2.0]).sum()
    source = "loss = torch.tensor([1.0, 2.0]).sum()\nprint(f'{loss:.3f}', '{:.1f}'.format(loss))"
    assert run(source).printed == [f"{loss:.3f} {loss:.1f}\n"]  # a 0-d tensor: as Python
    for line in ("print(f'{x:.2f}')", "print('{:.2f}'.format(x))"):
        with pytest.raises(TypeError):
            f"{torch.tensor([[1.5]]):.2f}"  # torch formats 0-d tensors only
        with pytest.raises(ProgramError) as caught:
            run(f"x = torch.tensor([[1.5]])\n{line}")
        assert (caught.value.line, caught.value.col) == (2, 7)
        assert "`:.2f` writes one number, and this is a tensor of shape 1×1: format its " in (
            caught.value.message
        )


def test_no_grad_block_and_inplace_update() -> None:
    source = (
        "w = torch.tensor([1.0, 2.0], requires_grad=True)\nloss = (w * w).sum()\n"
        "loss.backward()\nwith torch.no_grad():\n    w -= 0.5 * w.grad\nprint(w.tolist())"
    )
    assert run(source).printed == ["[0.0, 0.0]\n"]


def test_inplace_on_a_leaf_outside_no_grad_is_torchs_error() -> None:
    with pytest.raises(ProgramError, match="leaf Variable"):
        run("w = torch.ones(2, requires_grad=True)\nw += 1")


def test_optimizer_training_step_matches_plain_torch() -> None:
    source = (
        "torch.manual_seed(1)\nmodel = nn.Linear(3, 1)\n"
        "opt = torch.optim.Adam(model.parameters(), lr=0.1)\n"
        "X = torch.randn(8, 3)\nY = torch.randn(8, 1)\nfor step in range(5):\n"
        "    opt.zero_grad()\n    loss = F.mse_loss(model(X), Y)\n"
        "    loss.backward()\n    opt.step()\n"
    )
    env = run(source).env
    torch.manual_seed(0)
    torch.manual_seed(1)
    model = torch.nn.Linear(3, 1)
    opt = torch.optim.Adam(model.parameters(), lr=0.1)
    X, Y = torch.randn(8, 3), torch.randn(8, 1)
    for _ in range(5):
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(model(X), Y)
        loss.backward()
        opt.step()
    torch.testing.assert_close(env["model"].weight, model.weight)


def test_randomness_is_reproducible_and_isolated() -> None:
    state = torch.get_rng_state()
    a = run("x = torch.randn(4)").env["x"]
    b = run("x = torch.randn(4)").env["x"]
    torch.testing.assert_close(a, b)
    assert torch.equal(state, torch.get_rng_state())


def test_output_is_the_backward_tensor_else_the_last_tensor() -> None:
    result = run("a = torch.ones(2, requires_grad=True)\nl = a.sum()\nl.backward()\nb = a * 2")
    assert result.output is result.env["l"]
    result = run("a = torch.ones(2)\nb = a * 2\nc = 3")
    assert result.output is result.env["b"]


def test_language_covers_a_course() -> None:
    text = language_reference()
    backticked = text.count("`")
    assert backticked // 2 > 300  # ~80 functions asked for; the whitelist lists many more
    for name in (
        "softmax",
        "log_softmax",
        "clamp",
        "linspace",
        "where",
        "view",
        "reshape",
        "CrossEntropyLoss",
        "Conv2d",
        "binary_cross_entropy_with_logits",
    ):
        assert f"`{name}`" in text


def test_docs_language_reference_is_current() -> None:
    from pathlib import Path

    doc = Path(__file__).resolve().parents[2] / "docs" / "language.md"
    assert doc.read_text(encoding="utf-8") == language_reference(), (
        "docs/language.md is stale: regenerate with `gradviz language > docs/language.md`"
    )


def test_in_place_ops_are_known_without_the_inplace_tag() -> None:
    """torch releases before the `inplace` tag (the GPU machine's 2.11 among them) fall back to
    the schema: every op the tag marks is still treated as writing into an argument."""
    from gradviz.lang.guard import _in_place

    tagged = 0
    for name in dir(torch.ops.aten):
        packet = getattr(torch.ops.aten, name, None)
        for overload in getattr(packet, "overloads", list)():
            func = getattr(packet, overload)
            if hasattr(torch.Tag, "inplace") and torch.Tag.inplace in func.tags:
                tagged += 1
                assert _in_place(func, tag=None), func
    assert tagged > 100 or not hasattr(torch.Tag, "inplace")
    assert _in_place(torch.ops.aten.relu_.default, tag=None)
    assert not _in_place(torch.ops.aten.relu.default, tag=None)


def test_python_is_parsed_one_thread_at_a_time() -> None:
    """CPython 3.11 can fail two concurrent ast.parse calls ("AST constructor recursion depth
    mismatch"), which the app makes (trace worker, Network tab): parsing waits its turn."""
    import threading

    from gradviz.lang import parser

    done = threading.Event()
    worker = threading.Thread(target=lambda: (parser.parse_python("x = 1"), done.set()))
    with parser._PARSING:
        worker.start()
        assert not done.wait(0.2), "parsed while another parse held the lock"
    assert done.wait(5.0)
    worker.join()


@pytest.mark.parametrize(
    ("source", "said", "where"),
    [
        ("x = 2.0\ny = x * 3\ny.backwrd()\n", "(did you mean `.backward`?)", (3, 1)),
        ("import torch\ntorch.manal_seed(0)\n", "(did you mean `.manual_seed`?)", (2, 1)),
        ("import torch\na = torch.radn(3)\n", "(did you mean `.randn`?)", (2, 5)),
        ("import torch.nn.funtional as F\n", "did you mean `torch.nn.functional`?", (1, 1)),
        ("from torch.optm import SGD\n", "did you mean `torch.optim`?", (1, 1)),
        ("from torch.nn import Linaer\n", "did you mean `Linear`?", (1, 1)),
        ("import torch.distributed\n", "program can import are torch.nn,", (1, 1)),
        ("from . import model\n", "`from . import ...`", (1, 1)),
    ],
)
def test_a_misspelt_name_is_refused_with_the_name_meant(
    source: str, said: str, where: tuple[int, int]
) -> None:
    with pytest.raises(ProgramError) as info:
        parse(source)
    assert said in str(info.value)
    assert (info.value.line, info.value.col) == where


@pytest.mark.parametrize(
    "source",
    [
        "x = 2.0\nx.numpyy()\n",  # .numpy is refused: pointing at it would mislead
        "x = torch.randn(3, dtype=torch.complex64)\n",  # torch.compile is refused too
    ],
)
def test_a_misspelt_attribute_never_suggests_a_refused_one(source: str) -> None:
    with pytest.raises(ProgramError) as info:
        parse(source)
    assert "did you mean" not in str(info.value)


def test_a_caret_between_real_numbers_says_it_is_no_power_and_whole_numbers_still_xor() -> None:
    with pytest.raises(ProgramError) as caught:
        run("x = 2.0\ny = x^2\n")
    assert (caught.value.line, caught.value.col) == (2, 5)
    assert "`^` is bitwise exclusive or in Python, not a power" in caught.value.message
    assert "write `**` for a power (`x**2`)" in caught.value.message
    printed = run("a = torch.tensor([1, 2])\nprint(5 ^ 3, (a ^ 3).tolist(), True ^ False)\n")
    assert printed.printed == [f"{5 ^ 3} {(torch.tensor([1, 2]) ^ 3).tolist()} {True ^ False}\n"]


def test_pythons_max_of_tensors_of_several_numbers_names_torchs_forms() -> None:
    with pytest.raises(ProgramError, match=r"torch.maximum\(a, b\)"):
        run("a = torch.tensor([1.0, 5.0])\nb = torch.tensor([3.0, 2.0])\nc = max(a, b)\n")
    one = run("a = torch.tensor(1.0)\nb = torch.tensor(3.0)\nprint(max(a, b), min([4, 2]))\n")
    assert one.printed == [str(max(torch.tensor(1.0), torch.tensor(3.0))) + " 2\n"]  # as Python
