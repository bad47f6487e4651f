"""A backward pass that raised: its error in the program's words, with the graph of its forward."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from gradviz.lang.autograd_hints import autograd_hint
from gradviz.lang.error_words import clean_message
from gradviz.lang.errors import ProgramError

if TYPE_CHECKING:
    from gradviz.autograd.graph import Graph, GraphNode
    from gradviz.lang.interpreter import Interpreter
    from gradviz.lang.parser import ScalarInput

FAILED_PREFIXES = ("backward() stopped", "backward() failed")  # how its notes begin
ERROR_PREFIX = "✗ the error"  # the note with the error's words (the app shows them in the editor)
FAILED_NOTE = (
    "backward() stopped{where} with an error: the graph shows the forward values, and "
    "gradients only as far as backward reached before it stopped."
)

NOT_STARTED_NOTE = (
    "backward() failed before any node finished: the graph shows the forward values, and no "
    "gradients."
)


class BackwardFailed(ProgramError):
    """The error of a backward pass, with the graph of the forward it was running back through
    (values everywhere, gradients where the pass got to): shown beside the message."""

    def __init__(
        self,
        error: ProgramError,
        graph: Graph,
        inputs: list[ScalarInput],
        related: list[tuple[int | None, str]],
    ) -> None:
        super().__init__(error.message, error.line, error.col)
        self.related = related  # the run's marked warnings, and the lines the error is about
        self.graph = graph
        self.picture: object | None = None  # gradviz.run's Picture of the graph (gradviz.api)
        self.inputs = inputs  # the program's scalar inputs, as a trace result has them


def stopped_at(graph: Graph) -> list[GraphNode]:
    """The op nodes the failed pass stopped at: every consumer of theirs ran and sent them a
    gradient, and they never ran (one, where the engine was running that node when it failed;
    a node still waiting on a consumer that never ran is not one of them)."""
    ran = set(graph.backward_order)
    found = []
    for node in graph.nodes:
        if node.kind != "op" or node.id in ran:
            continue
        edges = graph.consumers_of(node.id)
        if edges and all(e.dst in ran for e in edges) and any(e.grad is not None for e in edges):
            found.append(node)
    return found


def stopped_in_failed_pass(graph: Graph) -> list[GraphNode]:
    """stopped_at, for the graph of a backward pass that failed (in another graph a node sent a
    gradient and never run is one autograd.grad did not need)."""
    failed = bool(graph.notes) and graph.notes[0].startswith(FAILED_PREFIXES)
    return stopped_at(graph) if failed else []


def fill_stopped(graph: Graph) -> None:
    """Give a node the pass stopped at the gradient that reached it: the sum of what its
    consumers sent (every one of them ran: the sum is whole)."""
    for node in stopped_at(graph):
        edges = graph.consumers_of(node.id)
        for nr in range(1 + len(node.extra_outputs)):
            sent = [e.grad for e in edges if e.output_nr == nr and e.grad is not None]
            if not sent:
                continue
            total = sent[0] if len(sent) == 1 else torch.stack(sent).sum(0)
            if nr == 0:
                node.grad = total
            else:
                node.extra_outputs[nr - 1].grad = total


def failed_note(graph: Graph) -> str:
    """FAILED_NOTE, naming the node where backward stopped when there is just one."""
    if not graph.backward_order and all(n.grad is None for n in graph.nodes):
        return NOT_STARTED_NOTE
    stopped = stopped_at(graph)
    if len(stopped) != 1:
        return FAILED_NOTE.format(where="")
    node = stopped[0]
    op = (node.call.name if node.call else None) or (node.op or "").removesuffix("Backward0")
    what = f"`{node.name}` ({op})" if node.name and op else f"`{node.name or op}`"
    return FAILED_NOTE.format(where=f" at {what}")


def implicit_backward_error(
    interpreter: Interpreter, name: str | None, exc: RuntimeError
) -> ProgramError:
    """The error of the backward pass gradviz runs from the output of a program that calls no
    backward() (an in-place write into a saved tensor shows only then), at the output's line."""
    named = interpreter.said_with_names(str(exc))
    if named is not None:
        said, related = named
    else:
        words = clean_message(exc)
        said, related = autograd_hint(words, f"`{name}`" if name else None) or words, []
    output = f"`{name}`" if name else "the output"
    return ProgramError(
        f"the backward pass gradviz runs from {output} (the program calls no backward()) "
        f"failed: {said}",
        interpreter.output_line,
    ).with_related(related)


def error_note(error: ProgramError) -> str:
    """The failed pass's error, under its graph: a picture exported or shown in a notebook (or
    presentation mode, which hides the editor) says why backward stopped."""
    return f"{ERROR_PREFIX}{f' at line {error.line}' if error.line else ''}: {error.message}"
