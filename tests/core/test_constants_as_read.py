"""Constants drawn as the ops read them, though the program writes them in place afterwards,
and a module's buffers (batch norm's running statistics) named by their module path."""

from __future__ import annotations

import torch
from torch import nn

from gradviz.autograd.graph import Graph, GraphNode
from gradviz.autograd.tracer import trace

WRITTEN_AFTER = """
c = torch.tensor([1.0, 2.0, 3.0])
w = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
y = (c + w).sum()
c.add_(10)
y2 = (c * w).sum()
X = torch.tensor([4.0, 5.0, 6.0, 7.0])
v = X[:3]
y3 = (v + w).sum()
X.mul_(-2)
(y + y2 + y3).backward()
"""


def _consts(graph: Graph, name: str) -> list[GraphNode]:
    return [n for n in graph.nodes if n.kind == "const" and n.name == name]


def _op_reading(graph: Graph, const: GraphNode) -> GraphNode:
    (edge,) = graph.consumers_of(const.id)
    return graph.node(edge.dst)


def test_a_constant_written_after_an_op_read_it_shows_what_the_op_read() -> None:
    c = torch.tensor([1.0, 2.0, 3.0])  # the same program in plain torch, values kept as read
    w = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
    c_first = c.clone()
    z1 = c + w
    c.add_(10)
    c_second = c.clone()
    z2 = c * w
    X = torch.tensor([4.0, 5.0, 6.0, 7.0])
    v_read = X[:3].clone()
    z3 = X[:3] + w
    X.mul_(-2)

    graph = trace(WRITTEN_AFTER).graph
    first, second = _consts(graph, "c")  # written between two reads: two nodes
    torch.testing.assert_close(first.value, c_first)
    torch.testing.assert_close(second.value, c_second)
    add, mul = _op_reading(graph, first), _op_reading(graph, second)
    torch.testing.assert_close(add.value, z1.detach())
    torch.testing.assert_close(mul.value, z2.detach())
    assert add.call is not None and mul.call is not None
    torch.testing.assert_close(add.call.args[0], c_first)  # the chain rule's numbers too
    torch.testing.assert_close(mul.call.args[0], c_second)
    assert add.call.arg_nodes[0] == first.id and mul.call.arg_nodes[0] == second.id
    (view,) = _consts(graph, "v")  # a view of a constant written through its base
    torch.testing.assert_close(view.value, v_read)
    torch.testing.assert_close(_op_reading(graph, view).value, z3.detach())
    assert not torch.equal(view.value, X[:3])  # (the program did change it)


BATCH_NORM = """
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 1))
X = torch.randn(16, 3)
loss = model(X).pow(2).mean()
loss.backward()
"""


def test_batch_norm_statistics_are_named_by_module_and_shown_as_it_read_them() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 1))
    X = torch.randn(16, 3)
    norm = model[1]
    assert isinstance(norm, nn.BatchNorm1d) and norm.running_mean is not None
    read_mean, read_var = norm.running_mean.clone(), norm.running_var.clone()  # type: ignore[union-attr]
    model(X).pow(2).mean().backward()
    assert not torch.equal(norm.running_mean, read_mean)  # training updated them in place

    graph = trace(BATCH_NORM).graph
    (mean,) = _consts(graph, "model.1.running_mean")
    (var,) = _consts(graph, "model.1.running_var")
    torch.testing.assert_close(mean.value, read_mean)
    torch.testing.assert_close(var.value, read_var)
    assert mean.module == var.module == "model.1"  # drawn in the batch norm's box
    assert _op_reading(graph, mean).op == "NativeBatchNormBackward0"


def test_a_training_loop_shows_the_statistics_its_last_step_read() -> None:
    source = BATCH_NORM.replace(
        "loss = model(X).pow(2).mean()\nloss.backward()\n",
        "for step in range(3):\n    loss = model(X).pow(2).mean()\n    loss.backward()\n",
    )
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 1))
    X = torch.randn(16, 3)
    norm = model[1]
    for _ in range(2):
        model(X).pow(2).mean().backward()
    read_mean = norm.running_mean.clone()  # type: ignore[union-attr]
    graph = trace(source).graph
    (mean,) = _consts(graph, "model.1.running_mean")
    torch.testing.assert_close(mean.value, read_mean)


def test_a_constant_never_written_is_one_node_with_its_value() -> None:
    graph = trace("c = torch.ones(2)\nw = torch.ones(2, requires_grad=True)\n"
                  "y = (c * w + c).sum()\n").graph  # fmt: skip
    (c,) = _consts(graph, "c")
    torch.testing.assert_close(c.value, torch.ones(2))
    assert len(graph.consumers_of(c.id)) == 2


STEP_BEFORE_BACKWARD = """
torch.manual_seed(0)
model = nn.Linear(3, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
X = torch.randn(8, 3)
for step in range(2):
    loss = model(X).pow(2).mean()
    optimizer.step()
    loss.backward()
"""


def test_weights_stepped_between_forward_and_backward_show_what_the_forward_read() -> None:
    """The slip of stepping before backward: the graph's weights are those its forward used
    (and the chain rule's operands with them), not those the step left."""
    torch.manual_seed(0)
    model = nn.Linear(3, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    X = torch.randn(8, 3)
    for _ in range(2):
        read = model.weight.detach().clone()
        out = model(X)
        loss = out.pow(2).mean()
        optimizer.step()
        before = torch.zeros_like(read) if model.weight.grad is None else model.weight.grad.clone()
        loss.backward()
    assert model.weight.grad is not None
    this_pass = model.weight.grad - before  # (no zero_grad: .grad holds both passes)
    assert not torch.equal(read, model.weight)  # the second step did move it

    result = trace(STEP_BEFORE_BACKWARD)
    graph = result.graph
    at_backward = [text for line, text in result.warnings if line == 9]  # loss.backward()
    (remark,) = [text for text in at_backward if "changed in place" in text]
    # (and the program never zeroes .grad: the second backward adds to the first's, remarked)
    assert any("`model.weight.grad` still held" in text for text in at_backward)
    assert "`model.weight`" in remark and "`model.bias`" in remark and "line 8" in remark
    assert any("a step before backward()?" in note for note in graph.notes)
    weight = graph.find("model.weight")
    assert weight is not None
    torch.testing.assert_close(weight.value, read)
    torch.testing.assert_close(weight.grad, this_pass)
    (edge,) = graph.consumers_of(weight.id)
    reader = graph.node(edge.dst)
    assert reader.call is not None
    torch.testing.assert_close(reader.call.args[0], read)
    loss_node = graph.node(graph.output)  # type: ignore[arg-type]
    torch.testing.assert_close(loss_node.value, loss.detach())


def test_a_usual_training_loop_draws_its_last_step_without_a_remark() -> None:
    in_order = "    loss.backward()\n    optimizer.step()\n"
    usual = in_order + "    optimizer.zero_grad()\n"
    result = trace(
        STEP_BEFORE_BACKWARD.replace("    optimizer.step()\n    loss.backward()\n", usual)
    )
    assert result.warnings == []
    assert not any("changed in place" in note for note in result.graph.notes)
    # without its zero_grad(): only that is remarked on (the second backward adds to .grad)
    unzeroed = trace(
        STEP_BEFORE_BACKWARD.replace("    optimizer.step()\n    loss.backward()\n", in_order)
    )
    ((line, text),) = unzeroed.warnings
    assert line == 8 and "`model.weight.grad` still held" in text


def test_a_recording_of_plain_code_notes_a_step_before_backward() -> None:
    from gradviz.autograd.live import LiveRecording

    torch.manual_seed(0)
    model = nn.Linear(3, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    X = torch.randn(8, 3)
    model(X).pow(2).mean().backward()  # a gradient for the step to use
    recording = LiveRecording({"model": model})
    with recording:
        read = model.weight.detach().clone()
        loss = model(X).pow(2).mean()
        optimizer.step()
    graph = recording.backward(loss)
    weight = graph.find("model.weight")
    assert weight is not None
    torch.testing.assert_close(weight.value, read)
    assert any("`model.weight`" in note and "changed in place" in note for note in graph.notes)


def test_constants_a_modules_forward_makes_are_drawn_in_its_box() -> None:
    source = (
        "torch.manual_seed(0)\n"
        "model = nn.Sequential(nn.Linear(3, 8), nn.Dropout(0.5), nn.Linear(8, 1))\n"
        "X = torch.randn(6, 3)\nloss = model(X[:, :3]).sum()\nloss.backward()\n"
    )
    graph = trace(source).graph
    (mask,) = [n for n in graph.nodes if n.kind == "const" and n.name is None]
    assert mask.module == "model.1"  # the dropout's mask, in the Dropout's box
    dropped = _op_reading(graph, mask)
    assert dropped.call is not None
    kept = graph.node(next(a for a in dropped.call.arg_nodes if a != mask.id))  # type: ignore[arg-type]
    torch.testing.assert_close(dropped.value, kept.value * mask.value)  # type: ignore[operator]
    assert set(mask.value.unique().tolist()) <= {0.0, 2.0}  # type: ignore[union-attr]
    (data,) = _consts(graph, "X")  # the program's own data, read through a view: no box
    assert data.module is None


def test_a_copy_a_modules_forward_makes_of_the_data_is_drawn_in_its_box() -> None:
    """nn.LSTM(batch_first=True) reads a time-major copy of X that its forward makes."""
    source = (
        "torch.manual_seed(0)\nlstm = nn.LSTM(4, 3, batch_first=True)\nX = torch.randn(2, 5, 4)\n"
        "out, (h, c) = lstm(X)\nloss = out.sum()\nloss.backward()\n"
    )
    torch.manual_seed(0)
    nn.LSTM(4, 3, batch_first=True)
    X = torch.randn(2, 5, 4)
    graph = trace(source).graph
    (copy,) = [n for n in graph.nodes if n.kind == "const" and n.module == "lstm"]
    torch.testing.assert_close(copy.value, X.transpose(0, 1))
    assert graph.find("X") is None  # (no op of the graph reads X itself)
