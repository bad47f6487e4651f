"""Pictures of a walk-through: one step as PNG/SVG/PDF, or every step as an animated GIF/MP4.

Frames are painted from the laid-out scene with the app's own painter, so every frame has the
same layout and looks exactly like the canvas. Headless use (`gradviz export … --steps`) runs
Qt off screen.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from gradviz.autograd.graph import Graph
    from gradviz.explain.steps import Step
    from gradviz.render.drawing import Scene

MARGIN = 16.0


def _app() -> Any:
    if not os.environ.get("DISPLAY") and not os.environ.get("QT_QPA_PLATFORM"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtWidgets import QApplication

    return QApplication.instance() or QApplication(sys.argv[:1])


def paint_scene(painter: Any, scene: Scene, highlight: str | None = None) -> None:
    """Background, edges, nodes, and an outline around the step's node."""
    from PySide6.QtCore import QRectF, Qt
    from PySide6.QtGui import QPen

    from gradviz.ui import painter as draw
    from gradviz.ui.canvas_item import SELECT_COLOUR

    painter.setRenderHint(painter.RenderHint.Antialiasing)
    painter.setRenderHint(painter.RenderHint.TextAntialiasing)
    painter.fillRect(
        QRectF(-MARGIN, -MARGIN, scene.width + 2 * MARGIN, scene.height + 2 * MARGIN),
        draw.colour(scene.background),
    )
    draw.paint(painter, scene.graph.drawables)
    for item in scene.edges:
        draw.paint(painter, item.drawables)
    for item in scene.nodes.values():
        draw.paint(painter, item.drawables, box=item.bbox)
    if highlight in scene.nodes:
        x, y, w, h = scene.nodes[highlight].bbox
        pen = QPen(SELECT_COLOUR, 4.0)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(QRectF(x - 4, y - 4, w + 8, h + 8), 6, 6)


def scene_image(
    scene: Scene, scale: float = 1.5, highlight: str | None = None, caption: str = ""
) -> Any:
    """The scene as a QImage (scale × its size in points), with a caption line under it."""
    _app()
    from PySide6.QtCore import QRectF, Qt
    from PySide6.QtGui import QImage, QPainter

    from gradviz.ui import painter as draw

    strip = 34.0 if caption else 0.0
    width = int((scene.width + 2 * MARGIN) * scale)
    height = int((scene.height + 2 * MARGIN + strip) * scale)
    image = QImage(width, height, QImage.Format.Format_RGB888)
    image.fill(draw.colour(scene.background))
    painter = QPainter(image)
    painter.scale(scale, scale)
    painter.translate(MARGIN, MARGIN)
    paint_scene(painter, scene, highlight)
    if caption:
        font, _ = draw.font_for("DejaVu Sans", 15.0, True, False)
        painter.setFont(font)
        painter.setPen(
            draw.colour(
                "#000000" if scene.background.lower() in ("#ffffff", "white") else "#e8eaed"
            )
        )
        box = QRectF(0, scene.height + MARGIN, scene.width, strip - 6)
        painter.drawText(
            box, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), caption
        )
    painter.end()
    return image


def save_scene(scene: Scene, path: str, highlight: str | None = None, scale: float = 2.0) -> None:
    """One picture: PNG (pixels), SVG or PDF (vectors)."""
    _app()
    from PySide6.QtCore import QMarginsF, QRect, QSize, QSizeF
    from PySide6.QtGui import QPageLayout, QPageSize, QPainter, QPdfWriter
    from PySide6.QtSvg import QSvgGenerator

    width, height = scene.width + 2 * MARGIN, scene.height + 2 * MARGIN
    lower = path.lower()
    if lower.endswith(".png"):
        scene_image(scene, scale, highlight).save(path, "PNG")
        return
    if lower.endswith(".svg"):
        device: Any = QSvgGenerator()
        device.setFileName(path)
        device.setSize(QSize(int(width), int(height)))
        device.setViewBox(QRect(0, 0, int(width), int(height)))
    elif lower.endswith(".pdf"):
        device = QPdfWriter(path)
        device.setResolution(72)  # one point per scene unit
        device.setPageLayout(
            QPageLayout(
                QPageSize(QSizeF(width, height), QPageSize.Unit.Point),
                QPageLayout.Orientation.Portrait,
                QMarginsF(0, 0, 0, 0),
            )
        )
    else:
        raise ValueError(f"cannot write {path!r}: use .png, .svg or .pdf")
    painter = QPainter(device)
    try:
        painter.translate(MARGIN, MARGIN)
        paint_scene(painter, scene, highlight)
    finally:
        painter.end()


def step_scenes(graph: Graph, base: Scene, options: Any, steps: list[Step]) -> list[Scene]:
    """The base layout with each step's numbers (gradients only where they have arrived)."""
    from gradviz.explain.steps import graph_at, partial_at
    from gradviz.render.labels import gradient_scale
    from gradviz.render.scene import patch_scene

    scale = gradient_scale(graph)
    scenes = []
    for step in steps:
        scene = patch_scene(
            base,
            graph_at(graph, step),
            options,
            same_structure=True,
            placeholder="…",
            scale=scale,
            missing="∇ not yet",
            partial=partial_at(graph, step),
        )
        scenes.append(scene if scene is not None else base)
    return scenes


def export_walkthrough(graph: Graph, options: Any, mode: str, path: str, fps: float = 1.5) -> int:
    """Every step of the walk-through as frames of a GIF or MP4; returns the frame count."""
    _app()
    from gradviz.explain.steps import steps_for
    from gradviz.render.scene import layout_scene
    from gradviz.ui.lab.animation import write_frames

    base = layout_scene(graph, options)
    steps = steps_for(graph, mode)
    frames: list[np.ndarray] = []
    for step, scene in zip(steps, step_scenes(graph, base, options, steps), strict=True):
        image = scene_image(scene, 1.5, step.node_id, step.caption)
        frames.append(_array(image))
    write_frames(frames, path, fps=int(max(1, fps)))
    return len(frames)


def _array(image: Any) -> np.ndarray:
    from PySide6.QtGui import QImage

    image = image.convertToFormat(QImage.Format.Format_RGB888)
    width, height = image.width(), image.height()
    data = np.frombuffer(image.constBits(), dtype=np.uint8, count=image.sizeInBytes())
    return (
        data.reshape(height, image.bytesPerLine())[:, : width * 3].reshape(height, width, 3).copy()
    )
