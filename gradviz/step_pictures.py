"""The backprop walk-through as pictures, without the app: each step's graph (gradients only
where they have arrived, "∇ not yet" elsewhere, the step's node outlined) and its chain rule in
words — what the app's player shows, for a notebook or a script."""

from __future__ import annotations

import dataclasses
import re
import threading
from html import escape, unescape

from gradviz.autograd.graph import Graph
from gradviz.explain.html import step_html
from gradviz.explain.steps import (
    BACKWARD,
    FORWARD,
    RECURSIVE,
    Step,
    graph_at,
    partial_at,
    steps_for,
)
from gradviz.render.colors import MagnitudeScale
from gradviz.render.dot import CURRENT_CLASS, RenderOptions, build_dot, edge_label
from gradviz.render.labels import NodeLabel, build_labels, gradient_scale
from gradviz.render.layout import run_dot

CURRENT = "#e66100"  # the step's node: the canvas's selection orange
NBSP = "\u00a0"  # pads a label to its widest (a space at an end would be trimmed)
# the step's node outlined: its table's border (the one drawn without fill), thick and orange
OUTLINE_STYLE = (
    f"<style>.{CURRENT_CLASS} > path[fill='none'], .{CURRENT_CLASS} > polygon[fill='none']"
    f" {{ stroke: {CURRENT}; stroke-width: 4px; vector-effect: non-scaling-stroke; }}</style>"
)
MODES = (BACKWARD, RECURSIVE, FORWARD)


class WholePass:
    """What every step's picture takes from the whole pass — its gradient colour scale and
    its labels, whose widths pad each step's — worked out once for all the steps."""

    def __init__(self, graph: Graph, options: RenderOptions) -> None:
        self.graph, self.options = graph, options
        self._lock = threading.Lock()  # (steps may be drawn on several threads at once)
        self._made: tuple[MagnitudeScale, dict[str, NodeLabel]] | None = None

    def scale_and_labels(self) -> tuple[MagnitudeScale, dict[str, NodeLabel]]:
        with self._lock:
            if self._made is None:
                scale = gradient_scale(self.graph)
                theme, backward = self.options.theme, self.options.backward
                self._made = scale, build_labels(self.graph, theme, backward, scale)
            return self._made


class StepPicture:
    """One step: `caption`, `html` (the chain rule), `svg()`; in Jupyter, all three."""

    def __init__(
        self,
        graph: Graph,
        step: Step,
        mode: str,
        options: RenderOptions,
        source: str | None = None,
        whole: WholePass | None = None,
    ) -> None:
        self.graph = graph  # the whole pass
        self.whole = whole or WholePass(graph, options)
        self.step = step
        self.mode = mode
        self.options = options
        self.caption = step.caption
        self.html = step_html(graph, step, mode, options.theme.muted)
        node = graph.node(step.node_id) if step.node_id is not None else None
        # the program, the line that made the step's node marked ("" without a program)
        self.program = program_html(source, node.line if node else None) if source else ""

    def svg(self) -> str:
        """This step's picture as SVG text: the whole pass's colours, and its layout — every
        gradient line and edge label as wide at every step as at its widest (padded), so the
        nodes stay where they are from one step to the next."""
        theme, backward = self.options.theme, self.options.backward
        scale, final = self.whole.scale_and_labels()
        shown = graph_at(self.graph, self.step)
        missing = "∇ not yet" if self.mode != FORWARD else "∇ none"
        partial = partial_at(self.graph, self.step)
        labels = build_labels(shown, theme, backward, scale, missing=missing, partial=partial)
        for node_id, label in labels.items():
            if label.grad_line is not None:
                width = max(len(final[node_id].grad_line or "") + 1, len(missing))  # +1: "…"
                labels[node_id] = dataclasses.replace(
                    label, grad_line=label.grad_line.ljust(width, NBSP)
                )
        texts: list[str | None] = []
        for index, edge in enumerate(self.graph.edges):
            text = edge_label(edge.grad) if backward else None
            sent = index in self.step.sent
            texts.append(text if sent or text is None else NBSP * len(text))
        source = build_dot(shown, self.options, labels, scale, texts, self.step.node_id)
        svg = run_dot(source, "svg").decode("utf-8")
        return re.sub(r"(<svg\b[^>]*>)", r"\1" + OUTLINE_STYLE, svg, count=1)

    def _repr_html_(self) -> str:
        svg = re.sub(r"^.*?(?=<svg)", "", self.svg(), flags=re.DOTALL)  # no XML prolog inline
        return f"<div><p><b>{escape(self.caption)}</b></p>{self.html}{svg}{self.program}</div>"

    def __str__(self) -> str:
        words = re.sub(r"<br>|</p>|</h3>", "\n", self.html)
        words = re.sub(r"<[^>]+>", "", words).replace("&nbsp;", " ")
        text = "\n".join(line.rstrip() for line in words.splitlines() if line.strip())
        return f"{self.caption}\n{unescape(text)}".rstrip()

    def __repr__(self) -> str:
        return f"<gradviz step {self.step.index}: {self.caption}>"


def program_html(source: str, here: int | None) -> str:
    """The program with its line numbers, the line `here` (1-based) marked."""
    lines = source.splitlines()
    rows = []
    for number, line in enumerate(lines, start=1):
        text = f"{number:>{len(str(len(lines)))}}  {escape(line)}"
        rows.append(f"<mark>{text}</mark>" if number == here else text)
    return '<pre class="program">' + "\n".join(rows) + "</pre>"


def step_pictures(
    graph: Graph,
    mode: str,
    options: RenderOptions,
    start: str | None = None,
    source: str | None = None,
) -> list[StepPicture]:
    """Every step of a walk in `mode` (backward: the engine's order; recursive: the lecture's
    recursion from the node `start`, by default the first leaf; forward), with the program's
    `source` where there is one."""
    if mode not in MODES:
        raise ValueError(f"mode is one of {', '.join(MODES)}, not {mode!r}")
    if mode == FORWARD:
        options = dataclasses.replace(options, view="forward")  # values as they are computed
    steps = steps_for(graph, mode, start)
    whole = WholePass(graph, options)  # one scale and one set of widths for every step
    return [StepPicture(graph, step, mode, options, source, whole) for step in steps]
