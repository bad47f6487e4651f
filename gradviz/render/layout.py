"""Running Graphviz's `dot`: one call lays out (and, for exports, renders) the DOT text."""

from __future__ import annotations

import functools
import json
import subprocess
from typing import Any

from gradviz.lang.errors import ProgramError
from gradviz.render.dot_process import DotTimeout, shared

INSTALL_HINT = (
    "Graphviz's `dot` program was not found. Install Graphviz: "
    "`sudo apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` (macOS), "
    "`winget install graphviz` or `choco install graphviz` (Windows), then make sure `dot` "
    "is on your PATH."
)


# Graphviz lays out 2,000 nodes in about a second and a half, 4,000 in five, 40,000 in many
# minutes (measured, a chain of ops); past this, a picture would be late and unreadable.
MAX_LAYOUT_NODES = 2500


def check_layout_size(nodes: int) -> None:
    """Refuse to lay out a graph too big to draw in good time (or to read)."""
    if nodes > MAX_LAYOUT_NODES:
        raise GraphTooLarge(
            f"the graph has {nodes:,} nodes, too many to lay out and read (gradviz draws up "
            f"to {MAX_LAYOUT_NODES:,}): run a loop that builds it fewer times, or fold its "
            "modules; its values and gradients are all in the JSON (`gradviz trace`)"
        )


class GraphTooLarge(ProgramError):
    """A graph with more nodes than gradviz lays out."""


class GraphvizMissing(ProgramError):
    """`dot` is not installed or not on PATH."""

    def __init__(self) -> None:
        super().__init__(INSTALL_HINT)


DOT_SECONDS = 60.0  # a layout past this is stopped (render/copies.py keeps the usual ones fast)


def _too_slow(source: str, seconds: float) -> ProgramError:
    nodes = source.count("[label=<")
    return ProgramError(
        f"Graphviz took more than {seconds:g} s to lay out this graph ({nodes:,} boxes) and "
        "was stopped: run the loop that builds it fewer times, or fold its modules; its "
        "values and gradients are all in the JSON (`gradviz trace`)"
    )


def run_dot(source: str, fmt: str, seconds: float = DOT_SECONDS) -> bytes:
    """Run `dot -T<fmt>` on the DOT text and return what it wrote (stopped after `seconds`)."""
    try:
        done = subprocess.run(
            ["dot", f"-T{fmt}"], input=source.encode("utf-8"), capture_output=True,
            timeout=seconds, check=False,
        )  # fmt: skip
    except FileNotFoundError:
        raise GraphvizMissing() from None
    except subprocess.TimeoutExpired:
        raise _too_slow(source, seconds) from None
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise ProgramError(f"Graphviz failed: {detail[0] if detail else done.returncode}")
    return done.stdout


@functools.cache
def json_beziers_swapped() -> bool:
    """Some Graphviz releases (2.43 among them) write filled Béziers as "B" and unfilled as
    "b" in -Tjson, the reverse of xdot. Ask once: an edge's curve is never filled."""
    data = json.loads(run_dot("digraph { a -> b }", "json"))
    ops = [op["op"] for op in data["edges"][0]["_draw_"]]
    return "b" in ops


def layout_json(source: str) -> dict[str, Any]:
    """Positions and drawing operations (`dot -Tjson`) for the app's canvas, with Bézier
    fill flags as the xdot specification defines them. Asks the long-lived `dot` first; where
    it gives no answer, a `dot` of its own (whose errors are then reported)."""
    try:
        answer = shared().layout(source)
    except DotTimeout:
        raise _too_slow(source, shared().timeout) from None
    data: dict[str, Any] | None = None
    if answer is not None:
        try:
            data = json.loads(answer)
        except ValueError:
            data = None
    if data is None:
        data = json.loads(run_dot(source, "json"))
    if json_beziers_swapped():
        _swap_beziers(data)
    return data


def _swap_beziers(data: dict[str, Any]) -> None:
    swap = {"b": "B", "B": "b"}
    items = [data, *data.get("objects", []), *data.get("edges", [])]
    for item in items:
        for key, ops in item.items():
            if key.startswith("_") and key.endswith("draw_") and isinstance(ops, list):
                for op in ops:
                    if op.get("op") in swap:
                        op["op"] = swap[op["op"]]
