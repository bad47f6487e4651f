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


def test_an_items_bounds_hold_every_shape_it_paints(qapp) -> None:  # type: ignore[no-untyped-def]
    """The bounds come from the shapes' points (no path built): they must still hold each
    path, curved edges and ellipses included, for every item of a real laid-out graph."""
    from gradviz.autograd.tracer import trace
    from gradviz.render.dot import RenderOptions
    from gradviz.render.scene import layout_scene
    from gradviz.ui.painter import bounds, shape_path

    source = (
        "x = torch.randn(4, 3, requires_grad=True)\nw = torch.randn(3, 2, requires_grad=True)\n"
        "h = torch.tanh(x @ w)\nloss = (h * h).sum() + h.mean() * 2.0\n"
    )
    scene = layout_scene(trace(source).graph, RenderOptions())
    kinds = set()
    for item in [*scene.nodes.values(), *scene.edges, scene.graph]:
        rect = bounds(item.drawables, margin=0.0)
        for drawable in item.drawables:
            if isinstance(drawable, Shape):
                kinds.add(drawable.kind)
                inner = shape_path(drawable).boundingRect()  # (a straight edge: width 0)
                inside = (
                    rect.left() - 1e-6 <= inner.left() <= inner.right() <= rect.right() + 1e-6
                    and rect.top() - 1e-6 <= inner.top() <= inner.bottom() <= rect.bottom() + 1e-6
                )
                assert inside, (item.key, inner, rect)
    assert {"bezier", "polygon"} <= kinds
    ellipse = Shape("ellipse", ((50.0, 20.0), (30.0, 10.0)), False, "#000000", "#ffffff")
    assert bounds([ellipse], margin=0.0) == shape_path(ellipse).boundingRect()


def _ink_right(text: Text, box: tuple[float, float, float, float]) -> int:
    """The rightmost column with ink after painting `text` inside a node's `box`."""
    image = QImage(400, 50, QImage.Format.Format_ARGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    paint(painter, [text], 1.0, box=box)
    painter.end()
    return max(
        x for x in range(400) for y in range(50) if QColor(image.pixel(x, y)).lightness() < 160
    )


def test_a_text_qt_measures_wider_stays_inside_its_box(qapp) -> None:  # type: ignore[no-untyped-def]
    """Qt measured a gradient's row 2 % wider than Graphviz, and the 8 % slack the painter
    allows let its closing bracket run out of the coloured bar and the node (the attention
    example). Inside a box the slack ends at the box's edge; with room, the text is drawn whole."""
    from gradviz.ui.painter import BOX_MARGIN, font_for

    words = "∇ [−0.0558, 0.0164, 0.0394, 0.0283]"
    _, metrics = font_for("DejaVu Sans Mono", 14.0, False, False)
    advance = metrics.horizontalAdvance(words)
    width = advance / 1.05  # Graphviz measured it 5 % narrower: within the slack
    text = Text(5.0, 30.0, "l", width, words, "DejaVu Sans Mono", 14.0, "#000000")
    tight = (0.0, 10.0, 5.0 + width + 4.0, 30.0)  # the cell's 4 units of padding, then the edge
    assert _ink_right(text, tight) <= tight[2] - BOX_MARGIN + 1
    roomy = (0.0, 10.0, 390.0, 30.0)
    assert _ink_right(text, roomy) >= 5.0 + advance - 6  # not squeezed (6: the glyph's bearing)


def test_the_brush_and_pen_caches_stay_bounded(qapp) -> None:  # type: ignore[no-untyped-def]
    """Every trace's gradient colours differ: painting thousands of distinct fills and outlines
    (an hour of typing) keeps a bounded number of brushes and pens, and each still paints its
    own colour."""
    from gradviz.ui import painter

    image = QImage(10, 10, QImage.Format.Format_ARGB32)
    qp = QPainter(image)
    square = ((0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0))
    sizes = []
    try:
        for i in range(3 * painter.CACHE_LIMIT):
            tint = f"#{i % 256:02x}{i // 256:02x}40"
            painter.paint_shape(qp, Shape("polygon", square, True, tint, tint, 1.0))
            shape = Shape("polygon", square, True, tint, tint)
            assert painter.brush_for(shape).color().name() == tint
            sizes.append((len(painter._BRUSHES), len(painter._PENS)))
    finally:
        qp.end()
    assert max(max(pair) for pair in sizes) <= painter.CACHE_LIMIT
    assert QColor(image.pixel(5, 5)).name() == tint  # the last one painted
