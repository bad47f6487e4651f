"""A write through a view (`y[0] = 10`): the base's new node, CopySlices, shows the base as the
write left it, and the ops that read the base afterwards read that node."""

from __future__ import annotations

import torch

from gradviz.autograd.tracer import trace

SOURCE = """
w = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
y = w * 2
z = y.sum()
y[0] = 10.0
y[1:] *= 3
q = (y * w).sum()
loss = z + q
loss.backward()
"""


def test_each_write_through_a_view_is_a_node_with_the_base_as_it_left_it() -> None:
    w = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = w * 2
    y.retain_grad()
    before = y.detach().clone()
    z = y.sum()
    y[0] = 10.0
    after_first = y.detach().clone()
    y[1:] *= 3
    y.retain_grad()
    after_second = y.detach().clone()
    product = y * w
    loss = z + product.sum()
    loss.backward()

    graph = trace(SOURCE).graph
    writes = [n for n in graph.nodes if n.op == "torch::autograd::CopySlices"]
    # as PyTorch records them: y[0] = 10, then `y[1:] *= 3` as Python runs it (the slice
    # multiplied in place, then assigned back into y[1:])
    assert len(writes) == 3
    torch.testing.assert_close(writes[0].value, after_first)
    torch.testing.assert_close(writes[1].value, after_second)
    torch.testing.assert_close(writes[2].value, after_second)
    torch.testing.assert_close(writes[2].grad, y.grad)  # d loss / d y as the writes left it
    first = next(n for n in graph.nodes if n.op == "MulBackward0" and n.name == "y")
    torch.testing.assert_close(first.value, before)
    mul = next(n for n in graph.nodes if n.op == "MulBackward0" and n.name != "y")
    assert mul.call is not None
    assert mul.call.arg_nodes[0] == writes[2].id
    torch.testing.assert_close(mul.call.args[0], after_second)
    torch.testing.assert_close(mul.value, product.detach())
    assert all(n.value is not None for n in graph.nodes)
    found = graph.find("w")
    assert found is not None
    torch.testing.assert_close(found.grad, w.grad)


def test_a_writes_explanation_names_what_it_wrote_and_where() -> None:
    from gradviz.explain.chain import explain

    graph = trace(SOURCE).graph
    writes = [n for n in graph.nodes if n.op == "torch::autograd::CopySlices"]
    assert [n.line for n in writes] == [5, 6, 6]  # y[0] = 10.0; y[1:] *= 3
    for node in writes:
        heading = explain(graph, node).heading
        assert heading.startswith(f"y = y, written in place through a view at line {node.line}")
