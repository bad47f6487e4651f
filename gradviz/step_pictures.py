"""The backprop walk-through as pictures, without the app: each step's graph (gradients only
where they have arrived, "∇ not yet" elsewhere, the step's node outlined) and its chain rule in
words — what the app's player shows, for a notebook or a script."""

from __future__ import annotations

import dataclasses
import re
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
from gradviz.render.dot import RenderOptions, build_dot
from gradviz.render.labels import build_labels, gradient_scale
from gradviz.render.layout import run_dot

CURRENT = "#e66100"  # the step's node: the canvas's selection orange
MODES = (BACKWARD, RECURSIVE, FORWARD)


class StepPicture:
    """One step: `caption`, `html` (the chain rule), `svg()`; in Jupyter, all three."""

    def __init__(self, graph: Graph, step: Step, mode: str, options: RenderOptions) -> None:
        self.graph = graph  # the whole pass
        self.step = step
        self.mode = mode
        self.options = options
        self.caption = step.caption
        self.html = step_html(graph, step, mode)

    def svg(self) -> str:
        """This step's picture as SVG text (the whole pass's layout and colours)."""
        shown = graph_at(self.graph, self.step)
        missing = "∇ not yet" if self.mode != FORWARD else "∇ none"
        labels = build_labels(
            shown,
            self.options.theme,
            self.options.backward,
            gradient_scale(self.graph),  # the whole pass's colours at every step
            missing=missing,
            partial=partial_at(self.graph, self.step),
        )
        current = self.step.node_id
        if current is not None and current in labels:
            labels[current] = dataclasses.replace(labels[current], border=CURRENT, border_width=4.0)
        source = build_dot(shown, self.options, labels, gradient_scale(self.graph))
        return run_dot(source, "svg").decode("utf-8")

    def _repr_html_(self) -> str:
        svg = re.sub(r"^.*?(?=<svg)", "", self.svg(), flags=re.DOTALL)  # no XML prolog inline
        return f"<div><p><b>{escape(self.caption)}</b></p>{self.html}{svg}</div>"

    def __str__(self) -> str:
        words = re.sub(r"<br>|</p>|</h3>", "\n", self.html)
        words = re.sub(r"<[^>]+>", "", words).replace("&nbsp;", " ")
        text = "\n".join(line.rstrip() for line in words.splitlines() if line.strip())
        return f"{self.caption}\n{unescape(text)}".rstrip()

    def __repr__(self) -> str:
        return f"<gradviz step {self.step.index}: {self.caption}>"


def step_pictures(
    graph: Graph, mode: str, options: RenderOptions, start: str | None = None
) -> list[StepPicture]:
    """Every step of a walk in `mode` (backward: the engine's order; recursive: the lecture's
    recursion from the node `start`, by default the first leaf; forward)."""
    if mode not in MODES:
        raise ValueError(f"mode is one of {', '.join(MODES)}, not {mode!r}")
    if mode == FORWARD:
        options = dataclasses.replace(options, view="forward")  # values as they are computed
    return [StepPicture(graph, step, mode, options) for step in steps_for(graph, mode, start)]
