"""The editor's tooltip over a function or method: the start of PyTorch's own docstring."""

from __future__ import annotations

import inspect

import torch
import torch.nn.functional as F

from gradviz.lang.docs import doc_at


def at_end(source: str) -> str | None:
    lines = source.split("\n")
    return doc_at(source, len(lines), len(lines[-1]))


def _first_sentence(obj: object) -> str:
    """The first line of the docstring's first paragraph that is not a signature or a Sphinx
    directive (a note, a warning)."""
    doc = inspect.getdoc(obj) or ""
    paragraph = next(
        p
        for p in doc.split("\n\n")
        if p.strip() and "(" not in p.split("\n")[0] and not p.strip().startswith("..")
    )
    return paragraph.split("\n")[0].strip()


def test_a_function_a_module_a_method_and_a_bare_maths_name() -> None:
    source = "import torch.nn.functional as G\nx = torch.ones(3)\n"
    for text, title, obj in (
        ("y = G.binary_cross_entropy_with_logits", "G.binary_cross_entropy_with_logits",
         F.binary_cross_entropy_with_logits),
        ("m = nn.Linear", "nn.Linear", torch.nn.Linear),
        ("y = torch.nn.functional.relu", "torch.nn.functional.relu", F.relu),
        ("y = exp", "torch.exp", torch.exp),
        ("x.backward", "Tensor.backward", torch.Tensor.backward),
        ("y = x.mean", "Tensor.mean, as torch.mean", torch.mean),
        ("y = torch.stack([x, x]).sum", "Tensor.sum, as torch.sum", torch.sum),
    ):  # fmt: skip
        said = at_end(source + text)
        assert said is not None and said.startswith(title + "\n"), (text, said)
        assert _first_sentence(obj).split(":")[0] in said, (text, said)


def test_nothing_for_a_variable_a_module_or_an_unknown_name() -> None:
    source = "import torch\nx = torch.ones(3)\n"
    for text in ("y = x", "y = torch", "y = torch.nn", "y = nothing", "y = x.nothing", "1"):
        assert at_end(source + text) is None, text


def test_a_doc_is_cut_to_a_tooltip() -> None:
    said = at_end("y = F.conv2d")
    assert said is not None and len(said) <= 600 + len("F.conv2d\n")
    assert ":class:" not in said and ":func:" not in said  # Sphinx roles read as plain names


def test_python_builtins_in_pythons_words_unless_the_program_rebinds_them() -> None:
    import builtins

    for name in ("zip", "next", "iter", "enumerate", "sorted", "set"):
        shown = at_end(f"x = {name}")
        assert shown is not None and shown.startswith(f"{name}\n"), name
        assert shown.split("\n", 1)[1][:40] in (inspect.getdoc(getattr(builtins, name)) or ""), name
    assert "console under the editor" in (at_end("print") or "")
    assert at_end("def zip(a):\n    return a\ny = zip") is None  # the program's own zip
