"""Example 21, backpropagation through time: its gradients are torch's at any w, and what its
comment tells the student holds (the early steps' gradients vanish for w near 0 and for large w)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

import gradviz
from gradviz.autograd.tracer import trace

SOURCE = (
    Path(gradviz.__file__).parent / "resources" / "examples" / "21_backprop_through_time.py"
).read_text(encoding="utf-8")


def torch_bptt(w_value: float) -> dict[str, torch.Tensor]:
    w = torch.tensor(w_value, requires_grad=True)
    u = torch.tensor(1.0, requires_grad=True)
    h1 = torch.tanh(u * 1.0)
    h2 = torch.tanh(w * h1 + u * -0.5)
    h3 = torch.tanh(w * h2 + u * 0.8)
    h4 = torch.tanh(w * h3 + u * 0.3)
    for h in (h1, h2, h3, h4):
        h.retain_grad()
    loss = (h4 - 1.0) ** 2
    loss.backward()
    return {"w": w.grad, "u": u.grad, "h1": h1.grad, "h2": h2.grad, "h3": h3.grad,
            "h4": h4.grad}  # type: ignore[dict-item]  # fmt: skip


@pytest.mark.parametrize("w", [0.05, 0.6, 1.5, 3.0])
def test_gradients_through_time_are_torchs(w: float) -> None:
    graph = trace(SOURCE, overrides={"w": w}).graph
    shown = {n.name: n.grad for n in graph.nodes if n.name in ("w", "u", "h1", "h2", "h3", "h4")}
    expected = torch_bptt(w)
    for name, grad in expected.items():
        assert isinstance(shown[name], torch.Tensor)
        torch.testing.assert_close(shown[name], grad, rtol=1e-5, atol=1e-7)
    weight_edges = [e for e in graph.edges if e.src == next(n.id for n in graph.nodes
                                                            if n.name == "w")]  # fmt: skip
    assert len(weight_edges) == 3  # w used at three steps: ∂loss/∂w is their sum
    total = sum(float(e.grad) for e in weight_edges if e.grad is not None)
    assert total == pytest.approx(float(expected["w"]), rel=1e-5)


@pytest.mark.parametrize("w", [0.05, 3.0])
def test_the_early_gradients_vanish_as_the_comment_says(w: float) -> None:
    grads = torch_bptt(w)
    assert abs(float(grads["h1"])) < abs(float(grads["h4"])) / 100
