"""A program in the builder's form read back into a NetworkSpec (with Python's ast; nothing is
run): what makes typing in the editor and building in the Network tab one thing."""

from __future__ import annotations

import ast
import itertools
from typing import Any

from gradviz.lang.parser import parse_python
from gradviz.nets.spec import ACTIVATIONS, FEATURES, LOSSES, Data, Layer, NetworkSpec
from gradviz.optim.registry import KINDS, TUPLE_PARTS, OptimizerKind


class NotBuilderForm(ValueError):
    """The program does not have the builder's shape; says where and why."""

    def __init__(self, message: str, node: ast.AST | None = None) -> None:
        line, col = getattr(node, "lineno", None), getattr(node, "col_offset", 0)
        where = f"line {line}, col {col + 1}: " if line is not None else ""
        super().__init__(where + message)


def _name(node: ast.AST) -> str:
    """`torch.optim.Adam` for that attribute chain, '' for anything else."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = _name(node.value)
        return f"{inner}.{node.attr}" if inner else ""
    return ""


def _literal(node: ast.AST) -> Any:
    """A number, string, bool or (nested) list/tuple of them, read without evaluating."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float, str, bool)):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _literal(node.operand)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, (ast.List, ast.Tuple)):
        return [_literal(item) for item in node.elts]
    raise NotBuilderForm("expected a plain number here", node)


FEATURE_BY_CODE = {ast.unparse(parse_python(code).body[0]): name for name, code in FEATURES.items()}
MODULE_ACTIVATIONS = {module: name for name, module in ACTIVATIONS.items() if module}
LOSS_BY_MODULE = {module: name for name, module in LOSSES.items()}


def _layers(call: ast.Call, spec: dict[str, Any]) -> None:
    layers: list[dict[str, Any]] = []
    dropouts: set[float] = set()
    widths: list[tuple[int, int, ast.AST]] = []
    for item in call.args:
        if not isinstance(item, ast.Call) or not _name(item.func).startswith("nn."):
            raise NotBuilderForm("nn.Sequential here holds torch.nn modules only", item)
        module = _name(item.func)[3:]
        if module == "Linear":
            if len(item.args) != 2 or item.keywords:
                raise NotBuilderForm("write nn.Linear(inputs, outputs)", item)
            fan_in, fan_out = (_literal(a) for a in item.args)
            widths.append((fan_in, fan_out, item))
            layers.append({"width": fan_out, "activation": "none"})
        elif module in MODULE_ACTIVATIONS and layers:
            layers[-1]["activation"] = MODULE_ACTIVATIONS[module]
        elif module == "Dropout" and layers:
            dropouts.add(float(_literal(item.args[0])) if item.args else 0.5)
        else:
            raise NotBuilderForm(f"the Network tab has no nn.{module} in this place", item)
    if not widths:
        raise NotBuilderForm("the model needs at least one nn.Linear", call)
    for (_, out, _), (fan_in, _, node) in itertools.pairwise(widths):
        if fan_in != out:
            raise NotBuilderForm(
                f"this layer takes {fan_in} inputs; the one before gives {out}", node
            )
    if len(dropouts) > 1:
        raise NotBuilderForm("the Network tab uses one dropout rate for every layer", call)
    output = layers.pop()
    if output["activation"] != "none":
        raise NotBuilderForm("the last nn.Linear gives the output: no activation after it", call)
    spec["layers"] = tuple(Layer(layer["width"], layer["activation"]) for layer in layers)
    spec["dropout"] = dropouts.pop() if dropouts else 0.0
    spec["_inputs"], spec["_outputs"] = widths[0][0], widths[-1][1]
    spec["_model"] = call


def _optimizer(call: ast.Call, spec: dict[str, Any]) -> None:
    cls = _name(call.func).removeprefix("torch.optim.")
    options = {k.arg: _literal(k.value) for k in call.keywords if k.arg}
    options = {k: tuple(v) if isinstance(v, list) else v for k, v in options.items()}
    candidates = [k for k in KINDS.values() if k.cls.__name__ == cls and k.name != "lbfgs"]
    if not candidates:
        raise NotBuilderForm(f"the Network tab has no optimizer torch.optim.{cls}", call)
    torch_defaults = OptimizerKind(cls, cls, candidates[0].cls).defaults()

    def fits(kind: OptimizerKind) -> bool:  # its presets that pick the algorithm all hold
        return all(
            options.get(key, torch_defaults.get(key)) == value
            for key, value in kind.presets.items()
            if key != "lr"
        )

    kind = max(
        (k for k in candidates if fits(k)), key=lambda k: len(k.presets), default=candidates[0]
    )
    defaults = kind.defaults()
    spec["weight_decay"] = float(options.pop("weight_decay", defaults.get("weight_decay", 0.0)))
    parts = []
    for key, value in options.items():
        if defaults.get(key) == value:
            continue
        if key in TUPLE_PARTS and isinstance(value, tuple):
            usual = defaults.get(key, ())
            parts += [
                f"{part}={v:g}"
                for i, (part, v) in enumerate(zip(TUPLE_PARTS[key], value, strict=False))
                if i >= len(usual) or usual[i] != v
            ]
        else:
            parts.append(f"{key}={value:g}" if isinstance(value, float) else f"{key}={value}")
    spec["optimizer"] = kind.name + (":" + ",".join(parts) if parts else "")


def _assignment(target: str, value: ast.expr, spec: dict[str, Any], data: dict[str, Any]) -> None:
    simple = {
        "n": ("samples", int),
        "noise": ("noise", float),
        "test_fraction": ("test_fraction", float),
    }
    if target in simple:
        key, kind = simple[target]
        if isinstance(value, ast.Constant):
            data[key] = kind(_literal(value))
    elif target == "dataset":
        data["name"] = _literal(value)
    elif target in ("device", "batch_size"):
        spec[target] = _literal(value)
    elif target == "data" and isinstance(value, ast.Call) and value.args:
        rows = _literal(value.args[0])
        if not all(isinstance(r, list) and len(r) == 3 for r in rows):
            raise NotBuilderForm("the data rows are [x, y, target]", value)
        data["csv_rows"] = tuple(tuple(float(v) for v in row) for row in rows)
    elif target == "features" and isinstance(value, ast.Call) and value.args:
        listed = value.args[0]
        if not isinstance(listed, ast.List):
            raise NotBuilderForm("features are torch.stack([...], dim=1)", value)
        names = []
        for item in listed.elts:
            code = ast.unparse(item)
            if code not in FEATURE_BY_CODE:
                raise NotBuilderForm(f"the Network tab has no input feature {code}", item)
            names.append(FEATURE_BY_CODE[code])
        spec["features"] = tuple(names)
    elif target == "model" and isinstance(value, ast.Call) and _name(value.func) == "nn.Sequential":
        _layers(value, spec)
    elif target == "loss_fn" and isinstance(value, ast.Call):
        module = _name(value.func).removeprefix("nn.")
        if module not in LOSS_BY_MODULE:
            raise NotBuilderForm(f"the Network tab has no loss {module}", value)
        spec["loss"] = LOSS_BY_MODULE[module]
    elif target == "optimizer" and isinstance(value, ast.Call):
        _optimizer(value, spec)


def read_back(source: str) -> NetworkSpec:
    """The NetworkSpec a builder-form program describes, or NotBuilderForm saying why not."""
    try:
        tree = parse_python(source)
    except SyntaxError as exc:
        raise NotBuilderForm(f"line {exc.lineno}: {exc.msg}") from None
    classes = [s for s in tree.body if isinstance(s, ast.ClassDef)]
    if classes:
        raise NotBuilderForm(
            f"its model is a class of its own ({classes[0].name}); the builder shows "
            "nn.Sequential networks",
            classes[0],
        )
    spec: dict[str, Any] = {}
    data: dict[str, Any] = {}
    statements: list[ast.stmt] = []
    for statement in tree.body:  # the data are made inside `with torch.no_grad():`
        statements += statement.body if isinstance(statement, ast.With) else [statement]
    for statement in statements:
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
            call = statement.value
            if _name(call.func) == "torch.manual_seed" and call.args:
                spec["seed"] = int(_literal(call.args[0]))
        elif isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target = statement.targets[0]
            if isinstance(target, ast.Name):
                _assignment(target.id, statement.value, spec, data)
    for needed in ("model", "loss_fn", "optimizer", "features", "dataset"):
        key = {"model": "_model", "loss_fn": "loss", "dataset": "name"}.get(needed, needed)
        if key not in spec and key not in data:
            raise NotBuilderForm(f"the program has no `{needed} = ...` in the builder's form")
    built = NetworkSpec(
        data=Data(**data),
        **{k: v for k, v in spec.items() if not k.startswith("_")},
    )
    if spec["_inputs"] != len(built.features):
        raise NotBuilderForm(
            f"the first layer takes {spec['_inputs']} inputs; "
            f"there are {len(built.features)} features",
            spec["_model"],
        )
    if spec["_outputs"] != built.outputs:
        raise NotBuilderForm(
            f"the last layer must give {built.outputs} output(s) for this loss", spec["_model"]
        )
    try:
        return built.check()
    except ValueError as exc:
        raise NotBuilderForm(str(exc)) from None
