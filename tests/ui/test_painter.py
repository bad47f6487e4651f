"""Painting Graphviz's drawables: text too small to read on screen is left out (a zoomed-out
overview of a big graph paints in a fraction of the time), readable text is drawn."""

from __future__ import annotations

from PySide6.QtGui import QColor, QImage, QPainter

from gradviz.render.drawing import Shape, Text
from gradviz.ui.painter import LEGIBLE_PIXELS, paint, paths_of

LABEL = Text(10.0, 30.0, "l", 80.0, "loss", "DejaVu Sans", 14.0, "#000000", bold=True)
BOX = Shape(
    "polygon",
    ((5.0, 5.0), (95.0, 5.0), (95.0, 45.0), (5.0, 45.0)),
    False,
    "#000000",
    "#ffffff",
    2.0,
)


def _ink(drawables: list, scale: float, cached: bool = False) -> int:  # type: ignore[type-arg]
    """Dark pixels after painting `drawables` as if `scale` screen pixels made a scene unit."""
    image = QImage(100, 50, QImage.Format.Format_ARGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    paint(painter, drawables, scale, paths_of(drawables) if cached else None)
    painter.end()
    return sum(
        1 for x in range(100) for y in range(50) if QColor(image.pixel(x, y)).lightness() < 128
    )


def test_readable_text_is_drawn_and_unreadable_text_left_out(qapp) -> None:  # type: ignore[no-untyped-def]
    assert _ink([LABEL], 1.0) > 20
    assert _ink([LABEL], LEGIBLE_PIXELS / LABEL.size * 1.01) > 20
    assert _ink([LABEL], LEGIBLE_PIXELS / LABEL.size * 0.99) == 0


def test_shapes_are_drawn_at_every_scale_and_kept_paths_draw_the_same(qapp) -> None:  # type: ignore[no-untyped-def]
    outline = _ink([BOX], 0.01)
    assert outline > 100
    assert _ink([BOX], 0.01, cached=True) == outline
    assert _ink([BOX, LABEL], 1.0, cached=True) == _ink([BOX, LABEL], 1.0)
