"""Property-based: random programs of in-place writes (through views, into constants, into the
leaf under no_grad) between reads. Every op node's call re-run gives its value, each operand
read from an op or a constant is that node's value, and w's gradient is the one Python itself
computes running the same source."""

from __future__ import annotations

import tempfile
from pathlib import Path

import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gradviz.autograd.tracer import trace
from gradviz.lang.errors import ProgramError
from tests.core.same_as_python import python_prints
from tests.core.test_forward_calls import assert_calls_rerun

START = [
    "w = torch.tensor([1.0, -2.0, 3.0, 0.5], requires_grad=True)",
    "c = torch.tensor([0.5, 1.0, -1.0, 2.0])",
    "y = w * 1.5",
]
STATEMENTS = [
    "y[{i}] = {k}",
    "y[{i}:] *= {k}",
    "y[:{j}] += {k}",
    "y.add_({k})",
    "y.mul_({k})",
    "y = y * w",
    "y = y + c",
    "y = y + w",
    "y = y.relu()",
    "y[y > {k}] = 0.5",
    "v = y[{i}:4]\nv.mul_({k})",
    "y = torch.cat([y[:{j}], y[{j}:] * 2])",
    "y = y.clone()",
    "y.clamp_(-{k}, {k})",
    "y[{i}] = y[{j}] * 2",
    "c.add_({k})",
    "c[{i}] = {k}",
    "y = y + c[{i}]",
    "with torch.no_grad():\n    w.mul_({k})",
]


def statements() -> st.SearchStrategy[list[str]]:
    one = st.builds(
        lambda template, i, j, k: template.format(i=i, j=j, k=k),
        st.sampled_from(STATEMENTS),
        st.integers(0, 3),
        st.integers(1, 3),
        st.sampled_from([2, 0.5, 3, 1.5]),
    )
    return st.lists(one, min_size=1, max_size=6)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(statements())
def test_in_place_programs_are_drawn_as_torch_ran_them(body: list[str]) -> None:
    source = "\n".join([*START, *body, "loss = (y * y).sum()", "loss.backward()"]) + "\n"
    try:
        graph = trace(source).graph
    except ProgramError:
        return  # what torch refuses (a leaf saved for backward, then written)
    assert_calls_rerun(graph, leaves=False)
    with tempfile.TemporaryDirectory() as folder:
        _, names = python_prints("import torch\n" + source, Path(folder))
    w = names["w"]
    assert isinstance(w, torch.Tensor) and w.grad is not None
    found = graph.find("w")
    assert found is not None
    torch.testing.assert_close(found.grad, w.grad)
