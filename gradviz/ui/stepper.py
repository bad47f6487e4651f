"""The backprop player: step through the backward (or forward) pass with the chain rule shown."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QPalette, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSlider,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from gradviz.ui.glyph_button import GlyphButton
from gradviz.ui.type_size import point_size, relative_font

if TYPE_CHECKING:
    from gradviz.autograd.graph import Graph
    from gradviz.explain.steps import Step

MODES = (  # key, title (short: the control row is full in presentation mode), tooltip
    ("backward", "Backward (engine)", "Backward, in the order PyTorch's engine ran the nodes"),
    ("recursive", "Backward (lecture)", "Backward, the lecture's recursion from a chosen node"),
    ("forward", "Forward pass", "Forward, in the order the program computed the values"),
)


# the keys on the graph while stepping through backprop: (keys, action, what it does), also
# listed by Help › Keyboard and mouse
STEP_KEYS: tuple[tuple[tuple[str, ...], str, str], ...] = (
    (("Space", "Right"), "next", "go to the next step"),
    (("Left", "Backspace"), "back", "go back a step"),
    (("Home",), "first", "go to the first step"),
    (("End",), "last", "go to the last step"),
    (("P",), "play", "play or pause the steps"),
)


class Stepper(QWidget):
    """Holds the steps of the current graph; `step_changed(index)` whenever the step moves."""

    step_changed = Signal(int)
    mode_changed = Signal(str)
    stopped = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Backprop player")
        self.graph: Graph | None = None
        self.steps: list[Step] = []
        self.index = 0
        self._timer = QTimer(self, interval=900)
        self._timer.timeout.connect(self._advance)
        layout = QVBoxLayout(self)
        controls = QHBoxLayout()
        self.mode = QComboBox()
        for index, (key, title, tip) in enumerate(MODES):
            self.mode.addItem(title, key)
            self.mode.setItemData(index, tip, Qt.ItemDataRole.ToolTipRole)
        self.mode.setToolTip("What to step through")
        self.mode.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        # never narrower than its longest mode's name ("Backward (en" read as a name cut short)
        self.mode.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Fixed)
        self.mode.currentIndexChanged.connect(lambda _: self.mode_changed.emit(self.current_mode))
        self.start_node = QComboBox()
        self.start_node.setToolTip("The node the lecture's recursion starts from")
        self.start_node.currentIndexChanged.connect(lambda _: self.rebuild())
        self.first = GlyphButton("|◀")
        self.back = GlyphButton("◀")
        self.play = QPushButton("▶ Play")
        self.next = GlyphButton("▶")
        self.last = GlyphButton("▶|")
        self.exit = QPushButton("Done")
        for button, tip in (
            (self.first, "First step (Home)"), (self.back, "Previous step (←)"),
            (self.play, "Play / pause"), (self.next, "Next step (Space or →)"),
            (self.last, "Last step (End)"), (self.exit, "Leave the walk-through"),
        ):  # fmt: skip
            button.setToolTip(tip)
        self.first.clicked.connect(lambda: self.go(0))
        self.back.clicked.connect(lambda: self.go(self.index - 1))
        self.next.clicked.connect(lambda: self.go(self.index + 1))
        self.last.clicked.connect(lambda: self.go(len(self.steps) - 1))
        self.play.clicked.connect(self.toggle_play)
        self.exit.clicked.connect(self.stopped)
        self.speed = QSlider(Qt.Orientation.Horizontal)
        self.speed.setRange(1, 10)
        self.speed.setValue(4)
        self.speed.setMinimumWidth(60)  # squeezed to nothing in a narrow panel otherwise
        self.speed.setMaximumWidth(120)
        self.speed.setToolTip("playing speed")
        self.speed.valueChanged.connect(lambda v: self._timer.setInterval(int(3600 / v)))
        self.timeline = QSlider(Qt.Orientation.Horizontal)
        self.timeline.setAccessibleName("Timeline")
        self.timeline.valueChanged.connect(self.go)
        # what to step through | the transport | speed and Done: one row, or two where the
        # player is narrow (presentation mode on a 1280 px projector)
        self._groups = (
            (self.mode, self.start_node),
            (self.first, self.back, self.play, self.next, self.last),
            (QLabel("speed"), self.speed, self.exit),
        )
        self._rows = (controls, QHBoxLayout())
        self.two_rows = True
        self.set_two_rows(False)
        layout.addLayout(controls)
        layout.addLayout(self._rows[1])
        layout.addWidget(self.timeline)
        self.caption = QLabel("")
        self.caption.setWordWrap(True)
        relative_font(self.caption, 1.25, bold=True)
        layout.addWidget(self.caption)
        self.chain = QTextBrowser()
        self.chain.setAccessibleName("Chain rule")
        self.chain.setMinimumHeight(160)
        layout.addWidget(self.chain, 1)

    def set_two_rows(self, two: bool) -> None:
        """The controls in one row, or the transport in a second row under the others."""
        if two == self.two_rows:
            return
        self.two_rows = two
        for row in self._rows:
            while row.count():
                row.takeAt(0)  # (the widgets stay the player's, to be placed again)
        settings, transport, speed = self._groups
        top, bottom = self._rows
        for widget in (*settings, *(() if two else transport), *speed):
            top.addWidget(widget)
        if two:
            top.insertStretch(len(settings), 1)
            for widget in transport:
                bottom.addWidget(widget)
            bottom.addStretch(1)

    def minimum_width(self) -> int:
        """The narrowest the player can be now (its layout brought up to date first: after a
        change of type or of rows it answered what it had been)."""
        layout = self.layout()
        if layout is not None:
            layout.activate()
        return self.minimumSizeHint().width()

    def set_large(self, large: bool, screen_scale: float = 1.0) -> None:
        """Big type for the back row (presentation mode): 26 px on a 1080-line screen, in
        proportion on others (`screen_scale`) as the graph's text is, never smaller than the
        application's own type (the projector's 14 pt, by then)."""
        own = point_size() * self.logicalDpiY() / 72
        chain, caption = (round(max(px * screen_scale, own)) for px in (26, 24))
        self.chain.setStyleSheet(f"font-size: {chain}px;" if large else "")
        self.caption.setStyleSheet(f"font-size: {caption}px;" if large else "")

    # -- keyboard --------------------------------------------------------------------------------
    def install_shortcuts(self, host: QWidget) -> list[QShortcut]:
        """Space/→ next, ← back, Home/End: active while `host` or its children have focus
        (and while the shortcuts returned are enabled)."""
        made = []
        actions = {
            "next": lambda: self.go(self.index + 1),
            "back": lambda: self.go(self.index - 1),
            "first": lambda: self.go(0),
            "last": lambda: self.go(len(self.steps) - 1),
            "play": self.toggle_play,
        }
        for keys, name, _ in STEP_KEYS:
            action = actions[name]
            for key in keys:
                shortcut = QShortcut(QKeySequence(key), host)
                shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
                shortcut.activated.connect(action)
                made.append(shortcut)
        return made

    # -- state -----------------------------------------------------------------------------------
    @property
    def current_mode(self) -> str:
        return str(self.mode.currentData())

    @property
    def current(self) -> Step | None:
        return self.steps[self.index] if 0 <= self.index < len(self.steps) else None

    def set_graph(self, graph: Graph, keep_position: bool = True) -> None:
        self.graph = graph
        leaves = [n for n in graph.nodes if n.kind in ("input", "param", "op")]
        chosen = self.start_node.currentData()
        self.start_node.blockSignals(True)
        self.start_node.clear()
        for node in leaves:
            self.start_node.addItem(f"from {node.name or node.label}", node.id)
        first_leaf = next((i for i, n in enumerate(leaves) if n.kind != "op"), 0)
        index = self.start_node.findData(chosen) if chosen is not None else first_leaf
        self.start_node.setCurrentIndex(index if index >= 0 else first_leaf)
        self.start_node.blockSignals(False)
        self.rebuild(keep_position)

    def rebuild(self, keep_position: bool = False) -> None:
        from gradviz.explain.steps import steps_for

        if self.graph is None:
            return
        self.start_node.setVisible(self.current_mode == "recursive")
        position = self.index if keep_position else 0
        self.steps = steps_for(self.graph, self.current_mode, self.start_node.currentData())
        self.timeline.blockSignals(True)
        self.timeline.setRange(0, max(0, len(self.steps) - 1))
        self.timeline.blockSignals(False)
        self.index = -1
        self.go(min(position, len(self.steps) - 1))

    def go(self, index: int) -> None:
        if not self.steps:
            return
        index = max(0, min(index, len(self.steps) - 1))
        if index == self.index:
            return
        self.index = index
        self.timeline.blockSignals(True)
        self.timeline.setValue(index)
        self.timeline.blockSignals(False)
        step = self.steps[index]
        self.caption.setText(step.caption)
        self.chain.setHtml(self._chain_html(step))
        self.step_changed.emit(index)

    def toggle_play(self) -> None:
        if self._timer.isActive():
            self._timer.stop()
            self.play.setText("▶ Play")
        else:
            if self.index >= len(self.steps) - 1:
                self.go(0)
            self._timer.start()
            self.play.setText("⏸ Pause")

    def _advance(self) -> None:
        if self.index >= len(self.steps) - 1:
            self.toggle_play()
            return
        self.go(self.index + 1)

    # -- the chain-rule panel --------------------------------------------------------------------
    def _chain_html(self, step: Step) -> str:
        from gradviz.explain.html import step_html

        if self.graph is None:
            return ""
        # the operands' line muted in this theme's own grey (one grey was 2:1 on dark)
        muted = self.palette().color(QPalette.ColorRole.PlaceholderText).name()
        return step_html(self.graph, step, self.current_mode, muted)
