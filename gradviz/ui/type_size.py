"""The application's type size (the projector theme's 14 pt) where Qt does not apply it itself:
pyqtgraph's text (see plot_style) and side panels sized in pixels, which clip bigger type."""

from __future__ import annotations

import weakref
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication, QComboBox, QDockWidget, QScrollArea, QWidget

FONT_EVENTS = (QEvent.Type.FontChange, QEvent.Type.ApplicationFontChange)


def point_size() -> float:
    """The application's type size in points (10, or the projector's 14)."""
    app = QApplication.instance()
    size = app.font().pointSizeF() if isinstance(app, QApplication) else 10.0
    return size if size > 0 else 10.0


def text_size() -> str:
    """The application's type size as pyqtgraph's CSS size ("14pt")."""
    return f"{point_size():g}pt"


class OnEvents(QObject):
    """Calls `react` whenever the watched widget gets one of `events`."""

    def __init__(
        self, watched: QWidget, react: Callable[[], None], events: tuple[QEvent.Type, ...]
    ) -> None:
        super().__init__(watched)
        self.react = react
        self.events = events
        watched.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in self.events:
            self.react()
        return False


def on_font_change(widget: QWidget, react: Callable[[], None]) -> None:
    """Call `react` after every change of `widget`'s type size (a theme switch)."""
    OnEvents(widget, react, FONT_EVENTS)


def fit_to_contents(panel: QScrollArea) -> QScrollArea:
    """A side panel at least as wide as its contents need (no clipped controls, no sideways
    scrolling), re-measured after every theme change and every change of its contents' layout
    (measured once, before Qt had polished them, it came out 50 px short in the projector's
    type: the optimizer rows added later were cut off behind a sideways scroll bar)."""

    def fit() -> None:
        content = panel.widget()
        if content is None:
            return
        scrollbar = panel.verticalScrollBar().sizeHint().width()
        wanted = content.minimumSizeHint().width() + scrollbar + 2 * panel.frameWidth()
        if panel.minimumWidth() != wanted:
            panel.setMinimumWidth(wanted)

    fit()
    on_font_change(panel, fit)
    content = panel.widget()
    if content is not None:
        OnEvents(content, fit, (QEvent.Type.LayoutRequest,))
    return panel


def shrinkable(box: QComboBox, letters: int = 14) -> QComboBox:
    """A combo box that may be narrower than its longest item (`letters` wide at least), its
    list still wide enough for every item: a side panel is as wide as its widest control."""
    box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    box.setMinimumContentsLength(letters)

    def fit_list() -> None:
        view = box.view()
        widest = view.sizeHintForColumn(0) if box.count() else 0
        view.setMinimumWidth(widest + view.verticalScrollBar().sizeHint().width())

    fit_list()
    on_font_change(box, fit_list)
    box.currentTextChanged.connect(box.setToolTip)  # the whole name, where the box cuts it
    box.setToolTip(box.currentText())
    return box


# widgets whose type is a multiple of the application's: (factor, bold)
_RELATIVE: weakref.WeakKeyDictionary[QWidget, tuple[float, bool]] = weakref.WeakKeyDictionary()


def relative_font(widget: QWidget, factor: float, bold: bool = False) -> None:
    """`widget`'s type `factor` times the application's, now and after every theme change (a
    font set once, from the size then, would stay 10 pt × factor under the projector's 14; a
    widget with a font of its own hears of no application font change, so appearance.apply
    calls refresh_relative_fonts)."""
    _RELATIVE[widget] = (factor, bold)
    _apply_relative(widget, factor, bold)


def refresh_relative_fonts() -> None:
    for widget, (factor, bold) in list(_RELATIVE.items()):
        try:
            _apply_relative(widget, factor, bold)
        except RuntimeError:  # its Qt side is gone already
            continue


def _apply_relative(widget: QWidget, factor: float, bold: bool) -> None:
    font = QFont(widget.font())
    font.setPointSizeF(point_size() * factor)
    font.setBold(bold)
    widget.setFont(font)


def follow_type_size_in_title(dock: QDockWidget) -> None:
    """`dock`'s title in the theme's type size: QDockWidget keeps the title font it had when it
    was made (9 pt) unless it has a font of its own, so it gets a bold one at the application's
    size, and what it holds is given plain weight back."""
    relative_font(dock, 1.0, bold=True)
    content = dock.widget()
    if content is not None:
        plain = QFont()  # only the weight set: the size is still inherited, theme by theme
        plain.setBold(False)
        content.setFont(plain)
