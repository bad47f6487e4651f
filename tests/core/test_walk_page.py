"""The walk-through as a web page (`gradviz export FILE -o walk.html --steps`, no Qt): one
section per step, each step's node outlined, torch's numbers in its chain rule, and the page's
keys stepping one section at a time (its script run under Node, where there is one)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import gradviz
from gradviz.autograd.tracer import trace

LECTURE = "x = 2.0\ny = 3.0\nz1 = x*y\nz2 = exp(z1)\nz3 = z1 + z2\n"


def export_page(tmp_path: Path, *extra: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    program = tmp_path / "lecture <1>.py"  # a name to escape in the title
    program.write_text(LECTURE)
    out = tmp_path / "walk.html"
    result = subprocess.run(
        [sys.executable, "-m", "gradviz", "export", str(program), "-o", str(out), *extra],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    return result, out


def test_the_page_has_every_step_with_torchs_numbers(tmp_path: Path) -> None:
    result, out = export_page(tmp_path, "--steps", "--theme", "dark")
    assert result.returncode == 0, result.stderr
    page = out.read_text()
    graph = trace(LECTURE).graph
    sections = re.findall(r'<section class="step" id="step-(\d+)">(.*?)</section>', page, re.S)
    assert [int(k) for k, _ in sections] == list(range(len(graph.backward_order) + 1))
    for index, body in sections[1:]:  # each step's own node outlined, nothing else
        node = graph.backward_order[int(index) - 1]
        outlined = re.findall(r'class="node gradviz_current">\s*<title>(n\d+)</title>', body)
        assert outlined == [node]
    for index, body in sections:  # the program beside each step, its node's line marked
        node = graph.node(graph.backward_order[int(index) - 1] if int(index) else graph.output)
        marked = re.findall(r"<mark>\s*(\d+)  ([^<]*)</mark>", body)
        assert marked == [(str(node.line), LECTURE.splitlines()[node.line - 1])]
    z1 = torch.tensor(6.0)
    assert f"∂out/∂z1 = {float(1 + z1.exp()):.5g}" in sections[-1][1]
    assert "<title>gradviz: lecture &lt;1&gt;.py</title>" in page and "<?xml" not in page
    assert "#1e1f22" in page  # the dark theme's background
    bad = subprocess.run(
        [sys.executable, "-m", "gradviz", "export", str(tmp_path / "lecture <1>.py"), "-o",
         str(tmp_path / "w.html")], capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert bad.returncode == 2 and ".html" in bad.stderr


def test_a_picture_saves_its_walkthrough(tmp_path: Path) -> None:
    picture = gradviz.run(LECTURE)
    picture.save_walkthrough(tmp_path / "w.html", mode="forward")
    page = (tmp_path / "w.html").read_text()
    assert page.count('<section class="step"') == len(picture.steps("forward"))
    assert page.count('<pre class="program">') == len(picture.steps("forward"))
    x = torch.tensor(2.0, requires_grad=True)
    with gradviz.record() as rec:
        f = x * x.exp()
    rec.backward(f).save_walkthrough(tmp_path / "live.html")  # live code: no program to show
    live = (tmp_path / "live.html").read_text()
    assert live.count('<section class="step"') == 3 and '<pre class="program">' not in live
    with pytest.raises(gradviz.api.ProgramError, match="cannot write"):
        picture.save_walkthrough(tmp_path / "missing" / "w.html")


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js to run the page's script")
def test_the_pages_keys_show_one_step_at_a_time(tmp_path: Path) -> None:
    _, out = export_page(tmp_path, "--steps")
    page = out.read_text()
    script = re.search(r"<script>(.*)</script>", page, re.S)
    assert script is not None
    count = page.count('<section class="step"')
    harness = f"""
const sections = Array.from({{length: {count}}}, () => ({{hidden: false}}));
const els = {{where: {{textContent: ""}}, back: {{}}, next: {{}}}};
let handler = null;
globalThis.document = {{
  querySelectorAll: () => sections,
  getElementById: (id) => els[id],
  addEventListener: (type, f) => {{ handler = f; }},
}};
globalThis.history = {{replaceState: (a, b, h) => {{ globalThis.hash = h; }}}};
globalThis.location = {{hash: "#2"}};
{script.group(1)}
const visible = () => sections.filter((s) => !s.hidden).map((s) => sections.indexOf(s));
const key = (k) => handler({{key: k, preventDefault() {{}}}});
const seen = [visible()];
for (const k of ["ArrowRight", " ", "End", "ArrowRight", "Home", "ArrowLeft"]) {{
  key(k); seen.push(visible());
}}
els.next.onclick(); seen.push(visible());
console.log(JSON.stringify({{seen, where: els.where.textContent, hash: globalThis.hash}}));
"""
    (tmp_path / "h.js").write_text(harness)
    run = subprocess.run(["node", str(tmp_path / "h.js")], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    state = json.loads(run.stdout)
    last = count - 1
    expected = [2, min(3, last), min(4, last), last, last, 0, 0, 1]  # (clamped at the ends)
    assert state["seen"] == [[k] for k in expected]
    assert state["where"] == f"step 1 of {last}" and state["hash"] == "#1"


def test_steps_drawn_at_once_land_in_their_own_sections() -> None:
    """The page draws its steps on several threads: each section holds its own step's
    picture, the same one that step draws alone, and every step has the whole pass's colours
    (one gradient scale, from torch's gradients of every node)."""
    from gradviz.render.dot import RenderOptions
    from gradviz.render.labels import magnitude
    from gradviz.step_pictures import step_pictures
    from gradviz.walk_page import walkthrough_page

    source = "w = torch.randn(3, 3, requires_grad=True)\nx = torch.randn(3)\n"
    source += "loss = torch.tanh(w @ torch.relu(w @ x)).pow(2).sum()\nloss.backward()\n"
    torch.manual_seed(0)
    graph = trace(source).graph
    options = RenderOptions()
    pictures = step_pictures(graph, "backward", options)
    page = walkthrough_page(pictures, "t", options.theme)
    sections = re.findall(r'<div class="picture">(.*?)</div><div class="rule">', page, re.S)
    alone = step_pictures(graph, "backward", options)
    assert sections == [re.sub(r"^.*?(?=<svg\b)", "", p.svg(), flags=re.S) for p in alone]
    scale = pictures[0].whole.scale_and_labels()[0]
    assert all(p.whole is pictures[0].whole for p in pictures)
    grads = [n.grad for n in graph.nodes if n.grad is not None]
    magnitudes = [float(g.pow(2).mean().sqrt()) for g in grads]
    assert scale.ticks() == pytest.approx((min(magnitudes), max(magnitudes)), rel=1e-5)
    assert magnitude(grads[0]) == pytest.approx(magnitudes[0], rel=1e-5)
