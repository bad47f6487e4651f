"""What each node's box says: its name, op, value and gradient, as short readable text."""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass

import torch

from gradviz.autograd.graph import Graph, GraphNode
from gradviz.autograd.nonfinite import nonfinite_kinds
from gradviz.render.colors import MagnitudeScale, interpolate, text_on
from gradviz.render.theme import Theme

INLINE_ELEMENTS = 6  # tensors this small are shown element by element
# dtypes whose mean and spread give the root mean square to 1e-6 (a half's x − μ is too coarse)
WIDE_FLOATS = (torch.float32, torch.float64)


def format_number(value: float, digits: int = 5) -> str:
    """Short, exact-enough text for a number: 403.43, 6.0, 2.7e-06, NaN."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "∞" if value > 0 else "−∞"
    if value != 0 and (abs(value) >= 10**digits or abs(value) < 1e-3):
        text = f"{value:.{max(digits - 2, 1)}e}"
    else:
        text = f"{value:.{digits}g}"
        if "." not in text and "e" not in text:
            text += ".0"
    return text.replace("-", "−")


def shape_text(shape: tuple[int, ...]) -> str:
    return "×".join(str(s) for s in shape) if shape else "scalar"


def magnitude(value: torch.Tensor | float | None) -> float | None:
    """|g| for a scalar, root-mean-square for a tensor; None where there is no gradient."""
    if value is None:
        return None
    if isinstance(value, torch.Tensor):
        if value.numel() == 0:
            return 0.0
        if value.numel() > INLINE_ELEMENTS and value.dtype in WIDE_FLOATS:
            std, mean = std_mean(value)  # (kept: the box's text reads them too)
            n = value.numel()
            from_spread = math.sqrt(((n - 1) * std * std + n * mean * mean) / n)
            if math.isfinite(from_spread):
                return from_spread
        data = value.detach()
        if not (data.is_floating_point() or data.is_complex()):
            data = data.double()
        count = math.sqrt(data.numel())
        wide = torch.float64 if data.dtype == torch.float64 else torch.float32
        rms = float(torch.linalg.vector_norm(data, dtype=wide)) / count
        if rms == 0.0 or not math.isfinite(rms):  # squares under- or overflowed: add in double
            rms = float(torch.linalg.vector_norm(data, dtype=torch.float64)) / count
        return rms
    return abs(float(value))


# each tensor's (version, standard deviation, mean), by id while it lives: a graph's labels
# are built more than once (the gradient scale, each step of a walk-through), and a large
# tensor's two passes are most of their time
_KEPT: dict[int, tuple[weakref.ref[torch.Tensor], int, tuple[float, float]]] = {}
KEEP_AT_MOST = 4096


def std_mean(value: torch.Tensor) -> tuple[float, float]:
    """Sample standard deviation and mean: float32's own (_float32_std_mean) where they are
    good to about 1e-7, else summed in double as the elements are read (a third of
    torch.std_mean's time on a CPU, and exact where every element is the same). Kept for the
    same, unchanged tensor."""
    try:
        version = value._version
    except RuntimeError:  # an inference tensor has no version counter: not kept
        version = None
    kept = _KEPT.get(id(value))
    if version is not None and kept is not None and kept[0]() is value and kept[1] == version:
        return kept[2]
    data = value.detach()
    result = _float32_std_mean(data) if data.dtype == torch.float32 else None
    if result is None:
        count = data.numel()
        mean = float(data.sum(dtype=torch.float64)) / count
        deviation = torch.linalg.vector_norm(data - mean, dtype=torch.float64)
        result = float(deviation) / math.sqrt(max(count - 1, 1)), mean
    if version is not None:
        if len(_KEPT) >= KEEP_AT_MOST:
            _KEPT.clear()
        _KEPT[id(value)] = (weakref.ref(value), version, result)
    return result


# float32's squares stay normal numbers, exact to a relative 6e-8, between these
_SQUARES_RANGE = (1e-30, 1e30)


def _float32_std_mean(data: torch.Tensor) -> tuple[float, float] | None:
    """Standard deviation and mean of a float32 tensor with float32's vectorised sums, about
    four times faster than summing in double (0.16 against 0.63 ms for 512×1024 on a CPU): the
    deviations from float32's mean, whose own sum corrects that mean (a shifted two-pass
    variance), good to about 1e-7. None where that does not hold: non-finite elements, squares
    outside float32's normal range, or a spread under a millionth of the mean (every element the
    same, as a mean's gradient: there the exact double sums give σ 0.0, not float32's residue)."""
    count = data.numel()
    shift = float(data.sum()) / count
    if not math.isfinite(shift):
        return None
    deviations = data - shift
    residual = float(deviations.sum())
    squares = float(deviations.mul_(deviations).sum())
    mean = shift + residual / count
    variance = max(squares - residual * residual / count, 0.0) / max(count - 1, 1)
    low, high = _SQUARES_RANGE
    if not (low < variance < high) or variance < 1e-12 * mean * mean:
        return None
    return math.sqrt(variance), mean


def tensor_text(value: torch.Tensor | float | None, digits: int = 5) -> str:
    """A scalar's number, a small tensor's elements, or a larger tensor's mean and spread."""
    if value is None:
        return "—"
    if not isinstance(value, torch.Tensor):
        return str(value) if isinstance(value, int) else format_number(float(value), digits)
    if value.numel() == 1 and value.dim() == 0:
        return (
            format_number(float(value.item()), digits)
            if value.is_floating_point()
            else str(value.item())
        )
    if value.numel() <= INLINE_ELEMENTS:
        flat = value.detach().flatten().tolist()
        items = ", ".join(
            format_number(float(x), 3) if isinstance(x, float) else str(x) for x in flat
        )
        return f"[{items}]"
    if not value.is_floating_point():
        low, high = torch.aminmax(value.detach().double())
        return f"min {format_number(float(low), 3)} · max {format_number(float(high), 3)}"
    std, mean = std_mean(value)
    if _indistinguishable_from_zero(value.detach(), mean, std):
        mean = 0.0
    return f"μ {format_number(mean, 3)} · σ {format_number(std, 3)}"


def _indistinguishable_from_zero(data: torch.Tensor, mean: float, std: float) -> bool:
    """Whether `mean` is finer than the elements' own precision: under one ε of their dtype
    times their mean magnitude. A softmax's gradient, whose rows sum to exactly 0 in exact
    arithmetic, then reads μ 0.0 and not μ 3.9e−10 (what float32 rounding left over); random
    data's means are orders of magnitude above that line. The mean magnitude is at most the
    root mean square, √(σ² + μ²): only a mean under ε times that needs the pass over |x|."""
    if mean == 0.0 or not math.isfinite(mean) or not math.isfinite(std):
        return False
    eps = torch.finfo(data.dtype).eps
    if abs(mean) > eps * math.hypot(std, mean):
        return False
    scale = float(data.abs().sum(dtype=torch.float64)) / data.numel()
    return abs(mean) <= eps * scale


@dataclass(frozen=True)
class NodeLabel:
    """The text and colours of one node's box (shared by the exporter and the app canvas)."""

    node_id: str
    title: str
    subtitle: str
    value_line: str
    grad_line: str | None
    grad_fill: str
    grad_text: str
    fill: str
    border: str
    border_width: float
    rounded: bool
    dashed: bool
    alert: str | None


KIND_TEXT = {"input": "input", "param": "parameter", "const": "constant"}


def build_labels(
    graph: Graph,
    theme: Theme,
    backward: bool = True,
    scale: MagnitudeScale | None = None,
    missing: str = "∇ none",
    partial: frozenset[str] = frozenset(),
) -> dict[str, NodeLabel]:
    """One NodeLabel per node; gradient colours are fitted to this graph's magnitudes (or to
    `scale`, so that a step of a walk-through keeps the colours of the whole pass); the nodes in
    `partial` show a sum still waiting for contributions (a walk-through step)."""
    scale = scale or gradient_scale(graph)
    return {
        node.id: node_label(node, graph, theme, scale, backward, missing, node.id in partial)
        for node in graph.nodes
    }


def gradient_scale(graph: Graph) -> MagnitudeScale:
    grads = (graph.output_grad(n, graph.shown_output(n)) for n in graph.nodes)
    return MagnitudeScale(m for m in (magnitude(g) for g in grads) if m is not None)


def output_caption(node: GraphNode, output_nr: int) -> str:
    """Which of a node's outputs its box shows, where not the first: the name the program
    bound to it, else its number ("output 1 of 3")."""
    if output_nr == 0:
        return ""
    name = node.extra_outputs[output_nr - 1].name
    return name or f"output {output_nr} of {len(node.extra_outputs) + 1}"


def node_label(
    node: GraphNode,
    graph: Graph,
    theme: Theme,
    scale: MagnitudeScale,
    backward: bool,
    missing: str = "∇ none",
    partial: bool = False,
) -> NodeLabel:
    is_output = node.id == graph.output
    shown = graph.shown_output(node)  # (a multi-output op's: the output that was read)
    value, grad = graph.output_value(node, shown), graph.output_grad(node, shown)
    caption = output_caption(node, shown)
    shape = tuple(value.shape) if isinstance(value, torch.Tensor) else ()
    shape_part = "" if not shape else f"{shape_text(shape)}  "
    subtitle = node.op or KIND_TEXT.get(node.kind, node.kind)
    if node.defined_by:  # the program's own autograd.Function: its backward is the program's
        subtitle = f"{subtitle} · your backward"
    if is_output:
        subtitle = f"{subtitle} · output"
    fill = {
        "op": theme.op_fill,
        "input": theme.leaf_fill,
        "param": theme.param_fill,
        "const": theme.const_fill,
    }[node.kind]
    grad_line: str | None = None
    grad_fill, grad_text = theme.no_grad, text_on(theme.no_grad)
    if backward and node.kind != "const":
        if grad is None:
            grad_line = missing
        else:
            grad_line = f"∇ {tensor_text(grad)}{'…' if partial else ''}"  # …: more to come
            position = scale.position(magnitude(grad) or 0.0)
            if position is not None:
                grad_fill = interpolate(theme.palette, position)
                grad_text = text_on(grad_fill)
    alert = None
    if node.nonfinite_origin:
        alert = f"{nonfinite_kinds(node.value)} appears here"
    elif node.grad_nonfinite_origin:
        alert = f"{nonfinite_kinds(node.grad)} gradient starts here"
    names = [n for n in (node.name, *node.aliases, *(e.name for e in node.extra_outputs)) if n]
    title = (
        ", ".join(names)
        or node.derived
        or (tensor_text(value) if node.kind == "const" else node.label)
    )
    return NodeLabel(
        node_id=node.id,
        title=title,
        subtitle=subtitle,
        value_line=f"{caption + ': ' if caption else ''}{shape_part}{tensor_text(value)}",
        grad_line=grad_line,
        grad_fill=grad_fill,
        grad_text=grad_text,
        fill=fill,
        border=theme.alert if alert else (theme.output_border if is_output else theme.border),
        border_width=theme.output_pen_width if is_output or alert else theme.pen_width,
        rounded=node.kind != "op",
        dashed=node.kind == "const",
        alert=alert,
    )
