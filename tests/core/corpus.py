"""Programs in the gradviz language, each with the same computation written in plain torch.

Each reference seeds torch with 0 (as gradviz does before every run), creates tensors in the
same order, keeps intermediates with retain_grad(), runs backward exactly as the program (or,
without a `.backward()`, as gradviz: seeded with ones), and returns {name: tensor}.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

Ref = dict[str, torch.Tensor]


@dataclass(frozen=True)
class Case:
    name: str
    source: str
    reference: Callable[[], tuple[Ref, torch.Tensor]]  # (named tensors, output)


def leaf(value: float) -> torch.Tensor:
    return torch.tensor(value, requires_grad=True)


def keep(**tensors: torch.Tensor) -> Ref:
    for t in tensors.values():
        if t.requires_grad and not t.is_leaf:
            t.retain_grad()
    return tensors


def finish(named: Ref, out: torch.Tensor, call_backward: bool = False) -> tuple[Ref, torch.Tensor]:
    if out.requires_grad:
        out.backward(torch.ones_like(out)) if not call_backward else out.backward()
    return named, out


CASES: list[Case] = []


def case(name: str, source: str) -> Callable[[Callable[[], tuple[Ref, torch.Tensor]]], None]:
    def register(fn: Callable[[], tuple[Ref, torch.Tensor]]) -> None:
        CASES.append(Case(name, source.strip() + "\n", fn))

    return register


@case("lecture expression", "x = 2.0\ny = 3.0\nx*y + exp(x*y)")
def _() -> tuple[Ref, torch.Tensor]:
    torch.manual_seed(0)
    x, y = leaf(2.0), leaf(3.0)
    out = x * y + torch.exp(x * y)
    return finish(keep(x=x, y=y), out)


@case("lecture named z1 z2 z3", "x = 2.0\ny = 3.0\nz1 = x*y\nz2 = exp(z1)\nz3 = z1 + z2")
def _() -> tuple[Ref, torch.Tensor]:
    torch.manual_seed(0)
    x, y = leaf(2.0), leaf(3.0)
    z1 = x * y
    z2 = torch.exp(z1)
    z3 = z1 + z2
    return finish(keep(x=x, y=y, z1=z1, z2=z2, z3=z3), z3)


COMPUTING_GRADIENTS = """
x = torch.ones(5)
y = torch.zeros(3)
w = torch.randn(5, 3, requires_grad=True)
b = torch.randn(3, requires_grad=True)
z = torch.matmul(x, w)+b
loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)
loss.backward()
print(w.grad)
print(b.grad)
"""


@case("computing gradients", COMPUTING_GRADIENTS)
def _() -> tuple[Ref, torch.Tensor]:
    torch.manual_seed(0)
    x = torch.ones(5)
    y = torch.zeros(3)
    w = torch.randn(5, 3, requires_grad=True)
    b = torch.randn(3, requires_grad=True)
    z = torch.matmul(x, w) + b
    loss = F.binary_cross_entropy_with_logits(z, y)
    named = keep(x=x, y=y, w=w, b=b, z=z, loss=loss)
    return finish(named, loss, call_backward=True)


@case("fan-out of a leaf", "a = 1.5\nb = a * a\nc = a + b\nd = c * a")
def _() -> tuple[Ref, torch.Tensor]:
    a = leaf(1.5)
    b = a * a
    c = a + b
    d = c * a
    return finish(keep(a=a, b=b, c=c, d=d), d)


@case("pow sqrt log", "x = 3.0\ny = x ** 2\nz = sqrt(y) + log(x)\nw = z ** 0.5")
def _() -> tuple[Ref, torch.Tensor]:
    x = leaf(3.0)
    y = x**2
    z = torch.sqrt(y) + torch.log(x)
    w = z**0.5
    return finish(keep(x=x, y=y, z=z, w=w), w)


@case("trig and division", "t = 0.7\nu = sin(t) / cos(t)\nv = u - tanh(t) * 2.0")
def _() -> tuple[Ref, torch.Tensor]:
    t = leaf(0.7)
    u = torch.sin(t) / torch.cos(t)
    v = u - torch.tanh(t) * 2.0
    return finish(keep(t=t, u=u, v=v), v)


@case("sigmoid relu abs", "x = -0.5\nh = sigmoid(x) + relu(x) + abs(x)\nout = h * h")
def _() -> tuple[Ref, torch.Tensor]:
    x = leaf(-0.5)
    h = torch.sigmoid(x) + torch.relu(x) + torch.abs(x)
    out = h * h
    return finish(keep(x=x, h=h, out=out), out)


@case("constants mixed in", "x = 2.0\nc = torch.tensor(4.0)\ny = 3 * x + c - 1.5 / x\nz = y ** 3")
def _() -> tuple[Ref, torch.Tensor]:
    x = leaf(2.0)
    c = torch.tensor(4.0)
    y = 3 * x + c - 1.5 / x
    z = y**3
    return finish(keep(x=x, c=c, y=y, z=z), z)


@case(
    "broadcasting",
    """
rand = torch.rand(2, 4, requires_grad=True)
doubled = rand * (torch.ones(1, 4) * 2)
s = doubled.sum()
""",
)
def _() -> tuple[Ref, torch.Tensor]:
    torch.manual_seed(0)
    rand = torch.rand(2, 4, requires_grad=True)
    doubled = rand * (torch.ones(1, 4) * 2)
    s = doubled.sum()
    return finish(keep(rand=rand, doubled=doubled, s=s), s)


@case(
    "broadcast add of row and column",
    """
a = torch.randn(3, 1, requires_grad=True)
b = torch.randn(1, 4, requires_grad=True)
c = a + b
loss = (c * c).mean()
""",
)
def _() -> tuple[Ref, torch.Tensor]:
    torch.manual_seed(0)
    a = torch.randn(3, 1, requires_grad=True)
    b = torch.randn(1, 4, requires_grad=True)
    c = a + b
    loss = (c * c).mean()
    return finish(keep(a=a, b=b, c=c, loss=loss), loss)


@case(
    "mm and mv and dot",
    """
A = torch.randn(3, 4, requires_grad=True)
B = torch.randn(4, 2, requires_grad=True)
v = torch.randn(2, requires_grad=True)
C = torch.mm(A, B)
u = torch.mv(C, v)
s = torch.dot(u, u)
""",
)
def _() -> tuple[Ref, torch.Tensor]:
    torch.manual_seed(0)
    A = torch.randn(3, 4, requires_grad=True)
    B = torch.randn(4, 2, requires_grad=True)
    v = torch.randn(2, requires_grad=True)
    C = torch.mm(A, B)
    u = torch.mv(C, v)
    s = torch.dot(u, u)
    return finish(keep(A=A, B=B, v=v, C=C, u=u, s=s), s)


@case(
    "matmul operator batched",
    """
X = torch.randn(2, 3, 4, requires_grad=True)
W = torch.randn(4, 5, requires_grad=True)
Y = X @ W
out = Y.sum()
""",
)
def _() -> tuple[Ref, torch.Tensor]:
    torch.manual_seed(0)
    X = torch.randn(2, 3, 4, requires_grad=True)
    W = torch.randn(4, 5, requires_grad=True)
    Y = X @ W
    out = Y.sum()
    return finish(keep(X=X, W=W, Y=Y, out=out), out)


@case(
    "reductions with dims",
    """
x = torch.randn(4, 5, requires_grad=True)
m = x.mean(dim=1)
s = x.sum(0, keepdim=True)
v = x.var(dim=0)
mx = x.max(dim=1).values
total = m.sum() + s.sum() + v.sum() + mx.sum()
""",
)
def _() -> tuple[Ref, torch.Tensor]:
    torch.manual_seed(0)
    x = torch.randn(4, 5, requires_grad=True)
    m = x.mean(dim=1)
    s = x.sum(0, keepdim=True)
    v = x.var(dim=0)
    mx = x.max(dim=1).values
    total = m.sum() + s.sum() + v.sum() + mx.sum()
    return finish(keep(x=x, m=m, s=s, v=v, mx=mx, total=total), total)


@case(
    "views reshape transpose",
    """
x = torch.randn(2, 6, requires_grad=True)
r = x.view(3, 4)
t = r.T
f = t.reshape(-1)
q = f.unsqueeze(0).squeeze(0)
out = (q * torch.arange(12.0)).sum()
""",
)
def _() -> tuple[Ref, torch.Tensor]:
    torch.manual_seed(0)
    x = torch.randn(2, 6, requires_grad=True)
    r = x.view(3, 4)
    t = r.T
    f = t.reshape(-1)
    q = f.unsqueeze(0).squeeze(0)
    out = (q * torch.arange(12.0)).sum()
    return finish(keep(x=x, r=r, t=t, f=f, q=q, out=out), out)


@case(
    "indexing and slicing",
    """
x = torch.randn(4, 5, requires_grad=True)
a = x[0]
b = x[1:3, ::2]
c = x[:, -1]
d = x[torch.tensor([0, 2])]
out = a.sum() + b.sum() * 2 + c.prod() + d.mean()
""",
)
def _() -> tuple[Ref, torch.Tensor]:
    torch.manual_seed(0)
    x = torch.randn(4, 5, requires_grad=True)
    a = x[0]
    b = x[1:3, ::2]
    c = x[:, -1]
    d = x[torch.tensor([0, 2])]
    out = a.sum() + b.sum() * 2 + c.prod() + d.mean()
    return finish(keep(x=x, a=a, b=b, c=c, d=d, out=out), out)


@case(
    "softmax and log_softmax",
    """
logits = torch.randn(3, 4, requires_grad=True)
p = torch.softmax(logits, dim=1)
lp = F.log_softmax(logits, dim=-1)
out = (p * lp).sum()
""",
)
def _() -> tuple[Ref, torch.Tensor]:
    torch.manual_seed(0)
    logits = torch.randn(3, 4, requires_grad=True)
    p = torch.softmax(logits, dim=1)
    lp = F.log_softmax(logits, dim=-1)
    out = (p * lp).sum()
    return finish(keep(logits=logits, p=p, lp=lp, out=out), out)


@case(
    "clamp where and masks",
    """
x = torch.randn(6, requires_grad=True)
c = torch.clamp(x, -0.5, 0.5)
mask = x > 0
w = torch.where(mask, x * 2, -x)
out = (c + w).sum()
""",
)
def _() -> tuple[Ref, torch.Tensor]:
    torch.manual_seed(0)
    x = torch.randn(6, requires_grad=True)
    c = torch.clamp(x, -0.5, 0.5)
    mask = x > 0
    w = torch.where(mask, x * 2, -x)
    out = (c + w).sum()
    return finish(keep(x=x, c=c, w=w, out=out), out)


@case(
    "activations",
    """
x = torch.linspace(-2, 2, 7, requires_grad=True)
a = F.gelu(x) + F.leaky_relu(x, 0.1) + F.elu(x) + F.silu(x) + F.softplus(x)
out = a.sum()
""",
)
def _() -> tuple[Ref, torch.Tensor]:
    x = torch.linspace(-2, 2, 7, requires_grad=True)
    a = F.gelu(x) + F.leaky_relu(x, 0.1) + F.elu(x) + F.silu(x) + F.softplus(x)
    out = a.sum()
    return finish(keep(x=x, a=a, out=out), out)


@case(
    "mse loss functional",
    """
pred = torch.randn(5, requires_grad=True)
target = torch.randn(5)
loss = F.mse_loss(pred, target)
loss.backward()
""",
)
def _() -> tuple[Ref, torch.Tensor]:
    torch.manual_seed(0)
    pred = torch.randn(5, requires_grad=True)
    target = torch.randn(5)
    loss = F.mse_loss(pred, target)
    return finish(keep(pred=pred, target=target, loss=loss), loss, call_backward=True)


@case(
    "cross entropy",
    """
logits = torch.randn(4, 3, requires_grad=True)
labels = torch.tensor([0, 2, 1, 2])
loss = F.cross_entropy(logits, labels)
loss.backward()
""",
)
def _() -> tuple[Ref, torch.Tensor]:
    torch.manual_seed(0)
    logits = torch.randn(4, 3, requires_grad=True)
    labels = torch.tensor([0, 2, 1, 2])
    loss = F.cross_entropy(logits, labels)
    return finish(keep(logits=logits, loss=loss), loss, call_backward=True)


@case(
    "bce and nll",
    """
p = torch.sigmoid(torch.randn(4, requires_grad=True))
t = torch.tensor([1.0, 0.0, 1.0, 0.0])
l1 = F.binary_cross_entropy(p, t)
lp = F.log_softmax(torch.randn(2, 3, requires_grad=True), dim=1)
l2 = F.nll_loss(lp, torch.tensor([2, 0]))
loss = l1 + l2
""",
)
def _() -> tuple[Ref, torch.Tensor]:
    torch.manual_seed(0)
    p = torch.sigmoid(torch.randn(4, requires_grad=True))
    t = torch.tensor([1.0, 0.0, 1.0, 0.0])
    l1 = F.binary_cross_entropy(p, t)
    lp = F.log_softmax(torch.randn(2, 3, requires_grad=True), dim=1)
    l2 = F.nll_loss(lp, torch.tensor([2, 0]))
    loss = l1 + l2
    return finish(keep(p=p, l1=l1, lp=lp, l2=l2, loss=loss), loss)


@case(
    "nn linear relu mse",
    """
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
X = torch.randn(4, 2)
y = torch.randn(4, 1)
out = model(X)
loss = F.mse_loss(out, y)
loss.backward()
""",
)
def _() -> tuple[Ref, torch.Tensor]:
    torch.manual_seed(0)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    X = torch.randn(4, 2)
    y = torch.randn(4, 1)
    out = model(X)
    loss = F.mse_loss(out, y)
    named = keep(X=X, y=y, out=out, loss=loss)
    named["model.0.weight"] = model[0].weight
    named["model.0.bias"] = model[0].bias
    named["model.2.weight"] = model[2].weight
    named["model.2.bias"] = model[2].bias
    return finish(named, loss, call_backward=True)


@case(
    "nn cross entropy module",
    """
net = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))
criterion = nn.CrossEntropyLoss()
X = torch.randn(5, 4)
labels = torch.tensor([0, 1, 2, 1, 0])
logits = net(X)
loss = criterion(logits, labels)
loss.backward()
""",
)
def _() -> tuple[Ref, torch.Tensor]:
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))
    criterion = nn.CrossEntropyLoss()
    X = torch.randn(5, 4)
    labels = torch.tensor([0, 1, 2, 1, 0])
    logits = net(X)
    loss = criterion(logits, labels)
    named = keep(X=X, logits=logits, loss=loss)
    named["net.0.weight"] = net[0].weight
    named["net.2.bias"] = net[2].bias
    return finish(named, loss, call_backward=True)


@case(
    "conv2d small cnn",
    """
conv = nn.Conv2d(1, 2, 3)
img = torch.randn(1, 1, 6, 6)
h = F.relu(conv(img))
pooled = F.max_pool2d(h, 2)
score = pooled.flatten().sum()
""",
)
def _() -> tuple[Ref, torch.Tensor]:
    torch.manual_seed(0)
    conv = nn.Conv2d(1, 2, 3)
    img = torch.randn(1, 1, 6, 6)
    h = F.relu(conv(img))
    pooled = F.max_pool2d(h, 2)
    score = pooled.flatten().sum()
    named = keep(img=img, h=h, pooled=pooled, score=score)
    named["conv.weight"] = conv.weight
    named["conv.bias"] = conv.bias
    return finish(named, score)


@case(
    "bce with logits module and sigmoid output",
    """
lin = nn.Linear(3, 1)
X = torch.randn(6, 3)
y = torch.tensor([[1.0], [0.0], [1.0], [1.0], [0.0], [0.0]])
logits = lin(X)
loss = nn.BCEWithLogitsLoss()(logits, y)
loss.backward()
""",
)
def _() -> tuple[Ref, torch.Tensor]:
    torch.manual_seed(0)
    lin = nn.Linear(3, 1)
    X = torch.randn(6, 3)
    y = torch.tensor([[1.0], [0.0], [1.0], [1.0], [0.0], [0.0]])
    logits = lin(X)
    loss = nn.BCEWithLogitsLoss()(logits, y)
    named = keep(X=X, y=y, logits=logits, loss=loss)
    named["lin.weight"] = lin.weight
    return finish(named, loss, call_backward=True)


@case(
    "cat stack split",
    """
a = torch.randn(2, 3, requires_grad=True)
b = torch.randn(2, 3, requires_grad=True)
c = torch.cat([a, b], dim=0)
s = torch.stack([a, b])
p, q = c.split(2)
out = (p * q).sum() + s.mean()
""",
)
def _() -> tuple[Ref, torch.Tensor]:
    torch.manual_seed(0)
    a = torch.randn(2, 3, requires_grad=True)
    b = torch.randn(2, 3, requires_grad=True)
    c = torch.cat([a, b], dim=0)
    s = torch.stack([a, b])
    p, q = c.split(2)
    out = (p * q).sum() + s.mean()
    return finish(keep(a=a, b=b, c=c, s=s, p=p, q=q, out=out), out)


@case(
    "non-scalar output seeded with ones",
    """
x = torch.randn(3, requires_grad=True)
y = x * x + 1
""",
)
def _() -> tuple[Ref, torch.Tensor]:
    torch.manual_seed(0)
    x = torch.randn(3, requires_grad=True)
    y = x * x + 1
    return finish(keep(x=x, y=y), y)


@case(
    "loop accumulation",
    """
x = 0.5
acc = x
for i in range(4):
    acc = acc * x + 1
out = acc
""",
)
def _() -> tuple[Ref, torch.Tensor]:
    x = leaf(0.5)
    acc = x
    for _i in range(4):
        acc = acc * x + 1
    out = acc
    return finish(keep(x=x, out=out), out)


@case(
    "manual sgd step then new loss",
    """
w = torch.tensor([1.0, -2.0], requires_grad=True)
xs = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
loss = ((xs @ w) ** 2).mean()
loss.backward()
with torch.no_grad():
    w -= 0.01 * w.grad
w.grad = None
loss2 = ((xs @ w) ** 2).mean()
loss2.backward()
""",
)
def _() -> tuple[Ref, torch.Tensor]:
    w = torch.tensor([1.0, -2.0], requires_grad=True)
    xs = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    loss = ((xs @ w) ** 2).mean()
    loss.backward()
    with torch.no_grad():
        w -= 0.01 * w.grad
    w.grad = None
    loss2 = ((xs @ w) ** 2).mean()
    return finish(keep(w=w, loss2=loss2), loss2, call_backward=True)


@case(
    "tensor methods chain",
    """
x = torch.randn(3, 4, requires_grad=True)
y = x.exp().log1p().sqrt().mul(2.0).add(1.0).div(3.0)
z = y.pow(2).sum(dim=1).norm()
""",
)
def _() -> tuple[Ref, torch.Tensor]:
    torch.manual_seed(0)
    x = torch.randn(3, 4, requires_grad=True)
    y = x.exp().log1p().sqrt().mul(2.0).add(1.0).div(3.0)
    z = y.pow(2).sum(dim=1).norm()
    return finish(keep(x=x, y=y, z=z), z)


@case(
    "attention scores",
    """
q = torch.randn(2, 4, requires_grad=True)
k = torch.randn(3, 4, requires_grad=True)
v = torch.randn(3, 5, requires_grad=True)
scores = q @ k.T / math.sqrt(4)
attn = torch.softmax(scores, dim=-1)
out = attn @ v
loss = out.pow(2).mean()
""",
)
def _() -> tuple[Ref, torch.Tensor]:
    torch.manual_seed(0)
    q = torch.randn(2, 4, requires_grad=True)
    k = torch.randn(3, 4, requires_grad=True)
    v = torch.randn(3, 5, requires_grad=True)
    scores = q @ k.T / 2.0
    attn = torch.softmax(scores, dim=-1)
    out = attn @ v
    loss = out.pow(2).mean()
    return finish(keep(q=q, k=k, v=v, scores=scores, attn=attn, out=out, loss=loss), loss)


@case(
    "layer norm and dropout in eval",
    """
ln = nn.LayerNorm(4)
drop = nn.Dropout(0.5)
drop.eval()
x = torch.randn(3, 4, requires_grad=True)
h = drop(ln(x))
loss = (h * torch.arange(4.0)).sum()
""",
)
def _() -> tuple[Ref, torch.Tensor]:
    torch.manual_seed(0)
    ln = nn.LayerNorm(4)
    drop = nn.Dropout(0.5)
    drop.eval()
    x = torch.randn(3, 4, requires_grad=True)
    h = drop(ln(x))
    loss = (h * torch.arange(4.0)).sum()
    named = keep(x=x, h=h, loss=loss)
    named["ln.weight"] = ln.weight
    return finish(named, loss)


@case(
    "in-place relu on an intermediate",
    """
x = torch.randn(5, requires_grad=True)
h = x * 3
h.clamp_(min=0.0)
out = (h * x).sum()
""",
)
def _() -> tuple[Ref, torch.Tensor]:
    torch.manual_seed(0)
    x = torch.randn(5, requires_grad=True)
    h = x * 3
    h.clamp_(min=0.0)
    out = (h * x).sum()
    return finish(keep(x=x, h=h, out=out), out)


@case(
    "tensor snippets arithmetic with grad",
    """
base = torch.ones(2, 2, requires_grad=True)
ones = base * 0 + 1
twos = torch.ones(2, 2) * 2 * base
threes = (torch.ones(2, 2) * 7 - 1) / 2 * base
fours = twos ** 2
sqrt2s = twos ** 0.5
total = (ones + threes + fours + sqrt2s).sum()
""",
)
def _() -> tuple[Ref, torch.Tensor]:
    base = torch.ones(2, 2, requires_grad=True)
    ones = base * 0 + 1
    twos = torch.ones(2, 2) * 2 * base
    threes = (torch.ones(2, 2) * 7 - 1) / 2 * base
    fours = twos**2
    sqrt2s = twos**0.5
    total = (ones + threes + fours + sqrt2s).sum()
    return finish(
        keep(base=base, ones=ones, twos=twos, threes=threes, fours=fours, sqrt2s=sqrt2s),
        total,
    )


@case(
    "embedding and mean pooling",
    """
emb = nn.Embedding(10, 3)
tokens = torch.tensor([1, 4, 4, 7])
vecs = emb(tokens)
pooled = vecs.mean(dim=0)
score = (pooled * torch.tensor([1.0, -1.0, 0.5])).sum()
""",
)
def _() -> tuple[Ref, torch.Tensor]:
    torch.manual_seed(0)
    emb = nn.Embedding(10, 3)
    tokens = torch.tensor([1, 4, 4, 7])
    vecs = emb(tokens)
    pooled = vecs.mean(dim=0)
    score = (pooled * torch.tensor([1.0, -1.0, 0.5])).sum()
    named = keep(vecs=vecs, pooled=pooled, score=score)
    named["emb.weight"] = emb.weight
    return finish(named, score)


@case(
    "a GRU cell's in-place gates",
    """
cell = nn.GRUCell(3, 2)
X = torch.randn(2, 3)
H = torch.randn(2, 2)
h = cell(X, H)
score = (h * torch.tensor([1.0, -2.0])).sum()
""",
)
def _() -> tuple[Ref, torch.Tensor]:
    torch.manual_seed(0)
    cell = nn.GRUCell(3, 2)
    X = torch.randn(2, 3)
    H = torch.randn(2, 2)
    h = cell(X, H)
    score = (h * torch.tensor([1.0, -2.0])).sum()
    named = keep(h=h, score=score)
    named["cell.weight_hh"] = cell.weight_hh
    named["cell.bias_ih"] = cell.bias_ih
    return finish(named, score)


@case(
    "a tensor read between two in-place writes",
    """
x = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)
a = x * 2
c = a.clone()
a.add_(1)
d = c + a
a.mul_(10)
loss = (d * a).sum()
""",
)
def _() -> tuple[Ref, torch.Tensor]:
    torch.manual_seed(0)
    x = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)
    a = x * 2
    c = a.clone()
    a.add_(1)
    d = c + a
    a.mul_(10)
    loss = (d * a).sum()
    return finish(keep(x=x, c=c, d=d, loss=loss), loss)


@case(
    "torch.linalg: norms, a solve, an inverse and a determinant",
    """
A = torch.randn(3, 3) + 3 * torch.eye(3)
A.requires_grad_()
b = torch.randn(3, requires_grad=True)
x = torch.linalg.solve(A, b)
size = torch.linalg.vector_norm(x) + torch.linalg.matrix_norm(A)
volume = torch.linalg.det(A) + torch.linalg.slogdet(A).logabsdet
loss = size + volume + torch.linalg.inv(A).sum() + torch.linalg.norm(b, ord=1)
""",
)
def _() -> tuple[Ref, torch.Tensor]:
    torch.manual_seed(0)
    A = torch.randn(3, 3) + 3 * torch.eye(3)
    A.requires_grad_()
    b = torch.randn(3, requires_grad=True)
    x = torch.linalg.solve(A, b)
    size = torch.linalg.vector_norm(x) + torch.linalg.matrix_norm(A)
    volume = torch.linalg.det(A) + torch.linalg.slogdet(A).logabsdet
    loss = size + volume + torch.linalg.inv(A).sum() + torch.linalg.norm(b, ord=1)
    return finish(keep(A=A, b=b, x=x, size=size, volume=volume, loss=loss), loss)


@case(
    "torch.linalg: factorisations and least squares, by their results' fields",
    """
M = torch.randn(5, 3, requires_grad=True)
y = torch.randn(5, 1)
spread = torch.linalg.svd(M, full_matrices=False).S.sum()
gram = M.T @ M
top = torch.linalg.eigh(gram).eigenvalues.max()
Q, R = torch.linalg.qr(M)
L = torch.linalg.cholesky(gram + torch.eye(3))
w = torch.linalg.lstsq(M, y).solution
fit = torch.linalg.pinv(M) @ y
loss = spread + top + R.diagonal().abs().sum() + Q[0].abs().sum() + L.sum() + (w - fit).pow(2).sum()
""",
)
def _() -> tuple[Ref, torch.Tensor]:
    torch.manual_seed(0)
    M = torch.randn(5, 3, requires_grad=True)
    y = torch.randn(5, 1)
    spread = torch.linalg.svd(M, full_matrices=False).S.sum()
    gram = M.T @ M
    top = torch.linalg.eigh(gram).eigenvalues.max()
    Q, R = torch.linalg.qr(M)
    L = torch.linalg.cholesky(gram + torch.eye(3))
    w = torch.linalg.lstsq(M, y).solution
    fit = torch.linalg.pinv(M) @ y
    loss = (
        spread
        + top
        + R.diagonal().abs().sum()
        + Q[0].abs().sum()
        + L.sum()
        + (w - fit).pow(2).sum()
    )
    named = keep(M=M, spread=spread, gram=gram, top=top, L=L, w=w, fit=fit, loss=loss)
    return finish(named, loss)


@case(
    "the older names of torch.linalg's: torch.inverse, det, logdet, slogdet, pinverse, svd",
    """
A = torch.randn(3, 3, requires_grad=True)
B = A @ A.T + torch.eye(3)
volume = torch.det(B) + B.det() + torch.logdet(B) + B.logdet() + torch.slogdet(B)[1]
inverse = torch.inverse(B) + B.inverse() + torch.pinverse(B) + B.pinverse()
U, S, V = torch.svd(B)
loss = volume + inverse.sum() + S.sum() + B.svd().S.max()
""",
)
def _() -> tuple[Ref, torch.Tensor]:
    torch.manual_seed(0)
    A = torch.randn(3, 3, requires_grad=True)
    B = A @ A.T + torch.eye(3)
    volume = torch.det(B) + B.det() + torch.logdet(B) + B.logdet() + torch.slogdet(B)[1]
    inverse = torch.inverse(B) + B.inverse() + torch.pinverse(B) + B.pinverse()
    _, S, _ = torch.svd(B)
    loss = volume + inverse.sum() + S.sum() + B.svd().S.max()
    return finish(keep(A=A, B=B, volume=volume, inverse=inverse, S=S, loss=loss), loss)


@case(
    "written by hand: moments, stable log-sums, entropies, picks and products",
    """
a = torch.randn(3, 4, requires_grad=True)
b = torch.rand(3, 4, requires_grad=True)
moment = torch.addcmul(a, a, b, value=0.5) + torch.addcdiv(a, a, b + 1, value=-0.1)
soft = torch.logaddexp(a, b) + torch.xlogy(b, b + 1) + torch.logit(b * 0.8 + 0.1)
clean = torch.nan_to_num(a / b)
picked = torch.take_along_dim(a, a.argmax(1, keepdim=True), 1)
pair = torch.vdot(a[0], b[0]) + torch.fmax(a, b)
area = torch.trapezoid(b.swapaxes(0, 1)) + torch.aminmax(a).max + torch.select(a, 0, 1).sum()
loss = moment.sum() + soft.sum() + clean.ravel().sum() + picked.sum() + pair.sum() + area.sum()
""",
)
def _() -> tuple[Ref, torch.Tensor]:
    torch.manual_seed(0)
    a = torch.randn(3, 4, requires_grad=True)
    b = torch.rand(3, 4, requires_grad=True)
    moment = torch.addcmul(a, a, b, value=0.5) + torch.addcdiv(a, a, b + 1, value=-0.1)
    soft = torch.logaddexp(a, b) + torch.xlogy(b, b + 1) + torch.logit(b * 0.8 + 0.1)
    clean = torch.nan_to_num(a / b)
    picked = torch.take_along_dim(a, a.argmax(1, keepdim=True), 1)
    pair = torch.vdot(a[0], b[0]) + torch.fmax(a, b)
    area = torch.trapezoid(b.swapaxes(0, 1)) + torch.aminmax(a).max + torch.select(a, 0, 1).sum()
    loss = moment.sum() + soft.sum() + clean.ravel().sum() + picked.sum() + pair.sum() + area.sum()
    named = keep(a=a, b=b, moment=moment, soft=soft, clean=clean, picked=picked, pair=pair)
    named.update(keep(area=area, loss=loss))
    return finish(named, loss)


@case(
    "lazy layers (d2l's concise style): sizes read off the first batch",
    """
net = nn.Sequential(nn.LazyConv2d(3, kernel_size=3), nn.LazyBatchNorm2d(), nn.ReLU(),
                    nn.Flatten(), nn.LazyLinear(2))
X = torch.randn(4, 1, 5, 5)
out = net(X)
loss = F.cross_entropy(out, torch.tensor([0, 1, 1, 0]))
loss.backward()
""",
)
def _() -> tuple[Ref, torch.Tensor]:
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.LazyConv2d(3, kernel_size=3), nn.LazyBatchNorm2d(), nn.ReLU(), nn.Flatten(),
        nn.LazyLinear(2),
    )  # fmt: skip
    X = torch.randn(4, 1, 5, 5)
    out = net(X)
    loss = F.cross_entropy(out, torch.tensor([0, 1, 1, 0]))
    named = keep(X=X, out=out, loss=loss)
    for path, parameter in net.named_parameters():
        named[f"net.{path}"] = parameter
    return finish(named, loss, call_backward=True)


@case(
    "small helpers: finfo's eps, cosine similarity, rot90, sinc, threshold, tanhshrink",
    """
a = torch.randn(3, 4, requires_grad=True)
b = torch.randn(3, 4, requires_grad=True)
eps = torch.finfo(torch.float32).eps
similar = torch.cosine_similarity(a, b, dim=1, eps=eps)
turned = torch.rot90(a, 1, (0, 1))
wave = torch.sinc(b) + F.threshold(a, 0.1, -1.0) + F.tanhshrink(b)
loss = similar.sum() + turned[0].sum() + wave.sum() * torch.iinfo(torch.int8).max / 127
""",
)
def _() -> tuple[Ref, torch.Tensor]:
    torch.manual_seed(0)
    a = torch.randn(3, 4, requires_grad=True)
    b = torch.randn(3, 4, requires_grad=True)
    similar = F.cosine_similarity(a, b, dim=1, eps=torch.finfo(torch.float32).eps)
    turned = torch.rot90(a, 1, (0, 1))
    wave = torch.sinc(b) + F.threshold(a, 0.1, -1.0) + F.tanhshrink(b)
    loss = similar.sum() + turned[0].sum() + wave.sum() * torch.iinfo(torch.int8).max / 127
    named = keep(a=a, b=b, similar=similar, turned=turned, wave=wave, loss=loss)
    return finish(named, loss)
