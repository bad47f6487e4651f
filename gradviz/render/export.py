"""Writing the picture or the data: png, svg, pdf, dot or json, chosen by the file extension."""

from __future__ import annotations

import json
from pathlib import Path

from gradviz.autograd.graph import Graph
from gradviz.autograd.serialize import graph_to_json
from gradviz.files import write_atomic
from gradviz.lang.errors import ProgramError
from gradviz.lang.parser import ScalarInput
from gradviz.render.dot import RenderOptions, build_dot
from gradviz.render.layout import check_layout_size, run_dot

FORMATS = ("png", "svg", "pdf", "dot", "json")
BASE_DPI = 96.0  # Graphviz's bitmap resolution at scale 1


def format_of(path: str | Path) -> str:
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise ProgramError(
            f"cannot export to {Path(path).name!r}: use a file ending in "
            + ", ".join(f".{f}" for f in FORMATS)
        )
    return suffix


def render_bytes(
    graph: Graph,
    fmt: str,
    options: RenderOptions | None = None,
    *,
    scale: float = 1.0,
    printed: list[str] | None = None,
    inputs: list[ScalarInput] | None = None,
) -> bytes:
    """The file contents for `fmt` (one `dot` call for the picture formats)."""
    options = options or RenderOptions()
    if not 0.1 <= scale <= 16:
        raise ProgramError(f"scale {scale:g} is out of range (0.1 to 16)")
    if fmt == "json":
        data = graph_to_json(graph, printed=printed, inputs=inputs)
        return (json.dumps(data, indent=2, allow_nan=False) + "\n").encode("utf-8")
    if fmt == "png":
        options = RenderOptions(
            options.theme, options.orientation, options.view, BASE_DPI * scale, options.legend
        )
    source = build_dot(graph, options)
    if fmt == "dot":
        return source.encode("utf-8")
    if fmt not in FORMATS:
        raise ProgramError(f"unknown export format {fmt!r}")
    check_layout_size(len(graph.nodes))
    return run_dot(source, fmt)


def export(
    graph: Graph,
    path: str | Path,
    options: RenderOptions | None = None,
    *,
    scale: float = 1.0,
    printed: list[str] | None = None,
    inputs: list[ScalarInput] | None = None,
) -> None:
    """Write the graph to `path` in the format its extension names."""
    data = render_bytes(
        graph, format_of(path), options, scale=scale, printed=printed, inputs=inputs
    )
    try:
        write_atomic(path, data)
    except OSError as exc:
        raise ProgramError(f"cannot write {path}: {exc.strerror or exc}") from None
