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

# CI (scripts/test.sh sets HYPOTHESIS_PROFILE=ci) draws the same examples every run, so a change
# lands or not on its own merits; a plain `pytest` keeps drawing new ones, and finding bugs.
from hypothesis import settings  # noqa: E402

settings.register_profile("ci", derandomize=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
