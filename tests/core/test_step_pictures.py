"""The walk-through without the app (gradviz.Picture.steps): each step's picture and chain rule,
the numbers read back from the words and the SVG and checked against torch computed here."""

from __future__ import annotations

import re

import pytest
import torch

import gradviz

LECTURE = "x = 2.0\ny = 3.0\nz1 = x*y\nz2 = exp(z1)\nz3 = z1 + z2"


def numbers_after(text: str, prefix: str) -> list[float]:
    """The numbers written right after `prefix` in the text (e.g. '∂out/∂z1 = 404.43')."""
    return [float(m) for m in re.findall(re.escape(prefix) + r"\s*(-?[\d.]+(?:e[+-]?\d+)?)", text)]


def test_backward_steps_follow_the_engine_with_torchs_numbers() -> None:
    x = torch.tensor(2.0, requires_grad=True)
    y = torch.tensor(3.0, requires_grad=True)
    z1 = x * y
    z2 = torch.exp(z1)
    z3 = z1 + z2
    z1.retain_grad()
    z3.backward()
    steps = gradviz.run(LECTURE).steps()
    assert [s.step.index for s in steps] == [0, 1, 2, 3]  # the start, then one per op node
    assert [s.caption.split(" at ")[-1].split(" ")[0] for s in steps[1:]] == ["z3", "z2", "z1"]
    last = str(steps[3])
    assert numbers_after(last, "∂out/∂z1 =") == pytest.approx([z1.grad.item()], rel=1e-4)
    # ∂f/∂z1 summed over its consumers: 1 from z3, exp(6) from z2
    arriving = [float(v) for v in re.findall(r"([\d.]+) \(from z[23]\)", last)]
    assert sorted(arriving) == pytest.approx(sorted([1.0, torch.exp(z1).item()]), rel=1e-4)
    products = numbers_after(last, "chain rule: 404.43 × 3.0 =") + numbers_after(
        last, "chain rule: 404.43 × 2.0 ="
    )
    assert products == pytest.approx([x.grad.item(), y.grad.item()], rel=1e-4)


def test_each_steps_picture_shows_only_the_gradients_computed_so_far() -> None:
    steps = gradviz.run(LECTURE).steps()
    waiting = [s.svg().count("∇ not yet") for s in steps]
    # x, y, z1, z2 wait; z2 is done at its own step; z1's step sends x and y their .grad
    assert waiting == [4, 4, 3, 0]
    svg = steps[2].svg()
    z2 = re.search(r'<g id="node\d+" class="node gradviz_current">\s*<title>(n\d+)</title>', svg)
    assert z2 is not None and z2.group(1) == steps[2].step.node_id  # the step's node outlined
    assert svg.count("gradviz_current") == 3  # that node, and the style's two rules
    # the same layout at every step: each node's box where it was
    boxes = [
        re.findall(r"<title>(n\d+)</title>\s*<\w+[^>]*?(?:d|points)=\"([^\"]+)\"", s.svg())
        for s in steps
    ]
    assert len(boxes[0]) == 5 and all(b == boxes[0] for b in boxes)
    html = steps[3]._repr_html_()
    assert html.startswith("<div><p><b>step 3/3") and "<svg" in html and "<?xml" not in html
    assert "<mark>3  z1 = x*y</mark>" in html  # the program, the line that made z1 marked


def test_recursive_and_forward_walks() -> None:
    picture = gradviz.run(LECTURE)
    recursive = picture.steps("recursive", start="x")
    assert "recursion stack" in str(recursive[2]) and recursive[-1].step.index > 0
    forward = picture.steps("forward")
    value = numbers_after(str(forward[-1]), "value:")
    assert value == pytest.approx([6.0 + torch.exp(torch.tensor(6.0)).item()], rel=1e-4)
    assert "∇" not in forward[1].svg()  # values only, as they are computed
    with pytest.raises(ValueError, match="mode is one of"):
        picture.steps("sideways")
    with pytest.raises(KeyError, match="no node named 'w'"):
        picture.steps("recursive", start="w")


def test_a_steps_picture_keeps_the_module_boxes() -> None:
    program = (
        "torch.manual_seed(0)\nmodel = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))\n"
        "X = torch.randn(4, 2)\nloss = model(X).pow(2).mean()\nloss.backward()\n"
    )
    picture = gradviz.run(program)
    assert set(picture.graph.modules) == {"model.0", "model.1", "model.2"}
    for step in picture.steps()[:2]:
        svg = step.svg()
        for title in ("model.0 · Linear(2 → 3)", "model.1 · Tanh", "model.2 · Linear(3 → 1)"):
            assert title in svg, title
