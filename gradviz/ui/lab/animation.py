"""Frames of a race as images, and writing them as PNG, animated GIF or MP4 (imageio)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QWidget

MAX_FRAMES = 150


def frame_steps(total_steps: int, frames: int = MAX_FRAMES) -> list[int]:
    """Which steps to film: all of them for short races, evenly spaced for long ones."""
    if total_steps + 1 <= frames:
        return list(range(total_steps + 1))
    return sorted({round(i * total_steps / (frames - 1)) for i in range(frames)})


def grab(widget: QWidget) -> np.ndarray:
    """The widget as an RGB array (height × width × 3)."""
    image = widget.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    width, height = image.width(), image.height()
    data = np.frombuffer(image.constBits(), dtype=np.uint8, count=image.sizeInBytes())
    rows = data.reshape(height, image.bytesPerLine())[:, : width * 3]
    return rows.reshape(height, width, 3).copy()


def write_frames(frames: list[np.ndarray], path: str, fps: int = 30) -> None:
    """GIF or MP4 by the file extension (MP4 through imageio-ffmpeg's bundled ffmpeg)."""
    import imageio.v2 as imageio

    suffix = Path(path).suffix.lower()
    if suffix == ".gif":
        imageio.mimsave(path, list[Any](frames), duration=1000 / fps, loop=0)
    elif suffix == ".mp4":
        even = [f[: f.shape[0] // 2 * 2, : f.shape[1] // 2 * 2] for f in frames]  # yuv420p
        writer: Any = imageio.get_writer(
            path, fps=fps, codec="libx264", quality=8, macro_block_size=2
        )
        with writer:
            for frame in even:
                writer.append_data(frame)
    elif suffix == ".png":
        imageio.imwrite(path, frames[-1])
    else:
        raise ValueError(f"cannot write {path!r}: use .png, .gif or .mp4")
