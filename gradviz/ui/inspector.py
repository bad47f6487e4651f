"""The inspector: everything about the selected node — numbers, tables, heatmaps, contributions."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QGroupBox,
    QLabel,
    QScrollArea,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gradviz.ui.type_size import on_font_change, relative_font

if TYPE_CHECKING:
    from gradviz.autograd.graph import Graph, GraphNode

TABLE_LIMIT = 400  # elements shown as a table; larger 2-D tensors become a heatmap


def fmt(value: float) -> str:
    from gradviz.render.labels import format_number

    return format_number(value, 6)


class TensorView(QStackedWidget):
    """A number, a table, or a heatmap with a colour bar, whichever suits the tensor."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.number = QLabel()
        self.number.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        relative_font(self.number, 1.4)
        self.table = QTableWidget()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setMinimumHeight(120)
        self.addWidget(self.number)
        self.addWidget(self.table)
        self._heatmap: Any = None
        self.mode = "number"
        self.signed = False  # the heatmap's scale: symmetric about 0 (diverging map), or not
        self.currentChanged.connect(self._fit_to_page)

    def _fit_to_page(self, index: int) -> None:
        """Size to the page shown (a number needs one line, not the heatmap's height)."""
        from PySide6.QtWidgets import QSizePolicy

        for i in range(self.count()):
            policy = QSizePolicy.Policy.Preferred if i == index else QSizePolicy.Policy.Ignored
            page = self.widget(i)
            if page is not None:
                page.setSizePolicy(policy, policy)
        if self.currentWidget() is self.number:
            self.setMaximumHeight(self.number.sizeHint().height() + 12)
        else:
            self.setMaximumHeight(16_777_215)  # no limit
        self.adjustSize()

    def _ensure_heatmap(self) -> Any:
        if self._heatmap is None:
            import pyqtgraph as pg

            from gradviz.ui.plot_style import follow_appearance

            widget = pg.GraphicsLayoutWidget()
            widget.setMinimumHeight(220)
            plot = widget.addPlot(enableMenu=False)  # no pyqtgraph menu: see log_axis.log_plot
            plot.invertY(True)
            plot.setAspectLocked(False)
            image = pg.ImageItem(axisOrder="row-major")
            plot.addItem(image)
            bar = pg.ColorBarItem(colorMap=pg.colormap.get("viridis"), interactive=False)
            bar.setImageItem(image, insert_in=plot)
            follow_appearance(widget)
            self._heatmap = (widget, plot, image, bar)
            self.addWidget(widget)
        return self._heatmap

    def show_value(self, value: Any) -> None:
        """Show a tensor (or number, or None)."""
        if value is None:
            self.number.setText("none")
            self.setCurrentWidget(self.number)
            self.mode = "number"
            self._fit_to_page(self.currentIndex())
            return
        import torch  # only once there is a graph, so torch is loaded already

        if not isinstance(value, torch.Tensor):
            self.number.setText(str(value))
            self.setCurrentWidget(self.number)
            self.mode = "number"
            self._fit_to_page(self.currentIndex())
            return
        data = value.detach().cpu()
        if data.numel() == 1:
            self.number.setText(
                fmt(float(data.item())) if data.is_floating_point() else str(data.item())
            )
            self.setCurrentWidget(self.number)
            self.mode = "number"
            self._fit_to_page(self.currentIndex())
            return
        if data.dim() <= 2 and data.numel() <= TABLE_LIMIT:
            grid = data.reshape(1, -1) if data.dim() <= 1 else data
            self.table.clearContents()
            self.table.setRowCount(grid.shape[0])
            self.table.setColumnCount(grid.shape[1])
            for r, row in enumerate(grid.tolist()):
                for c, item in enumerate(row):
                    text = fmt(float(item)) if isinstance(item, float) else str(item)
                    self.table.setItem(r, c, QTableWidgetItem(text))
            # sized once, after filling: a header that resizes to contents remeasures its
            # column at every setItem (a 3 × 64 tensor took 0.35 s of the UI thread)
            self.table.resizeColumnsToContents()
            self.setCurrentWidget(self.table)
            self.mode = "table"
            self._fit_to_page(self.currentIndex())
            return
        widget, plot, image, bar = self._ensure_heatmap()
        matrix = data.double()
        if matrix.dim() == 1:
            matrix = matrix.reshape(1, -1)
        elif matrix.dim() > 2:
            matrix = matrix.reshape(-1, matrix.shape[-1])
        array = matrix.numpy()
        levels, signed = heatmap_levels(array)
        self.signed = signed
        bar.setColorMap(_colour_map(signed))
        image.setImage(array, levels=levels)
        bar.setLevels(levels)
        plot.autoRange()
        self.setCurrentWidget(widget)
        self.mode = "heatmap"
        self._fit_to_page(self.currentIndex())


def heatmap_levels(array: Any) -> tuple[tuple[float, float], bool]:
    """The colour scale's ends for a heatmap of `array` (NaN and ±Inf left out), and whether
    it holds both signs: then the scale is symmetric about 0, so that 0 sits at the diverging
    map's white middle and a gradient's sign reads at a glance."""
    import numpy as np

    finite = array[np.isfinite(array)]
    low = float(finite.min()) if finite.size else 0.0
    high = float(finite.max()) if finite.size else 1.0
    if low < 0 < high:
        reach = max(-low, high)
        return (-reach, reach), True
    return (low, high if high > low else low + 1e-12), False


def _colour_map(signed: bool) -> Any:
    import pyqtgraph as pg

    # blue (negative) → white (0) → red (positive); viridis for values of one sign
    return pg.colormap.get("CET-D1" if signed else "viridis")


class FittedTable(QTableWidget):
    """A table whose columns fit their contents while there is room; where there is not (a
    narrow dock, the projector's type), the first column, a node's name, gives way down to
    its header's width — elided, whole in its tooltip — so that the numbers after it show."""

    MIN_LAST = 48  # px: the last column never narrower

    def __init__(self, headers: list[str]) -> None:
        super().__init__(0, len(headers))
        self.setHorizontalHeaderLabels(headers)
        self.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.verticalHeader().setVisible(False)
        header = self.horizontalHeader()
        header.setStretchLastSection(False)  # fit_columns gives the last the rest
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setTextElideMode(Qt.TextElideMode.ElideRight)  # a narrowed name's header too
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setWordWrap(False)  # elided letter by letter ("outputs (Addm…"), not by words
        self.setMinimumHeight(90)
        # columns at least as wide as their headers, also in the projector's bigger type (an
        # empty table kept Qt's 100 px: "from consumer" read "m consum")
        self.fit_columns()
        on_font_change(self, self.fit_columns)

    def fill(self, rows: list[list[str]]) -> None:
        self.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.setItem(r, c, item)
        self.fit_columns()

    def fit_columns(self) -> None:
        """Each column its contents' width; then the first gives way where they do not all fit
        (down to its header's width), and the last takes the rest of the row."""
        self.resizeColumnsToContents()
        widths = [self.columnWidth(c) for c in range(self.columnCount())]
        if len(widths) < 2:
            return
        if self.rowCount():  # the last column needs room for its numbers; its header may be
            # elided ("contrib…" above a short "1.0")
            widths[-1] = max(self.sizeHintForColumn(len(widths) - 1), self.MIN_LAST)
        room = self.viewport().width()
        excess = sum(widths) - room
        if excess > 0:
            header = self.horizontalHeader().sectionSizeHint(0)  # its header stays whole
            least = min(widths[0], max(room // 4, header))
            widths[0] = max(widths[0] - excess, least)
            self.setColumnWidth(0, widths[0])
        self.setColumnWidth(len(widths) - 1, max(widths[-1], room - sum(widths[:-1])))
        self.horizontalScrollBar().setValue(0)  # the names' start in view, if still too wide

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.fit_columns()


def _summary(value: Any) -> str:
    import torch

    if not isinstance(value, torch.Tensor) or value.numel() <= 1:
        return ""
    data = value.detach().double().cpu()
    return (
        f"min {fmt(float(data.min()))}   max {fmt(float(data.max()))}\n"
        f"mean {fmt(float(data.mean()))}   norm {fmt(float(data.norm()))}"
    )


def _breakable(name: str) -> str:
    """An op's name with places to wrap between its words (a zero-width space before each
    capital): "BinaryCrossEntropyWithLogitsBackward0" fits a narrow inspector over two lines
    instead of running out of it."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "\u200b", name)


def _short(value: Any) -> str:
    from gradviz.render.labels import tensor_text

    return tensor_text(value)


class Inspector(QScrollArea):
    """Details of one node of the current graph; `node_requested` when a row is clicked."""

    node_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setAccessibleName("Inspector")
        body = QWidget()
        layout = QVBoxLayout(body)
        self.title = QLabel("Select a node")
        relative_font(self.title, 1.5, bold=True)
        self.subtitle = QLabel("")
        self.subtitle.setWordWrap(True)
        layout.addWidget(self.title)
        layout.addWidget(self.subtitle)
        self.value_box, self.value_view, self.value_stats = self._section("Value", layout)
        self.grad_box, self.grad_view, self.grad_stats = self._section(
            "Gradient ∂output/∂node", layout
        )
        self.incoming = FittedTable(["consumer", "contribution"])  # (the box says "arriving")
        self.outgoing = FittedTable(["operand", "contribution"])  # (the box says "sent to")
        self.saved = FittedTable(["saved tensor", "shape", "dtype", "bytes"])
        for title, table in (
            ("Gradient arriving (summed)", self.incoming),
            ("Gradient sent to operands", self.outgoing),
            ("Saved for backward", self.saved),
        ):
            box = QGroupBox(title)
            QVBoxLayout(box).addWidget(table)
            layout.addWidget(box)
        self.incoming.cellDoubleClicked.connect(lambda r, c: self._jump(self.incoming, r))
        self.outgoing.cellDoubleClicked.connect(lambda r, c: self._jump(self.outgoing, r))
        layout.addStretch(1)
        self.setWidget(body)
        self._keys: dict[int, list[str]] = {}
        self.node_id: str | None = None

    def _section(self, title: str, layout: QVBoxLayout) -> tuple[QGroupBox, TensorView, QLabel]:
        box = QGroupBox(title)
        inner = QVBoxLayout(box)
        view = TensorView()
        stats = QLabel("")
        stats.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        inner.addWidget(view)
        inner.addWidget(stats)
        layout.addWidget(box)
        return box, view, stats

    def _jump(self, table: QTableWidget, row: int) -> None:
        keys = self._keys.get(id(table), [])
        if 0 <= row < len(keys):
            self.node_requested.emit(keys[row])

    def clear(self) -> None:
        self.node_id = None
        self.title.setText("Select a node")
        self.subtitle.setText("Click a node in the graph to see its values and gradients.")
        for view in (self.value_view, self.grad_view):
            view.show_value(None)
        for table in (self.incoming, self.outgoing, self.saved):
            table.setRowCount(0)

    def show_node(self, graph: Graph, node: GraphNode) -> None:
        import torch

        self.node_id = node.id
        self.title.setText(node.name or node.label)
        kind = node.op or {"input": "input (leaf)", "param": "parameter (leaf)"}.get(
            node.kind, "constant"
        )
        details = [_breakable(kind)]
        shown = graph.shown_output(node)  # a multi-output op's: the output the box shows
        value, grad = graph.output_value(node, shown), graph.output_grad(node, shown)
        if node.extra_outputs:
            from gradviz.render.labels import output_caption

            count = len(node.extra_outputs) + 1
            details.append(f"showing {output_caption(node, shown) or f'output 0 of {count}'}")
        if isinstance(value, torch.Tensor):
            shape = "×".join(str(s) for s in value.shape) or "scalar"
            details.append(
                f"shape {shape} · {str(value.dtype).replace('torch.', '')} · {value.device}"
            )
        if node.param_path and node.param_path != node.name:
            details.append(f"module path {node.param_path}")
        if node.id == graph.output:
            details.append("the output")
        if node.nonfinite_origin:
            from gradviz.autograd.nonfinite import nonfinite_kinds  # (torch: loaded by now)

            details.append(f"⚠ {nonfinite_kinds(node.value)} first appears here")
        self.subtitle.setText("\n".join(details))
        self.value_view.show_value(value)
        self.value_stats.setText(_summary(value))
        self.grad_box.setVisible(node.kind != "const")
        self.grad_view.show_value(grad)
        self.grad_stats.setText(_summary(grad))
        consumers = graph.consumers_of(node.id)
        operands = [e for e in graph.inputs_of(node.id) if e.input_index is not None]
        self.incoming.fill([[self._name(graph, e.dst), _short(e.grad)] for e in consumers])
        self.outgoing.fill([[self._name(graph, e.src), _short(e.grad)] for e in operands])
        self._keys = {
            id(self.incoming): [e.dst for e in consumers],
            id(self.outgoing): [e.src for e in operands],
        }
        self.saved.fill(
            [
                [s.name, "×".join(map(str, s.shape)) or "scalar", s.dtype, f"{s.nbytes:,}"]
                for s in node.saved
            ],
        )

    @staticmethod
    def _name(graph: Graph, node_id: str) -> str:
        node = graph.node(node_id)
        return f"{node.name or node.label} ({node.op})" if node.op else (node.name or node.label)
