"""The inspector's tables in a narrow dock or the projector's type: the numbers stay whole and
the node's name gives way (elided, whole in its tooltip)."""

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
