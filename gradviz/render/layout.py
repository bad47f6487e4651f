"""Running Graphviz's `dot`: one call lays out (and, for exports, renders) the DOT text."""

from __future__ import annotations

import json
from typing import Any

import graphviz

from gradviz.lang.errors import ProgramError

INSTALL_HINT = (
    "Graphviz's `dot` program was not found. Install Graphviz: "
    "`sudo apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` (macOS), "
    "`winget install graphviz` or `choco install graphviz` (Windows), then make sure `dot` "
    "is on your PATH."
)


class GraphvizMissing(ProgramError):
    """`dot` is not installed or not on PATH."""

    def __init__(self) -> None:
        super().__init__(INSTALL_HINT)


def run_dot(source: str, fmt: str) -> bytes:
    """Run `dot -T<fmt>` on the DOT text and return what it wrote."""
    try:
        output: bytes = graphviz.pipe("dot", fmt, source.encode("utf-8"), quiet=True)
        return output
    except graphviz.ExecutableNotFound:
        raise GraphvizMissing() from None
    except graphviz.CalledProcessError as exc:
        detail = (exc.stderr or b"").decode("utf-8", "replace").strip().splitlines()
        raise ProgramError(f"Graphviz failed: {detail[0] if detail else exc}") from None


def layout_json(source: str) -> dict[str, Any]:
    """Positions and drawing operations (`dot -Tjson`) for the app's canvas."""
    data: dict[str, Any] = json.loads(run_dot(source, "json"))
    return data
