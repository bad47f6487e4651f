"""The parts and settings of torch.nn's layers a program may read (`mha.in_proj_weight`,
`lstm.weight_ih_l1`, `layer.self_attn`), and nn.ModuleDict / ParameterList / ParameterDict:
each compared with the same code in torch."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from gradviz.autograd.graph import Graph
from gradviz.autograd.tracer import trace
from gradviz.lang.attributes import attribute_names
from gradviz.lang.errors import ProgramError
from gradviz.lang.module_fields import is_part_name

from .test_module_lists import SOME_IN_A_LIST


def _layers() -> list[nn.Module]:
    encoder = nn.TransformerEncoderLayer(4, 2, 8)
    decoder = nn.TransformerDecoderLayer(4, 2, 8)
    return [
        nn.Linear(2, 3), nn.Bilinear(2, 2, 3), nn.Conv1d(1, 2, 3), nn.Conv2d(1, 2, 3),
        nn.ConvTranspose2d(1, 2, 3), nn.BatchNorm1d(3), nn.BatchNorm2d(3), nn.LayerNorm(3),
        nn.GroupNorm(1, 3), nn.Embedding(4, 3), nn.MultiheadAttention(4, 2),
        nn.MultiheadAttention(4, 2, kdim=3, vdim=3, add_bias_kv=True), encoder,
        nn.TransformerEncoder(encoder, 2, enable_nested_tensor=False), decoder,
        nn.TransformerDecoder(decoder, 2), nn.Transformer(4, 2, 1, 1, 8),
        nn.RNN(2, 3, 2, bidirectional=True), nn.GRU(2, 3), nn.LSTM(2, 3, proj_size=2),
        nn.LSTMCell(2, 3), nn.PReLU(), nn.InstanceNorm1d(3, affine=True, track_running_stats=True),
        nn.Upsample(scale_factor=2), nn.Unflatten(1, (2, 2)), nn.LeakyReLU(), nn.Softmax(1),
        nn.MaxPool2d(2), nn.CrossEntropyLoss(label_smoothing=0.1), nn.Hardtanh(),
    ]  # fmt: skip


@pytest.mark.parametrize("layer", _layers(), ids=lambda m: type(m).__name__)
def test_every_part_of_the_catalogs_layers_passes_the_check(layer: nn.Module) -> None:
    """Each parameter, buffer and sub-layer torch registers, and each setting holding a plain
    value, is a name the static check lets through (a new torch that adds one fails here)."""
    vocabulary = attribute_names()
    parts = [*layer._parameters, *layer._buffers, *layer._modules]
    settings = [
        name
        for name, value in vars(layer).items()
        if not name.startswith("_") and isinstance(value, (int, float, bool, str, tuple))
    ]
    missing = [n for n in [*parts, *settings] if n not in vocabulary and not is_part_name(n)]
    assert missing == []


MHA = """
torch.manual_seed(0)
mha = nn.MultiheadAttention(embed_dim=8, num_heads=2, batch_first=True)
lstm = nn.LSTM(3, 4, num_layers=2)
x = torch.randn(2, 5, 8)
out, weights = mha(x, x, x)
seq, _ = lstm(torch.randn(6, 1, 3))
loss = out.mean() + seq.pow(2).mean() + mha.in_proj_bias.sum() + lstm.weight_ih_l1.sum()
loss.backward()
print(mha.num_heads, mha.head_dim, mha.batch_first, mha.out_proj.weight.shape)
print(lstm.weight_hh_l1.shape, lstm.bidirectional)
"""


def _grads(graph: Graph) -> dict[str, torch.Tensor]:
    return {
        n.param_path: n.grad
        for n in graph.nodes
        if n.param_path and isinstance(n.grad, torch.Tensor)
    }


def test_parts_and_settings_of_built_in_layers_read_as_in_torch() -> None:
    printed: list[str] = []
    result = trace(MHA, on_print=printed.append)
    torch.manual_seed(0)
    mha = nn.MultiheadAttention(embed_dim=8, num_heads=2, batch_first=True)
    lstm = nn.LSTM(3, 4, num_layers=2)
    x = torch.randn(2, 5, 8)
    out, _ = mha(x, x, x)
    seq, _ = lstm(torch.randn(6, 1, 3))
    loss = out.mean() + seq.pow(2).mean() + mha.in_proj_bias.sum() + lstm.weight_ih_l1.sum()
    loss.backward()
    expected = (
        f"{mha.num_heads} {mha.head_dim} {mha.batch_first} {mha.out_proj.weight.shape}\n"
        f"{lstm.weight_hh_l1.shape} {lstm.bidirectional}\n"
    )
    assert "".join(printed) == expected
    grads = _grads(result.graph)
    named = {f"mha.{k}": p for k, p in mha.named_parameters()}
    named |= {f"lstm.{k}": p for k, p in lstm.named_parameters()}
    assert {"mha.in_proj_bias", "lstm.weight_ih_l1", "mha.out_proj.weight"} <= grads.keys()
    for path, parameter in named.items():
        torch.testing.assert_close(grads[path], parameter.grad, msg=path)


def test_a_setting_that_is_no_plain_value_and_private_names_stay_refused() -> None:
    with pytest.raises(ProgramError, match=r"`\.activation` is not available"):  # (a function)
        trace("layer = nn.TransformerEncoderLayer(4, 2, 8)\nf = layer.activation\n")
    with pytest.raises(ProgramError, match="underscore"):
        trace("layer = nn.Linear(2, 2)\np = layer._parameters\n")
    with pytest.raises(
        ProgramError, match=r"`\.weight_ih_l1` is not available on GRU \(did you mean"
    ):
        trace("cell = nn.GRU(2, 3)\nw = cell.weight_ih_l1\n")


CONTAINERS = """
class Mixture(nn.Module):
    def __init__(self):
        super().__init__()
        self.weights = nn.ParameterList()
        for i in range(3):
            self.weights.append(nn.Parameter(torch.ones(2) * (i + 1)))
        self.heads = nn.ModuleDict({"a": nn.Linear(2, 1), "b": nn.Linear(2, 1)})
        self.scales = nn.ParameterDict({"a": nn.Parameter(torch.tensor(1.0)),
                                        "b": nn.Parameter(torch.tensor(2.0))})

    def forward(self, x):
        h = x
        for w in self.weights:
            h = h * w
        out = 0
        for key, head in self.heads.items():
            out = out + self.scales[key] * head(h)
        return out

torch.manual_seed(0)
m = Mixture()
loss = m(torch.randn(4, 2)).mean()
loss.backward()
print(len(m.weights), len(m.heads), list(m.heads.keys()), list(m.scales.keys()))
"""


def test_module_dict_and_parameter_containers_train_as_in_torch() -> None:
    printed: list[str] = []
    result = trace(CONTAINERS, on_print=printed.append)

    class Mixture(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.weights = nn.ParameterList()
            for i in range(3):
                self.weights.append(nn.Parameter(torch.ones(2) * (i + 1)))
            self.heads = nn.ModuleDict({"a": nn.Linear(2, 1), "b": nn.Linear(2, 1)})
            self.scales = nn.ParameterDict(
                {"a": nn.Parameter(torch.tensor(1.0)), "b": nn.Parameter(torch.tensor(2.0))}
            )

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            h = x
            for w in self.weights:
                h = h * w
            out = torch.tensor(0.0)
            for key, head in self.heads.items():
                out = out + self.scales[key] * head(h)
            return out

    torch.manual_seed(0)
    m = Mixture()
    m(torch.randn(4, 2)).mean().backward()
    assert "".join(printed) == "3 2 ['a', 'b'] ['a', 'b']\n"
    grads = _grads(result.graph)
    for path, parameter in m.named_parameters():
        torch.testing.assert_close(grads[f"m.{path}"], parameter.grad, msg=path)
    assert len(grads) == len(list(m.parameters())) == 9


def test_the_plain_list_hint_names_a_container_the_language_has() -> None:
    """The remark on layers in a plain list says `nn.ModuleList([…])`; dicts and parameters
    get nn.ModuleDict / nn.ParameterList / nn.ParameterDict, which now run too."""
    fixed = SOME_IN_A_LIST.replace("self.hidden = []", "self.hidden = nn.ModuleList()")
    assert trace(fixed).graph.notes == []
    in_dict = (
        "class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.parts = nn.ParameterDict({'w': nn.Parameter(torch.ones(2))})\n"
        "    def forward(self, x):\n        return (self.parts['w'] * x).sum()\n"
        "net = Net()\nnet(torch.ones(2)).backward()\nprint(len(list(net.parameters())))\n"
    )
    printed: list[str] = []
    trace(in_dict, on_print=printed.append)
    assert printed == ["1\n"]
    with pytest.raises(ProgramError, match=r"has no method `\.keys`"):
        trace("seq = nn.Sequential(nn.Linear(2, 2))\nk = seq.keys()\n")


def test_an_embedding_from_pretrained_vectors_trains_or_stays_frozen_as_in_torch() -> None:
    source = (
        "vectors = torch.tensor([[0.1, 0.2], [0.3, -0.4], [1.0, 0.5]])\n"
        "emb = nn.Embedding.from_pretrained(vectors, freeze={freeze})\n"
        "ids = torch.tensor([2, 0, 2])\nout = (emb(ids) * torch.tensor([1.0, 3.0])).sum()\n"
        "print(emb.weight.requires_grad)\n"
    )
    vectors = torch.tensor([[0.1, 0.2], [0.3, -0.4], [1.0, 0.5]])
    emb = nn.Embedding.from_pretrained(vectors.clone(), freeze=False)
    (emb(torch.tensor([2, 0, 2])) * torch.tensor([1.0, 3.0])).sum().backward()
    result = trace(source.format(freeze=False) + "out.backward()\n")
    torch.testing.assert_close(_grads(result.graph)["emb.weight"], emb.weight.grad)
    printed: list[str] = []
    trace(source.format(freeze=True), on_print=printed.append)
    assert printed == ["False\n"]


TIED = """
class TinyLM(nn.Module):
    def __init__(self):
        super().__init__()
        self.tok_emb = nn.Embedding(7, 4)
        self.head = nn.Linear(4, 7, bias=False)
        self.head.weight = self.tok_emb.weight

    def forward(self, idx):
        return self.head(torch.tanh(self.tok_emb(idx)))

torch.manual_seed(0)
model = TinyLM()
idx = torch.tensor([[1, 3, 5], [2, 2, 6]])
loss = F.cross_entropy(model(idx).view(6, 7), idx.view(6))
loss.backward()
print(len(list(model.parameters())), model.head.weight is model.tok_emb.weight)
"""


def test_weight_tying_shares_one_parameter_whose_gradient_sums_both_uses() -> None:
    """nanoGPT's `self.lm_head.weight = self.tok_emb.weight`: one parameter (one leaf in the
    graph, feeding the embedding and the head), its gradient the sum, as in torch."""
    printed: list[str] = []
    result = trace(TIED, on_print=printed.append)

    class TinyLM(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.tok_emb = nn.Embedding(7, 4)
            self.head = nn.Linear(4, 7, bias=False)
            self.head.weight = self.tok_emb.weight

        def forward(self, idx: torch.Tensor) -> torch.Tensor:
            out: torch.Tensor = self.head(torch.tanh(self.tok_emb(idx)))
            return out

    torch.manual_seed(0)
    model = TinyLM()
    idx = torch.tensor([[1, 3, 5], [2, 2, 6]])
    torch.nn.functional.cross_entropy(model(idx).view(6, 7), idx.view(6)).backward()
    assert printed == ["1 True\n"]
    grads = _grads(result.graph)
    assert list(grads) == ["model.tok_emb.weight"]
    torch.testing.assert_close(grads["model.tok_emb.weight"], model.tok_emb.weight.grad)
    leaf = next(n for n in result.graph.nodes if n.param_path == "model.tok_emb.weight")
    assert len([e for e in result.graph.edges if e.src == leaf.id]) == 2  # both uses


def test_a_layer_s_parameter_is_set_only_to_a_parameter() -> None:
    with pytest.raises(ProgramError, match=r"line 2.*`\.weight` is an nn\.Parameter"):
        trace("m = nn.Linear(2, 2)\nm.weight = torch.ones(2, 2)\n")
    with pytest.raises(ProgramError, match=r"setting `\.in_features` is not allowed"):
        trace("m = nn.Linear(2, 2)\nm.in_features = 3\n")
    printed: list[str] = []
    trace(
        "m = nn.Linear(2, 2)\nm.bias = None\nm.weight = nn.Parameter(torch.eye(2))\n"
        "print(m(torch.tensor([[1.0, 2.0]])))\n",
        on_print=printed.append,
    )
    m = nn.Linear(2, 2)
    m.bias = None
    m.weight = nn.Parameter(torch.eye(2))
    assert printed == [f"{m(torch.tensor([[1.0, 2.0]]))}\n"]


def test_pad_sequence_pads_a_batch_and_backpropagates_as_in_torch() -> None:
    source = (
        "from torch.nn.utils.rnn import pad_sequence\n"
        "a = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)\n"
        "b = torch.tensor([4.0, 5.0], requires_grad=True)\n"
        "padded = pad_sequence([a, b], batch_first=True, padding_value=-1.0)\n"
        "loss = (padded * torch.arange(3.0)).sum()\nloss.backward()\nprint(padded)\n"
    )
    printed: list[str] = []
    result = trace(source, on_print=printed.append)
    a = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = torch.tensor([4.0, 5.0], requires_grad=True)
    padded = nn.utils.rnn.pad_sequence([a, b], batch_first=True, padding_value=-1.0)
    (padded * torch.arange(3.0)).sum().backward()
    assert printed == [f"{padded}\n"]
    grads = {n.name: n.grad for n in result.graph.nodes if n.kind == "input"}
    torch.testing.assert_close(grads["a"], a.grad)
    torch.testing.assert_close(grads["b"], b.grad)
