"""The graph's structure: names, constants, saved tensors, hook hygiene, JSON contract."""

from __future__ import annotations

import json
import re

import pytest
import torch

from gradviz.autograd.capture import GradientCapture
from gradviz.autograd.serialize import SCHEMA, graph_to_json
from gradviz.autograd.tracer import trace
from gradviz.autograd.walk import reachable
from gradviz.lang.errors import ProgramError
from gradviz.resources import examples

LECTURE = "x = 2.0\ny = 3.0\nx*y + exp(x*y)"


def test_repeated_expression_is_two_nodes_as_in_pytorch() -> None:
    graph = trace(LECTURE).graph
    ops = [n.op for n in graph.nodes if n.kind == "op"]
    assert ops.count("MulBackward0") == 2
    x = graph.find("x")
    assert x is not None and len(graph.consumers_of(x.id)) == 2


def test_lecture_numbers() -> None:
    graph = trace("x = 2.0\ny = 3.0\nz1 = x*y\nz2 = exp(z1)\nz3 = z1 + z2").graph
    e6 = torch.exp(torch.tensor(6.0))
    z1 = graph.find("z1")
    assert z1 is not None and z1.grad is not None
    torch.testing.assert_close(z1.grad, 1 + e6)  # ∂f/∂z1 = 1 + exp(6) ≈ 404.4
    contributions = sorted(float(e.grad) for e in graph.consumers_of(z1.id))  # type: ignore[arg-type]
    torch.testing.assert_close(torch.tensor(contributions), torch.tensor([1.0, float(e6)]))


def test_automatic_names_follow_forward_order_and_skip_taken_names() -> None:
    graph = trace("z1 = 1.5\nb = z1 * 2\nc = exp(b) + b").graph
    names = [n.name for n in graph.nodes if n.kind == "op"]
    assert names == ["b", "z2", "c"]
    assert [n.auto_name for n in graph.nodes if n.kind == "op"] == [False, True, False]


def test_parameters_are_named_by_module_path_and_constants_by_variable() -> None:
    source = next(e.source for e in examples() if "mlp" in e.name)
    graph = trace(source).graph
    kinds = {n.name: n.kind for n in graph.nodes if n.name}
    assert kinds["model.0.weight"] == "param" and kinds["model.2.bias"] == "param"
    assert kinds["X"] == "const" and kinds["y"] == "const"
    assert kinds["loss"] == "op"


def test_a_loop_over_the_parameters_does_not_rename_them() -> None:
    """`for p in model.parameters()` binds each parameter to `p` in turn: the graph still
    names them by module path; a name the program assigned itself still wins; a loop's
    variable still names an op's value (there is nothing better)."""
    graph = trace(
        "model = nn.Sequential(nn.Linear(3, 2), nn.Tanh(), nn.Linear(2, 1))\n"
        "w = model[0].weight\n"
        "X = torch.randn(4, 3)\n"
        "for row in model(X):\n"
        "    last = row\n"
        "loss = (last * 2).sum()\n"
        "loss.backward()\n"
        "with torch.no_grad():\n"
        "    for name, p in model.named_parameters():\n"
        "        p -= 0.1 * p.grad\n"
    ).graph
    params = {n.param_path: n.name for n in graph.nodes if n.kind == "param"}
    assert params == {
        "model.0.weight": "w",
        "model.0.bias": "model.0.bias",
        "model.2.weight": "model.2.weight",
        "model.2.bias": "model.2.bias",
    }
    rows = next(n for n in graph.nodes if n.op == "UnbindBackward0")  # Python's iteration
    assert rows.name == "row" and "last" in rows.aliases


def test_saved_tensors_are_listed_with_bytes() -> None:
    graph = trace(
        "a = torch.randn(4, 3, requires_grad=True)\nb = torch.randn(3, 2)\nc = (a @ b).sum()"
    ).graph
    mm = next(n for n in graph.nodes if n.op == "MmBackward0")
    saved = {s.name: s for s in mm.saved}
    assert saved["mat2"].shape == (3, 2) and saved["mat2"].nbytes == 3 * 2 * 4


def test_multi_output_ops_report_every_output() -> None:
    graph = trace(
        "x = torch.randn(4, requires_grad=True)\np, q = x.split(2)\nout = (p * 3 + q).sum()"
    ).graph
    split = next(n for n in graph.nodes if n.op and n.op.startswith("Split"))
    assert split.name == "p" and split.extra_outputs[0].name == "q"
    torch.testing.assert_close(split.extra_outputs[0].grad, torch.ones(2))
    torch.testing.assert_close(split.grad, torch.full((2,), 3.0))


def test_hooks_are_removed_after_capture() -> None:
    x = torch.tensor(2.0, requires_grad=True)
    y = (x * x).exp()
    nodes = reachable(y.grad_fn)
    with GradientCapture(nodes) as capture:
        y.backward(retain_graph=True)
    seen = len(capture.order)
    y.backward()
    assert len(capture.order) == seen == 2


def test_program_backward_twice_traces_the_last_call() -> None:
    source = "w = 1.5\nl1 = w * 2\nl1.backward()\nl2 = w ** 3\nl2.backward()"
    graph = trace(source).graph
    assert graph.node(graph.output).name == "l2"  # type: ignore[arg-type]
    w = graph.find("w")
    assert w is not None
    torch.testing.assert_close(w.grad, torch.tensor(3 * 1.5**2))  # this pass only, not .grad's sum


def test_no_grad_program_gives_one_node_and_a_note() -> None:
    graph = trace("a = torch.ones(2)\nb = a * 2").graph
    assert len(graph.nodes) == 1 and graph.nodes[0].name == "b" and graph.notes


def test_a_number_assigned_again_is_named_when_nothing_is_drawn() -> None:
    """`x = 2.0` that the program assigns again stays a plain number (not an input): when the
    program then made no tensor, the note says which line and how to make it one."""
    changed = trace("x = 2.0\nfor i in range(3):\n    x = x * 1.5\nprint(x)\n").graph
    assert not changed.nodes
    (note,) = changed.notes
    assert "`x = 2.0` (line 1)" in note and "x = torch.tensor(2.0, requires_grad=True)" in note
    fix = "x = torch.tensor(2.0, requires_grad=True)\nfor i in range(3):\n    x = x * 1.5"
    followed = trace(fix)
    assert [n.op for n in followed.graph.nodes if n.kind == "op"] == ["MulBackward0"] * 3
    assert trace("n = 3\nm = n * 2\n").graph.notes == ["The program made no tensor to draw."]


def test_a_tensor_attribute_of_a_number_assigned_again_says_why() -> None:
    """`x.grad` or `x.backward()` on that plain number: the error, at its line, names the line
    that looked like an input and the fix; any number says it is no tensor."""
    loop = "x = 2.0\nfor i in range(3):\n    x = x * 1.5\n"
    for code, attribute, column in (("print(x.grad)", "grad", 7), ("x.backward()", "backward", 1)):
        with pytest.raises(ProgramError) as caught:
            trace(loop + code + "\n")
        assert (caught.value.line, caught.value.col) == (4, column)
        said = caught.value.message
        assert f"`x` holds a float here, which has no `.{attribute}`" in said
        assert "`x = 2.0` (line 1)" in said and "x = torch.tensor(2.0, requires_grad=True)" in said
    with pytest.raises(ProgramError, match="plain Python number, not a tensor") as caught:
        trace("n = 3\nn.backward()\n")
    assert caught.value.line == 2


def test_json_contract() -> None:
    result = trace(LECTURE)
    data = json.loads(json.dumps(graph_to_json(result.graph), allow_nan=False))
    assert data["schema"] == SCHEMA and data["device"] == "cpu"
    ids = {n["id"] for n in data["nodes"]}
    assert data["output"] in ids
    for node in data["nodes"]:
        assert node["kind"] in ("input", "param", "const", "op")
        assert (node["op"] is None) == (node["kind"] != "op")
        assert set(node) >= {"id", "kind", "op", "name", "shape", "dtype", "value", "grad"}
    for edge in data["edges"]:
        assert edge["src"] in ids and edge["dst"] in ids
    op_ids = {n["id"] for n in data["nodes"] if n["kind"] == "op"}
    assert set(data["backward_order"]) == op_ids
    out = next(n for n in data["nodes"] if n["id"] == data["output"])
    assert out["value"] == pytest.approx(6 + float(torch.exp(torch.tensor(6.0))), rel=1e-6)


def test_json_caps_tensor_size_and_encodes_nonfinite() -> None:
    graph = trace("a = torch.randn(50, 50, requires_grad=True)\nb = (a / 0).sum()").graph
    data = json.loads(json.dumps(graph_to_json(graph, max_elements=100), allow_nan=False))
    a = next(n for n in data["nodes"] if n["name"] == "a")
    assert a["value"] is None and a["value_summary"]["max"] > 0
    b = next(n for n in data["nodes"] if n["name"] == "b")
    assert b["value"] in ("NaN", "Infinity", "-Infinity")


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message without CUDA")
def test_cuda_without_a_gpu_is_a_clear_error() -> None:
    with pytest.raises(ProgramError, match="CUDA is not available"):
        trace(LECTURE, device="cuda")


DRAWS = re.compile(r"\b(randn|rand|randint|randperm|normal|bernoulli|multinomial)\(|shuffle=True")


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("example", examples(), ids=[e.name for e in examples()])
def test_cuda_gives_the_same_graph(example) -> None:  # type: ignore[no-untyped-def]
    cpu = trace(example.source).graph
    gpu = trace(example.source, device="cuda").graph
    assert [(n.kind, n.op, n.name) for n in cpu.nodes] == [
        (n.kind, n.op, n.name) for n in gpu.nodes
    ]
    if any(n.kind == "op" for n in gpu.nodes) and 'device = "cpu"' not in example.source:
        assert gpu.device.startswith("cuda")  # (a program that pins the CPU stays there)
    for a, b in zip(cpu.nodes, gpu.nodes, strict=True):
        if isinstance(a.value, torch.Tensor) and a.value.is_floating_point() and a.kind != "const":
            if DRAWS.search(example.source):
                continue  # the CUDA generator draws different numbers
            torch.testing.assert_close(b.value.cpu(), a.value, rtol=1e-4, atol=1e-5, equal_nan=True)


MODULES = """
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Sequential(nn.Linear(3, 1)))
loss_fn = nn.MSELoss()
X = torch.randn(4, 2)
loss = loss_fn(model(X) * 2, torch.zeros(4, 1))
loss.backward()
"""


def test_each_node_knows_the_module_it_ran_in() -> None:
    graph = trace(MODULES).graph
    by_op = {}
    for node in graph.nodes:
        by_op.setdefault((node.op or node.name), []).append(node.module)
    # torch's own ops for these modules: Linear is t + addmm, ReLU is relu, MSELoss is mse_loss
    assert by_op["AddmmBackward0"] == ["model.0", "model.2.0"]
    assert by_op["TBackward0"] == ["model.0", "model.2.0"]
    assert by_op["ReluBackward0"] == ["model.1"]
    assert by_op["MulBackward0"] == [None]  # `* 2` is the program's own, outside any module
    assert by_op["MseLossBackward0"] == ["loss_fn"]
    assert by_op["model.2.0.weight"] == ["model.2.0"]
    assert graph.modules == {
        "model.0": "Linear(2 → 3)",
        "model.1": "ReLU",
        "model.2.0": "Linear(3 → 1)",
        "loss_fn": "MSELoss",
    }
    data = graph_to_json(graph)
    assert data["modules"]["model.0"] == "Linear(2 → 3)"
    assert {n["module"] for n in data["nodes"] if "module" in n} == set(graph.modules)


def test_modules_are_boxes_in_the_picture_and_hooks_go_away() -> None:
    from gradviz.render.dot import RenderOptions, build_dot

    graph = trace(MODULES).graph
    dot = build_dot(graph)
    assert dot.count("subgraph cluster_") == 4
    assert "model.2.0 · Linear(3 → 1)" in dot
    assert "subgraph" not in build_dot(graph, RenderOptions(modules=False))
    assert not torch.nn.modules.module._global_forward_pre_hooks
    assert not torch.nn.modules.module._global_forward_hooks


def test_garbage_collection_is_paused_only_while_tracing() -> None:
    import gc
    import threading

    seen: list[bool] = []
    trace("x = 2.0\ny = x * 3\nprint(y)", on_print=lambda _: seen.append(gc.isenabled()))
    assert seen == [False] and gc.isenabled()
    threads = [threading.Thread(target=trace, args=(LECTURE,)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert gc.isenabled()  # however the traces overlapped
    gc.disable()
    try:
        trace(LECTURE)
        assert not gc.isenabled()  # whoever turned it off keeps it off
    finally:
        gc.enable()


NESTED = """
class Head(nn.Module):
    def __init__(self):
        super().__init__()
        self.key = nn.Linear(4, 2)
        self.query = nn.Linear(4, 2)

    def forward(self, x):
        return self.query(x) @ self.key(x).T


class Pair(nn.Module):
    def __init__(self):
        super().__init__()
        self.heads = nn.ModuleList([Head(), Head()])
        self.scale = nn.Parameter(torch.ones(1))

    def forward(self, x):
        out = self.heads[0](x) + self.heads[1](x)
        return out * self.scale


torch.manual_seed(0)
model = Pair()
loss = model(torch.randn(3, 4)).sum()
"""


def test_a_class_of_the_program_is_a_box_around_its_layers_boxes() -> None:
    from gradviz.render.dot import build_dot

    graph = trace(NESTED).graph
    assert graph.modules["model"] == "Pair"
    assert graph.modules["model.heads.0"] == "Head"
    assert "model.heads" not in graph.modules  # a container is no box
    by_op = {n.op: n.module for n in graph.nodes if n.kind == "op"}
    assert by_op["MmBackward0"] in ("model.heads.0", "model.heads.1")  # ran in Head.forward
    assert by_op["MulBackward0"] == "model"  # ran in Pair.forward
    scale = next(n for n in graph.nodes if n.param_path == "model.scale")
    assert scale.module == "model"
    dot = build_dot(graph)
    # nested: the outer box opens before its heads' boxes and closes after them
    outer = dot.index('label="model · Pair"')
    head = dot.index('label="model.heads.0 · Head"')
    key = dot.index('label="model.heads.0.key · Linear(4 → 2)"')
    assert outer < head < key
    assert dot.count("subgraph cluster_") == 1 + 2 + 4  # Pair, two Heads, four Linears


def test_folding_a_class_module_keeps_it_in_its_enclosing_box() -> None:
    from gradviz.autograd.collapse import fold_modules, folded_id
    from gradviz.render.dot import build_dot

    graph = trace(NESTED).graph
    folded = fold_modules(graph, {"model.heads.0"})
    node = folded.node(folded_id("model.heads.0"))
    assert (
        node.module == "model" and node.op == "Head · 10 nodes folded"
    )  # 2 × (W, b, t, addmm), .T, mm
    dot = build_dot(folded)
    assert 'label="model.heads.0 · Head"' not in dot and 'label="model · Pair"' in dot
    everything = fold_modules(graph, {"model"})
    assert [n.id for n in everything.nodes if n.kind == "op"] == [
        folded_id("model"),
        *[n.id for n in graph.nodes if n.kind == "op" and n.module is None],
    ]


IN_PLACE_BETWEEN = """
x = torch.ones(3, requires_grad=True)
a = x * 2
c = a.clone()
a.add_(1)
d = c + a
a.mul_(10)
loss = (d + a).sum()
"""


def test_an_operand_is_the_value_the_tensor_held_when_the_op_read_it() -> None:
    """One tensor object rewritten in place is several nodes' values in turn: `d = c + a`
    read `a` after add_ and before mul_, so its operand is add_'s node and value (3), not
    the later mul_'s (30) nor the first mul's (2)."""
    graph = trace(IN_PLACE_BETWEEN).graph
    d = next(n for n in graph.nodes if n.name == "d")
    assert d.call is not None
    add = graph.node(d.call.arg_nodes[1])  # type: ignore[arg-type]
    assert add.op == "AddBackward0"
    assert torch.equal(d.call.args[1], torch.full((3,), 3.0))  # type: ignore[arg-type]
    assert torch.equal(d.call.args[0], torch.full((3,), 2.0))  # type: ignore[arg-type]
    later = next(n for n in graph.nodes if n.op == "MulBackward0" and n.call and
                 n.call.op.startswith("aten.mul_"))  # fmt: skip
    assert torch.equal(later.call.args[0], torch.full((3,), 3.0))  # type: ignore[union-attr,arg-type]
    assert graph.node(later.call.arg_nodes[0]).id == add.id  # type: ignore[union-attr,arg-type]


def test_a_gru_cells_in_place_gates_are_read_from_the_right_nodes() -> None:
    source = (
        "torch.manual_seed(0)\ncell = nn.GRUCell(3, 2)\nX = torch.randn(1, 3)\n"
        "H = torch.randn(1, 2)\nh = cell(X, H)\nloss = h.sum()\n"
    )
    result = trace(source)
    env = result.run.env
    cell, X, H = env["cell"], env["X"], env["H"]
    with torch.no_grad():  # the gates, computed here in Python
        gi = (X @ cell.weight_ih.T + cell.bias_ih).chunk(3, 1)  # type: ignore[union-attr]
        gh = (H @ cell.weight_hh.T + cell.bias_hh).chunk(3, 1)  # type: ignore[union-attr]
        reset = torch.sigmoid(gh[0] + gi[0])
    graph = result.graph
    product = next(
        n for n in graph.nodes
        if n.op == "MulBackward0" and n.value is not None
        and torch.allclose(n.value, gh[2] * reset, atol=1e-6)
    )  # fmt: skip
    assert product.call is not None
    first, second = product.call.args[:2]
    assert torch.allclose(first, gh[2], atol=1e-6)  # type: ignore[arg-type]
    assert torch.allclose(second, reset, atol=1e-6)  # type: ignore[arg-type]
    gate = graph.node(product.call.arg_nodes[1])  # type: ignore[arg-type]
    assert gate.op == "SigmoidBackward0"
    assert torch.allclose(gate.value, reset, atol=1e-6)  # type: ignore[arg-type]


def test_each_op_node_knows_the_program_line_that_made_it() -> None:
    source = (
        "import torch\nfrom torch import nn\n"
        "class Net(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.fc = nn.Linear(2, 2)\n"
        "    def forward(self, x):\n"
        "        h = torch.tanh(self.fc(x))\n"  # line 8
        "        return h * 2\n"  # line 9
        "net = Net()\n"
        "x = torch.ones(3, 2)\n"
        "loss = net(x).sum()\n"  # line 12
    )
    graph = trace(source).graph
    lines = {n.op: n.line for n in graph.nodes if n.kind == "op"}
    assert lines == {
        "TBackward0": 8,
        "AddmmBackward0": 8,
        "TanhBackward0": 8,
        "MulBackward0": 9,
        "SumBackward0": 12,
    }
    assert all(n.line is None for n in graph.nodes if n.kind != "op")
