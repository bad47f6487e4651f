"""gradviz from Python or Jupyter: the graph of a gradviz program, or of your own PyTorch code,
as a picture that shows itself inline (SVG) and saves as png, svg, pdf, dot or json; its
backprop walk-through; and the loss landscape of your own model."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

import torch
from torch import nn

from gradviz.autograd.failed_pass import BackwardFailed
from gradviz.autograd.graph import Graph, GraphNode
from gradviz.autograd.live import LiveRecording
from gradviz.autograd.serialize import graph_to_json
from gradviz.autograd.tracer import trace
from gradviz.lang.errors import ProgramError
from gradviz.nets.landscape import Landscape, random_landscape
from gradviz.nets.trainer import ModelLoss
from gradviz.render.dot import RenderOptions
from gradviz.render.export import export, render_bytes
from gradviz.render.labels import tensor_text
from gradviz.render.theme import get_theme
from gradviz.step_pictures import StepPicture, step_pictures
from gradviz.walk_page import write_walkthrough


class Picture:
    """A traced graph: `picture["z1"].grad`, `picture.save("graph.png")`, and in Jupyter the
    picture itself (the app's drawing: values, gradients, colour by |∇|, module boxes)."""

    def __init__(
        self,
        graph: Graph,
        printed: list[str] | None = None,
        theme: str = "light",
        source: str | None = None,
    ):
        get_theme(theme)  # an unknown theme fails here, with the names of the known ones
        self.graph = graph
        self.printed = printed or []
        self.theme = theme
        self.source = source  # the program's text (a recording of live code has none)

    @property
    def nodes(self) -> list[GraphNode]:
        return self.graph.nodes

    def __getitem__(self, name: str) -> GraphNode:
        node = self.graph.find(name)
        if node is None:
            names = sorted({n.name for n in self.graph.nodes if n.name})
            raise KeyError(f"no node named {name!r}; the graph has {', '.join(names)}")
        return node

    def _options(self, theme: str | None, orientation: str, view: str) -> RenderOptions:
        if orientation not in ("TB", "LR"):
            raise ValueError(f"orientation is 'TB' (top-down) or 'LR', not {orientation!r}")
        if view not in ("backward", "forward"):
            raise ValueError(f"view is 'backward' (with gradients) or 'forward', not {view!r}")
        return RenderOptions(get_theme(theme or self.theme), orientation, view)

    def svg(self, theme: str | None = None, orientation: str = "TB", view: str = "backward") -> str:
        """The picture as SVG text (Graphviz's `dot` lays it out)."""
        options = self._options(theme, orientation, view)
        return render_bytes(self.graph, "svg", options).decode("utf-8")

    def save(
        self,
        path: str | Path,
        *,
        theme: str | None = None,
        scale: float = 1.0,
        orientation: str = "TB",
        view: str = "backward",
    ) -> None:
        """Write the picture (png, svg, pdf, dot) or the data (json), by the file's extension."""
        options = self._options(theme, orientation, view)
        export(self.graph, path, options, scale=scale, printed=self.printed)

    def to_json(self) -> dict[str, Any]:
        """The graph as `gradviz.graph/1` JSON data (what `gradviz trace` prints)."""
        data: dict[str, Any] = graph_to_json(self.graph, printed=self.printed)
        return data

    def steps(self, mode: str = "backward", start: str | None = None) -> list[StepPicture]:
        """The walk-through, one picture per step (Jupyter shows each with its chain rule):
        backward in the order PyTorch's engine ran the nodes, "recursive" as the lecture's
        recursion from the node named `start` (a leaf by default), or "forward"."""
        begin = None
        if start is not None:
            begin = self[start].id
        options = self._options(None, "TB", "backward")
        return step_pictures(self.graph, mode, options, begin, self.source)

    def save_walkthrough(
        self, path: str | Path, mode: str = "backward", start: str | None = None
    ) -> None:
        """The walk-through as one web page (`steps()` one at a time; → ← Home End step it;
        a program's text beside each step, the line that made its node marked)."""
        output = self.graph.node(self.graph.output).label if self.graph.output else "nothing"
        title = f"gradviz: backprop from {output}"
        pictures = self.steps(mode, start)
        write_walkthrough(path, pictures, title, get_theme(self.theme))

    def _repr_svg_(self) -> str | None:
        """Jupyter's inline picture (None where Graphviz is missing: the text shows instead)."""
        try:
            return self.svg()
        except ProgramError:
            return None

    def __repr__(self) -> str:
        output = self.graph.node(self.graph.output) if self.graph.output else None
        described = ""
        if output is not None and isinstance(output.value, torch.Tensor):
            value = output.value
            shown = f"{value.item():.6g}" if value.numel() == 1 else f"shape {tuple(value.shape)}"
            described = f", output {output.label} = {shown}"
        return f"<gradviz Picture: {len(self.graph.nodes)} nodes{described}>"

    def __str__(self) -> str:
        """One line per node in forward order: name, op, shape, value and gradient."""
        rows = [("node", "op", "shape", "value", "∇ d output / d node")]
        for node in self.graph.nodes:
            value = node.value
            shape = "×".join(map(str, value.shape)) if isinstance(value, torch.Tensor) else ""
            op = node.op or node.kind
            rows.append(
                (node.label, op, shape or "scalar", tensor_text(value), tensor_text(node.grad))
            )
        widths = [max(len(row[i]) for row in rows) for i in range(5)]
        lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
        return "\n".join(line.rstrip() for line in [*lines, *self.graph.notes])


def run(program: str, *, device: str = "cpu", theme: str = "light", **inputs: float) -> Picture:
    """Run a program in gradviz's language (a file's text, or `"x = 2.0\\nf = x * exp(x)"`),
    scalar inputs set by name (`run(text, x=3.0)`), and return its picture."""
    try:
        result = trace(program, device=device, overrides=dict(inputs) or None)
    except BackwardFailed as failed:  # its picture too: `except ProgramError as e: e.picture`
        failed.picture = Picture(failed.graph, None, theme, program)
        raise
    return Picture(result.graph, result.run.printed, theme, result.program.source)


class Recording:
    """`with gradviz.record() as rec:` around your own PyTorch forward code, then
    `rec.backward(loss)` in place of `loss.backward()`: the picture of that pass.

    Names come from the variables where `record()` and `backward()` are called (a notebook's
    too), and from keywords: `gradviz.record(model=net)` names its parameters `model.0.weight`
    and draws a box per layer (name modules before their forward runs)."""

    def __init__(self, names: dict[str, object], theme: str) -> None:
        get_theme(theme)
        self._live = LiveRecording(names)
        self.theme = theme

    def __enter__(self) -> Recording:
        self._live.__enter__()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._live.__exit__(kind, error, traceback)

    def backward(self, output: torch.Tensor, **kwargs: Any) -> Picture:
        """`output.backward(**kwargs)` with every node's gradient caught, and its picture."""
        self._live.bind(_caller_names())
        return Picture(self._live.backward(output, **kwargs), theme=self.theme)


def record(*, theme: str = "light", **names: object) -> Recording:
    """Record the PyTorch code in a `with` block (see Recording)."""
    callers = _caller_names()  # the keywords first: a value's first name is the one drawn
    return Recording({**names, **{k: v for k, v in callers.items() if k not in names}}, theme)


def landscape(
    model: nn.Module,
    loss_fn: Callable[[Any, Any], torch.Tensor],
    X: torch.Tensor,
    y: torch.Tensor,
    *,
    grid: int = 31,
    span: float = 1.0,
    seed: int = 0,
) -> Landscape:
    """The loss landscape of your model around its weights θ: loss_fn(model(X), y) at
    θ + α·d₁ + β·d₂ for α, β on a grid × grid lattice in [−span, span], d₁ and d₂ random
    directions normalised filter by filter (Li et al., NeurIPS 2018). Evaluated batched, never
    one point at a time where avoidable; the model in eval mode meanwhile (dropout off).
    `.losses[i, j]` is at β = `.betas[i]`, α = `.alphas[j]`; `.center` at θ."""
    base = {f"model.{name}": p.detach() for name, p in model.named_parameters()}
    if not base:
        raise ValueError("the model has no parameters to move")
    was_training = model.training
    model.eval()
    try:
        loss = ModelLoss.measured(model, loss_fn, X, y)
        return random_landscape(loss, base, grid=grid, span=span, seed=seed)
    finally:
        model.train(was_training)


def _caller_names() -> dict[str, object]:
    """The variables of the code that called into this module (a notebook's are its globals)."""
    frame = sys._getframe(1)
    while frame.f_back is not None and frame.f_globals.get("__name__") == __name__:
        frame = frame.f_back
    found = dict(frame.f_globals)
    found.update(frame.f_locals)  # a function's own names win over its module's
    return found
