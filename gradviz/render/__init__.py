"""Layout with Graphviz, themes, and static export (png, svg, pdf, dot, json)."""
