"""gradviz: see PyTorch autograd at work, with every value and gradient."""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["Picture", "landscape", "record", "run"]


def __getattr__(name: str) -> Any:
    """`gradviz.run`, `.record`, `.landscape`, `.Picture` (gradviz.api), imported on first use:
    `import gradviz` alone stays instant (the command line imports it before torch)."""
    if name in __all__:
        from gradviz import api

        return getattr(api, name)
    raise AttributeError(f"module 'gradviz' has no attribute {name!r}")
