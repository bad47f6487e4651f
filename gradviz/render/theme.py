"""Colour and type themes: light, dark, and projector (high contrast, large type)."""

from __future__ import annotations

from dataclasses import dataclass

# Viridis (perceptually uniform, readable with every common colour-vision deficiency).
VIRIDIS = (
    "#440154", "#482475", "#414487", "#355f8d", "#2a788e", "#21918c",
    "#22a884", "#44bf70", "#7ad151", "#bddf26", "#fde725",
)  # fmt: skip


@dataclass(frozen=True)
class Theme:
    """Everything the picture's look depends on."""

    name: str
    background: str
    text: str
    muted: str
    op_fill: str
    op_header: str
    leaf_fill: str
    param_fill: str
    const_fill: str
    border: str
    output_border: str
    edge: str
    edge_label: str
    no_grad: str  # gradient cell where no gradient flows
    alert: str  # NaN / Inf
    font: str = "DejaVu Sans"
    mono: str = "DejaVu Sans Mono"
    font_size: float = 14.0
    small_size: float = 11.0
    pen_width: float = 1.2
    output_pen_width: float = 3.0
    palette: tuple[str, ...] = VIRIDIS


LIGHT = Theme(
    name="light",
    background="#ffffff",
    text="#1a1a1a",
    muted="#5f6368",
    op_fill="#f6f7f9",
    op_header="#e4e7ec",
    leaf_fill="#e8f1fb",
    param_fill="#fdf1dc",
    const_fill="#ffffff",
    border="#4a4f57",
    output_border="#111111",
    edge="#6b7280",
    edge_label="#374151",
    no_grad="#d9d9d9",
    alert="#d62728",
)

DARK = Theme(
    name="dark",
    background="#1e1f22",
    text="#e8eaed",
    muted="#a0a4ab",
    op_fill="#2b2d31",
    op_header="#3a3d43",
    leaf_fill="#1f3347",
    param_fill="#45381f",
    const_fill="#1e1f22",
    border="#9aa0a6",
    output_border="#ffffff",
    edge="#9aa0a6",
    edge_label="#d0d4da",
    no_grad="#4a4d52",
    alert="#ff6b6b",
)

PROJECTOR = Theme(
    name="projector",
    background="#ffffff",
    text="#000000",
    muted="#333333",
    op_fill="#ffffff",
    op_header="#e0e0e0",
    leaf_fill="#dcebfa",
    param_fill="#fbe7c2",
    const_fill="#ffffff",
    border="#000000",
    output_border="#000000",
    edge="#000000",
    edge_label="#000000",
    no_grad="#c8c8c8",
    alert="#c00000",
    font_size=24.0,
    small_size=18.0,
    pen_width=2.5,
    output_pen_width=5.0,
)

THEMES: dict[str, Theme] = {theme.name: theme for theme in (LIGHT, DARK, PROJECTOR)}


def get_theme(name: str) -> Theme:
    try:
        return THEMES[name]
    except KeyError:
        raise ValueError(f"unknown theme {name!r}; choose from {', '.join(THEMES)}") from None
