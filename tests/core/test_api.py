"""gradviz from Python and Jupyter: `gradviz.record()` around one's own PyTorch code and
`gradviz.run()` of a program, every value and gradient checked against torch computed here."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import torch
from torch import nn
from torch.utils._python_dispatch import _get_current_dispatch_mode

import gradviz
from tests.core.test_tracer_corpus import ACC, reference_walk


def mlp() -> tuple[nn.Module, torch.Tensor, torch.Tensor]:
    torch.manual_seed(3)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    return model, torch.randn(6, 3), torch.tensor([0, 1, 1, 0, 1, 0])


def test_recording_your_own_code_gives_torchs_values_and_gradients() -> None:
    model, X, y = mlp()
    with gradviz.record() as rec:
        hidden = model[1](model[0](X))
        logits = model[2](hidden)
        loss = nn.functional.cross_entropy(logits, y)
    picture = rec.backward(loss)

    reference, X2, y2 = mlp()  # the same computation, independently, with retain_grad
    h2 = reference[1](reference[0](X2))
    logits2 = reference[2](h2)
    loss2 = nn.functional.cross_entropy(logits2, y2)
    for t in (h2, logits2, loss2):
        t.retain_grad()
    loss2.backward()
    for name, expected in (("hidden", h2), ("logits", logits2), ("loss", loss2)):
        node = picture[name]
        torch.testing.assert_close(node.value, expected.detach(), msg=name)
        torch.testing.assert_close(node.grad, expected.grad, msg=name)
    for (path, ours), (_, theirs) in zip(
        model.named_parameters(), reference.named_parameters(), strict=True
    ):
        node = picture[f"model.{path}"]  # named by module path, from the caller's `model`
        assert node.kind == "param"
        torch.testing.assert_close(node.grad, theirs.grad, msg=path)
        torch.testing.assert_close(ours.grad, theirs.grad, msg=path)  # .grad filled as usual
    assert set(picture.graph.modules) == {"model.0", "model.1", "model.2"}
    assert picture["X"].kind == "const"
    # one op node per autograd node, as a walk of grad_fn finds them
    ops = Counter(n.op for n in picture.nodes if n.kind == "op")
    walked = Counter(node.name() for node in reference_walk(loss2) if node.name() != ACC)
    assert ops == walked
    assert picture.graph.backward_order[0] == picture.graph.output


def test_the_recording_leaves_nothing_installed_even_after_an_error() -> None:
    x = torch.tensor(1.5, requires_grad=True)
    with pytest.raises(ZeroDivisionError), gradviz.record():
        (x * 2).exp()
        _ = 1 / 0
    assert _get_current_dispatch_mode() is None
    assert not torch.nn.modules.module._global_forward_pre_hooks
    assert not torch.nn.modules.module._global_forward_hooks
    with gradviz.record() as rec:
        f = (x * 2).exp()
    recorder = rec._live.tracer.recorder
    seen = recorder._ops
    (x * 5).sin()  # after the block: not watched
    assert recorder._ops == seen == 2
    picture = rec.backward(f)
    torch.testing.assert_close(picture["x"].grad, 2 * torch.exp(torch.tensor(3.0)))
    assert _get_current_dispatch_mode() is None


def test_keywords_name_what_the_callers_variables_do_not() -> None:
    model, X, _ = mlp()
    with gradviz.record(net=model, inputs=X) as rec:
        out = model(X).sum()
    picture = rec.backward(out)
    assert picture["net.0.weight"].kind == "param" and picture["inputs"].kind == "const"
    with pytest.raises(KeyError, match="no node named 'nothing'"):
        picture["nothing"]


def test_what_a_recording_cannot_show_is_said_plainly() -> None:
    x = torch.tensor(2.0, requires_grad=True)
    a = x * 3  # before the recording: its value was never seen
    with gradviz.record() as rec:
        b = a.exp()
        v = torch.ones(3, requires_grad=True) * 2
    picture = rec.backward(b)
    assert any("made before the recording began" in note for note in picture.graph.notes)
    torch.testing.assert_close(picture["x"].grad, 3 * torch.exp(torch.tensor(6.0)))
    with pytest.raises(RuntimeError, match="record the code again"):
        rec.backward(b)
    with gradviz.record() as rec:
        v = torch.ones(3, requires_grad=True) * 2
    ones = rec.backward(v)  # several elements: seeded with ones, and said so
    assert any("seeded with ones" in note for note in ones.graph.notes)
    torch.testing.assert_close(ones["v"].grad, torch.ones(3))
    with gradviz.record() as rec:
        w = (torch.ones(3, requires_grad=True) * 2).sum()
        w.backward()  # the user's own backward first: the graph is gone
    with pytest.raises(RuntimeError, match=r"instead of loss\.backward\(\)"):
        rec.backward(w)


def test_run_takes_a_program_and_its_inputs() -> None:
    picture = gradviz.run("x = 2.0\ny = 3.0\nz1 = x*y\nf = z1 + exp(z1)", x=1.5)
    x = torch.tensor(1.5, requires_grad=True)
    y = torch.tensor(3.0, requires_grad=True)
    f = x * y + torch.exp(x * y)
    f.backward()
    torch.testing.assert_close(picture["f"].value, f.detach())
    torch.testing.assert_close(picture["x"].grad, x.grad)
    torch.testing.assert_close(picture["y"].grad, y.grad)
    assert "f = " in repr(picture) and "5 nodes" in repr(picture)
    rows = {line.split()[0]: line.split() for line in str(picture).splitlines()[1:]}
    for name, tensor, grad in (("x", x, x.grad), ("y", y, y.grad), ("f", f, torch.tensor(1.0))):
        assert float(rows[name][-2]) == pytest.approx(tensor.item(), rel=1e-4)  # the value
        assert float(rows[name][-1]) == pytest.approx(grad.item(), rel=1e-4)  # and gradient
    with pytest.raises(gradviz.api.ProgramError, match="line 1"):
        gradviz.run("x = __import__('os')")


def test_the_picture_shows_itself_inline_and_saves(tmp_path: Path) -> None:
    picture = gradviz.run("x = 2.0\ny = 3.0\nz1 = x*y\nf = z1 + exp(z1)")
    svg = picture._repr_svg_()
    assert svg is not None and svg.lstrip().startswith(("<?xml", "<svg"))
    for text in ("z1", "f", "403.43", "404.43"):  # names, exp(6), ∂f/∂z1 = 1 + exp(6)
        assert text in svg, text
    dark = picture.svg(theme="dark").lower()
    assert 'fill="#1e1f22"' in dark and 'fill="#1e1f22"' not in svg.lower()  # its background
    picture.save(tmp_path / "g.png", scale=0.5)
    assert (tmp_path / "g.png").read_bytes().startswith(b"\x89PNG")
    picture.save(tmp_path / "g.json")
    assert picture.to_json()["schema"] == "gradviz.graph/1"
    with pytest.raises(ValueError, match="unknown theme"):
        picture.svg(theme="neon")


def test_importing_gradviz_alone_does_not_import_torch() -> None:
    code = "import sys, gradviz; print('torch' in sys.modules, gradviz.__version__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split()[0] == "False"
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        gradviz.nope  # noqa: B018


def test_a_program_whose_backward_fails_raises_with_the_picture_of_its_forward() -> None:
    from gradviz.autograd.failed_pass import BackwardFailed

    source = (
        "x = torch.tensor([1.0, 2.0], requires_grad=True)\ny = x.exp()\nz = (y * 3).sum()\n"
        "y *= 2\nz.backward()\n"
    )
    with pytest.raises(BackwardFailed, match="changed in place at line 4") as failed:
        gradviz.run(source)
    picture = failed.value.picture
    assert isinstance(picture, gradviz.Picture)
    torch.testing.assert_close(picture["y"].value, torch.tensor([1.0, 2.0]).exp())
    assert "backward() stopped at `y` (exp)" in picture.svg()
