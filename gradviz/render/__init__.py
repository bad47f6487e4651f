"""Layout with Graphviz, themes, and static export (png, svg, pdf, dot, json)."""

from gradviz.render.dot import RenderOptions, build_dot
from gradviz.render.export import FORMATS, export, render_bytes
from gradviz.render.theme import THEMES, Theme, get_theme

__all__ = [
    "FORMATS",
    "THEMES",
    "RenderOptions",
    "Theme",
    "build_dot",
    "export",
    "get_theme",
    "render_bytes",
]
