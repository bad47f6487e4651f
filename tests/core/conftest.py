"""Core tests need no Qt; with GRADVIZ_BLOCK_QT=1 they run with Qt made unimportable."""

from __future__ import annotations

import importlib.abc
import os
import sys

BLOCKED = ("PySide6", "shiboken6", "pyqtgraph", "OpenGL")


class _BlockQt(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path, target=None):  # type: ignore[no-untyped-def]
        if fullname.split(".")[0] in BLOCKED:
            raise ImportError(f"{fullname} is blocked: the core must not need Qt")
        return None


if os.environ.get("GRADVIZ_BLOCK_QT") == "1":
    sys.meta_path.insert(0, _BlockQt())
