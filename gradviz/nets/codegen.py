"""The builder's network as a program in the gradviz language: data, model, loss, optimizer and
the training step, written the way the lecture writes them."""

from __future__ import annotations

from gradviz.nets.spec import ACTIVATIONS, FEATURES, LOSSES, NetworkSpec
from gradviz.optim.registry import parse_spec

HEADER = "# Built with the Network tab; edit it here or there, they stay one program."

# Each dataset makes the columns x, y and the target from n points, noise and half = n // 2.
DATASET_CODE = {
    "circles": """\
angle = torch.rand(n) * 2 * math.pi
radius = torch.cat([torch.rand(half) * 0.5, 0.7 + torch.rand(n - half) * 0.3])
x = radius * torch.cos(angle) + noise * torch.randn(n)
y = radius * torch.sin(angle) + noise * torch.randn(n)
target = torch.cat([torch.ones(half), torch.zeros(n - half)])""",
    "xor": """\
x = torch.rand(n) * 2 - 1
y = torch.rand(n) * 2 - 1
target = (x * y > 0).float()
x = x + noise * torch.randn(n)
y = y + noise * torch.randn(n)""",
    "gaussians": """\
target = torch.cat([torch.ones(half), torch.zeros(n - half)])
x = target - 0.5 + (0.25 + noise) * torch.randn(n)
y = target - 0.5 + (0.25 + noise) * torch.randn(n)""",
    "spiral": """\
target = torch.cat([torch.ones(half), torch.zeros(n - half)])
r = torch.cat([torch.arange(half), torch.arange(n - half)]) / half
theta = 3.5 * math.pi * r + math.pi * target
spread = 0.3 * noise  # the two arms are only 0.29 apart
x = r * torch.sin(theta) + spread * torch.randn(n)
y = r * torch.cos(theta) + spread * torch.randn(n)""",
    "moons": """\
target = torch.cat([torch.ones(half), torch.zeros(n - half)])
t = torch.rand(n) * math.pi
x = torch.where(target > 0, torch.cos(t), 1 - torch.cos(t)) - 0.5 + noise * torch.randn(n)
y = torch.where(target > 0, torch.sin(t), 0.5 - torch.sin(t)) - 0.25 + noise * torch.randn(n)""",
    "plane": """\
x = torch.rand(n) * 2 - 1
y = torch.rand(n) * 2 - 1
target = 0.6 * x - 0.8 * y + noise * torch.randn(n)""",
    "sine": """\
x = torch.rand(n) * 2 - 1
y = torch.rand(n) * 2 - 1
target = torch.sin(3 * x) * torch.cos(2 * y) + noise * torch.randn(n)""",
}


def _number(value: float) -> str:
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") and "e" not in text else text


def _data_code(spec: NetworkSpec) -> list[str]:
    """Settings first (top-level numbers: the Variables panel's sliders), then the data,
    made without gradients: they are the network's inputs, not something it learns."""
    data = spec.data
    settings = [f'dataset = "{data.name}"']
    if data.name == "csv":
        rows = ",\n    ".join(
            "[" + ", ".join(_number(v) for v in row) + "]" for row in data.csv_rows
        )
        settings.append(f"data = torch.tensor([\n    {rows},\n])")
        body = ["n = len(data)", "x, y, target = data[:, 0], data[:, 1], data[:, 2]"]
    else:
        settings += [f"n = {data.samples}", f"noise = {_number(data.noise)}"]
        body = ["half = n // 2", *DATASET_CODE[data.name].splitlines()]
    settings.append(f"test_fraction = {_number(data.test_fraction)}")
    features = ", ".join(FEATURES[name] for name in spec.features)
    labels = "target.long()" if spec.loss == "cross_entropy" else "target.unsqueeze(1)"
    body += [
        "order = torch.randperm(n)  # shuffled, so that every batch mixes the classes",
        "x, y, target = x[order], y[order], target[order]",
        f"features = torch.stack([{features}], dim=1)",
        f"labels = {labels}",
        "n_test = int(n * test_fraction)",
        "X_test, X_train = features[:n_test].to(device), features[n_test:].to(device)",
        "y_test, y_train = labels[:n_test].to(device), labels[n_test:].to(device)",
    ]
    return [*settings, "with torch.no_grad():", *(f"    {line}" for line in body)]


def _model_code(spec: NetworkSpec) -> list[str]:
    width = len(spec.features)
    rows = []
    for layer in spec.layers:
        row = [f"nn.Linear({width}, {layer.width})"]
        module = ACTIVATIONS[layer.activation]
        if module is not None:
            row.append(f"nn.{module}()")
        if spec.dropout > 0:
            row.append(f"nn.Dropout({_number(spec.dropout)})")
        rows.append(", ".join(row) + ",")
        width = layer.width
    rows.append(f"nn.Linear({width}, {spec.outputs}),")
    return ["model = nn.Sequential(", *(f"    {row}" for row in rows), ")"]


def _optimizer_code(spec: NetworkSpec) -> str:
    chosen = parse_spec(spec.optimizer)
    options = dict(chosen.kind.presets)
    options.update(dict(chosen.chosen))
    if spec.weight_decay != chosen.kind.defaults().get("weight_decay", 0.0):
        options["weight_decay"] = spec.weight_decay
    parts = ["model.parameters()"]
    for key, value in options.items():
        shown = (
            "(" + ", ".join(_number(v) for v in value) + ")"
            if isinstance(value, tuple)
            else (str(value) if isinstance(value, bool) else _number(value))
        )
        parts.append(f"{key}={shown}")
    return f"optimizer = torch.optim.{chosen.kind.cls.__name__}({', '.join(parts)})"


def program(spec: NetworkSpec, steps: int = 1) -> str:
    """The whole program. `steps` training steps (the graph shows the last one's)."""
    spec.check()
    lines = [
        HEADER,
        f"torch.manual_seed({spec.seed})",
        f'device = "{spec.device}"',
        "",
        "# the data: two columns x, y and a target",
        *_data_code(spec),
        "",
        "# the network, its loss and its optimizer",
        *_model_code(spec),
        "model = model.to(device)",
        f"loss_fn = nn.{LOSSES[spec.loss]}()",
        _optimizer_code(spec),
        "",
        "# training: zero_grad, forward, loss, backward, step on one batch after another",
        f"batch_size = {spec.batch_size}",
        f"steps = {steps}  # the Network tab trains on from here, step by step",
        "for step in range(steps):",
        "    start = step * batch_size % len(X_train)",
        "    inputs = X_train[start:start + batch_size]",
        "    labels_batch = y_train[start:start + batch_size]",
        "    optimizer.zero_grad()",
        "    loss = loss_fn(model(inputs), labels_batch)",
        "    loss.backward()",
        "    optimizer.step()",
    ]
    return "\n".join(lines) + "\n"
