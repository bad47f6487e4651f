"""The inspector's tables in a narrow dock or the projector's type: the numbers stay whole and
the node's name gives way (elided, whole in its tooltip); a multi-output op's panel shows the
output that was read."""

from __future__ import annotations

from gradviz.ui.inspector import FittedTable

NAME = "model.0.weight_after_a_long_name (AddmmBackward0)"
NUMBER = "μ −0.0304 · σ 0.235"


def _shown(qtbot, width: int) -> FittedTable:  # type: ignore[no-untyped-def]
    table = FittedTable(["operand", "contribution"])
    qtbot.addWidget(table)
    table.resize(width, 200)
    table.show()
    qtbot.waitExposed(table)
    table.fill([[NAME, NUMBER]])
    return table


def test_a_narrow_table_keeps_the_numbers_whole(qtbot) -> None:  # type: ignore[no-untyped-def]
    table = _shown(qtbot, 320)
    name_needs, number_needs = table.sizeHintForColumn(0), table.sizeHintForColumn(1)
    assert name_needs + number_needs > table.viewport().width()  # it cannot show both whole
    assert table.columnWidth(1) >= number_needs  # the number whole
    assert table.columnWidth(0) < name_needs  # the name gave way
    assert table.columnWidth(0) + table.columnWidth(1) <= table.viewport().width() + 1
    assert table.item(0, 0).toolTip() == NAME  # and is whole under the pointer

    table.resize(900, 200)  # the dock widened: the name is whole again
    qtbot.waitUntil(lambda: table.columnWidth(0) >= table.sizeHintForColumn(0))
    assert table.columnWidth(1) >= number_needs


def test_a_short_number_leaves_the_name_whole(qtbot) -> None:  # type: ignore[no-untyped-def]
    """A scalar contribution ("1.0") needs little room: the name stays whole and the last
    column's header is what gives way."""
    table = FittedTable(["operand", "contribution"])
    qtbot.addWidget(table)
    table.show()
    qtbot.waitExposed(table)
    table.fill([["result_of_my_exp (MyExpBackward)", "1.0"]])
    name = table.sizeHintForColumn(0)
    header = table.horizontalHeader().sectionSizeHint(1)
    number = max(table.sizeHintForColumn(1), FittedTable.MIN_LAST)
    frame = table.width() - table.viewport().width()
    table.resize(frame + name + (number + header) // 2, 200)  # room for the number, not header
    qtbot.waitUntil(lambda: table.viewport().width() < name + header)
    assert table.viewport().width() >= name + number
    assert table.columnWidth(0) >= name  # the name whole
    assert table.columnWidth(1) >= table.sizeHintForColumn(1)  # and the number


def test_a_multi_output_op_shows_the_output_that_was_read(qtbot) -> None:  # type: ignore[no-untyped-def]
    """`a, b = x.chunk(2)` with only b used: the inspector says it shows b, and its gradient
    is b's (3 for each element), not a's none."""
    import torch

    from gradviz.autograd.tracer import trace
    from gradviz.ui.inspector import Inspector, _summary

    graph = trace(
        "x = torch.randn(6, requires_grad=True)\na, b = x.chunk(2)\nloss = (b * 3).sum()\n"
    ).graph
    node = next(n for n in graph.nodes if n.extra_outputs)
    inspector = Inspector()
    qtbot.addWidget(inspector)
    inspector.show_node(graph, node)
    assert "showing b" in inspector.subtitle.text()
    assert inspector.grad_stats.text() == _summary(torch.full((3,), 3.0))
    torch.manual_seed(0)
    assert inspector.value_stats.text() == _summary(torch.randn(6)[3:])
