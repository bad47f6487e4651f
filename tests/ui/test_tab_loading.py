"""A tab opened in the first seconds, while PyTorch and then pyqtgraph still load in the
background, says what it waits for and opens once they are in, instead of freezing the whole
window for the 1–2 s it took to import them on the UI thread."""

from __future__ import annotations

import threading

import pytest

from gradviz.ui import window_tabs


def test_a_tab_opened_before_the_plots_are_in_waits_for_them(qtbot, window, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(window_tabs, "_tabs_imported", lambda: False)  # (this test imports them)
    window._plots_imported = False  # as in the first seconds of a start
    window.tabs.setCurrentWidget(window._lab_placeholder)
    assert window.lab is None
    assert window._lab_placeholder.text() == "Loading PyTorch and the plotting library…"
    window.tabs.setCurrentWidget(window._network_placeholder)  # the user moves on meanwhile
    assert window.network is None and window.lab is None
    window.plots_imported()  # what the background import's end calls, on the UI thread
    assert window._network_placeholder.text() == "Opening…"  # shown at once, built next turn
    qtbot.waitUntil(lambda: window.network is not None, timeout=10_000)
    assert window.tabs.currentWidget() is window.network
    assert window.lab is None  # not the tab on screen: built when first opened
    window.tabs.setCurrentIndex(window.tabs.indexOf(window._lab_placeholder))
    qtbot.waitUntil(lambda: window.lab is not None, timeout=10_000)
    assert window.tabs.currentWidget() is window.lab


def test_the_background_import_calls_back_on_the_ui_thread(qtbot) -> None:  # type: ignore[no-untyped-def]
    threads: list[threading.Thread] = []
    window_tabs.import_plotting_in_background(lambda: threads.append(threading.current_thread()))
    qtbot.waitUntil(lambda: bool(threads), timeout=60_000)
    assert threads == [threading.main_thread()]
    assert window_tabs._tabs_imported()


@pytest.mark.parametrize("placeholder", ["_lab_placeholder", "_network_placeholder"])
def test_a_tab_opens_at_once_once_the_plots_are_in(qtbot, window, placeholder: str) -> None:  # type: ignore[no-untyped-def]
    """At once: its placeholder says so in the same turn, and the tab is built in the next (its
    building and first paint take about 0.2 s, which froze the click's own repaint)."""
    shown = getattr(window, placeholder)
    window.tabs.setCurrentWidget(shown)
    assert window.tabs.currentWidget() is shown and shown.text() == "Opening…"
    lab = placeholder == "_lab_placeholder"
    qtbot.waitUntil(lambda: (window.lab if lab else window.network) is not None, timeout=10_000)
    opened = window.lab if lab else window.network
    assert window.tabs.currentWidget() is opened


def test_a_tab_left_before_its_turn_is_not_built(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    graph = window.tabs.indexOf(window.splitter)
    window.tabs.setCurrentWidget(window._network_placeholder)
    window.tabs.setCurrentIndex(graph)  # (a quick click through)
    qtbot.wait(50)
    assert window.network is None and window.tabs.currentIndex() == graph


def test_the_inspector_comes_back_as_the_user_left_it(qtbot, window, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """It hides on the other tabs (it describes graph nodes). A tab's first opening used to
    record it as closed (the new tab had already hidden it), so it never came back."""
    qtbot.waitExposed(window)
    graph = window.tabs.indexOf(window.splitter)
    assert window.inspector_dock.isVisible()
    window.open_lab()  # a first opening
    assert not window.inspector_dock.isVisible()
    window.tabs.setCurrentIndex(graph)
    assert window.inspector_dock.isVisible()
    monkeypatch.setattr(window_tabs, "_tabs_imported", lambda: False)
    window._plots_imported = False
    window.tabs.setCurrentWidget(window._network_placeholder)  # a first opening that waits
    assert not window.inspector_dock.isVisible()
    window.plots_imported()
    qtbot.waitUntil(lambda: window.network is not None, timeout=10_000)
    window.tabs.setCurrentIndex(graph)
    assert window.inspector_dock.isVisible()
    window.inspector_dock.close()  # closed by the user: closed it stays
    window.tabs.setCurrentWidget(window.lab)
    window.tabs.setCurrentIndex(graph)
    assert not window.inspector_dock.isVisible()
