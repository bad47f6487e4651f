"""Painting the scene's drawables (Graphviz's own operations) with QPainter."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen

from gradviz.render.drawing import Drawable, Shape, Text, room_in_box

_DASH = {
    "solid": Qt.PenStyle.SolidLine,
    "dashed": Qt.PenStyle.DashLine,
    "dotted": Qt.PenStyle.DotLine,
}
_FONTS: dict[tuple[str, float, bool, bool], tuple[QFont, QFontMetricsF]] = {}


def colour(value: str) -> QColor:
    """Graphviz colours are #rrggbb or #rrggbbaa; Qt wants alpha first."""
    if value.startswith("#") and len(value) == 9:
        c = QColor(value[:7])
        c.setAlpha(int(value[7:9], 16))
        return c
    return QColor(value)


def font_for(face: str, size: float, bold: bool, italic: bool) -> tuple[QFont, QFontMetricsF]:
    """A font whose pixel size is Graphviz's point size (one scene unit is one point)."""
    key = (face, size, bold, italic)
    cached = _FONTS.get(key)
    if cached is None:
        font = QFont(face)
        font.setPixelSize(max(1, round(size)))
        font.setBold(bold)
        font.setItalic(italic)
        font.setHintingPreference(QFont.HintingPreference.PreferNoHinting)
        cached = (font, QFontMetricsF(font))
        _FONTS[key] = cached
    return cached


def shape_path(shape: Shape) -> QPainterPath:
    path = QPainterPath()
    points = shape.points
    if shape.kind == "ellipse":
        (cx, cy), (rx, ry) = points
        path.addEllipse(QPointF(cx, cy), rx, ry)
        return path
    path.moveTo(*points[0])
    if shape.kind == "bezier":
        for i in range(1, len(points) - 2, 3):
            path.cubicTo(QPointF(*points[i]), QPointF(*points[i + 1]), QPointF(*points[i + 2]))
    else:
        for point in points[1:]:
            path.lineTo(*point)
        if shape.kind == "polygon":
            path.closeSubpath()
    return path


_PENS: dict[tuple[str, float, str], QPen] = {}
_BRUSHES: dict[str, QBrush] = {}
# Gradient colours vary with every trace's numbers: the caches start again past this many, so
# an hour of typing does not keep a brush for every colour it ever showed.
CACHE_LIMIT = 512


def pen_for(shape: Shape) -> QPen:
    """The shape's outline pen (a few distinct ones per picture, so made once each)."""
    key = (shape.pen, shape.line_width, shape.dash)
    pen = _PENS.get(key)
    if pen is None:
        pen = QPen(colour(shape.pen), shape.line_width)
        pen.setStyle(_DASH.get(shape.dash, Qt.PenStyle.SolidLine))
        pen.setJoinStyle(Qt.PenJoinStyle.MiterJoin)
        if len(_PENS) >= CACHE_LIMIT:
            _PENS.clear()
        _PENS[key] = pen
    return pen


def brush_for(shape: Shape) -> QBrush:
    if not shape.filled:
        return QBrush(Qt.BrushStyle.NoBrush)
    brush = _BRUSHES.get(shape.fill)
    if brush is None:
        if len(_BRUSHES) >= CACHE_LIMIT:
            _BRUSHES.clear()
        brush = _BRUSHES[shape.fill] = QBrush(colour(shape.fill))
    return brush


def paint_shape(painter: QPainter, shape: Shape, path: QPainterPath | None = None) -> None:
    painter.setPen(pen_for(shape))
    painter.setBrush(brush_for(shape))
    painter.drawPath(path if path is not None else shape_path(shape))


# Text keeps this far inside its node's box: a gradient's coloured bar ends ~1 unit short of it.
BOX_MARGIN = 2.5


def paint_text(
    painter: QPainter, text: Text, box: tuple[float, float, float, float] | None = None
) -> None:
    """Draw `text`; inside a node's `box`, never past its edge (Qt may measure the text a few
    per cent wider than Graphviz did: it takes the room the box has, then is squeezed)."""
    font, metrics = font_for(text.face, text.size, text.bold, text.italic)
    width = metrics.horizontalAdvance(text.text)
    # Graphviz measured the text with its own font engine; squeeze to the space it was given
    # (with a little slack, up to the box's edge), so the picture matches the export.
    room = max(text.width * 1.08, 1.0)
    if box is not None:
        room = min(room, max(text.width, room_in_box(text, box, BOX_MARGIN)))
    scale = min(1.0, room / width) if width > 0 else 1.0
    drawn = width * scale
    x = {"l": text.x, "c": text.x - drawn / 2, "r": text.x - drawn}.get(text.align, text.x)
    painter.setFont(font)
    painter.setPen(colour(text.color))
    if scale < 1.0:
        painter.save()
        painter.translate(x, text.y)
        painter.scale(scale, 1.0)
        painter.drawText(QPointF(0, 0), text.text)
        painter.restore()
    else:
        painter.drawText(QPointF(x, text.y), text.text)


# Text smaller than this on screen is left out (a zoomed-out overview of a big graph): it could
# not be read, and shaping it is most of the cost of painting a node.
LEGIBLE_PIXELS = 3.0


def paint(
    painter: QPainter,
    drawables: list[Drawable],
    scale: float = 1.0,
    paths: list[QPainterPath | None] | None = None,
    box: tuple[float, float, float, float] | None = None,
) -> None:
    """Paint `drawables`; `scale` is screen pixels per scene unit (for leaving out text too
    small to read); `paths`, where given, are the shapes' paths made already (see paths_of);
    `box`, a node's box, which its texts stay inside."""
    for index, item in enumerate(drawables):
        if isinstance(item, Shape):
            paint_shape(painter, item, paths[index] if paths is not None else None)
        elif legible(item, scale):
            paint_text(painter, item, box)


def paths_of(drawables: list[Drawable]) -> list[QPainterPath | None]:
    """Each shape's path (None for text), to keep for repainting."""
    return [shape_path(d) if isinstance(d, Shape) else None for d in drawables]


def legible(text: Text, scale: float) -> bool:
    """Whether `text` is big enough on screen to be worth drawing."""
    return text.size * scale >= LEGIBLE_PIXELS


def _shape_rect(shape: Shape) -> QRectF:
    """A rectangle holding the shape: a Bézier curve lies inside its control points' hull, so
    their extent will do, without building the path (5,000 paths took 0.2 s of the UI thread
    for a 1,000-node graph; each item's paths are built when it is first painted)."""
    if shape.kind == "ellipse":
        (cx, cy), (rx, ry) = shape.points
        return QRectF(cx - rx, cy - ry, 2 * rx, 2 * ry)
    xs = [p[0] for p in shape.points]
    ys = [p[1] for p in shape.points]
    return QRectF(min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))


def bounds(drawables: list[Drawable], margin: float = 2.0) -> QRectF:
    rect = QRectF()
    for item in drawables:
        if isinstance(item, Shape):
            rect = rect.united(_shape_rect(item))
        else:
            width = item.width * 1.1
            left = {"l": item.x, "c": item.x - width / 2, "r": item.x - width}.get(
                item.align, item.x
            )
            rect = rect.united(QRectF(left, item.y - item.size, width, item.size * 1.4))
    return rect.adjusted(-margin, -margin, margin, margin)
