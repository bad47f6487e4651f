"""The long-lived `dot` the app lays graphs out with: the same layouts as a `dot` of their own,
several threads at once, and a bad graph, a dead process or no `dot` at all never leave a
layout waiting: the caller falls back to a one-shot `dot` and its error."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest

from gradviz.autograd.tracer import trace
from gradviz.lang.errors import ProgramError
from gradviz.render import dot_process
from gradviz.render.dot import RenderOptions, build_dot
from gradviz.render.dot_process import DotProcess
from gradviz.render.layout import layout_json, run_dot

PROGRAMS = [
    "x = 2.0\ny = 3.0\nf = x*y + exp(x*y)",
    "model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))\n"
    "loss = F.cross_entropy(model(torch.randn(5, 3)), torch.tensor([0, 1, 1, 0, 1]))",
    "w = torch.randn(4, 3, requires_grad=True)\n"
    "z = (w @ w.T).softmax(dim=1)\n"
    "loss = z.pow(2).sum()",
]


def _canonical(data: dict[str, Any]) -> tuple[object, ...]:
    """The layout as a picture: what each named node, cluster and edge draws and where. (A
    long-lived dot may list clusters in another order and number objects differently.)"""
    names = {o["_gvid"]: o["name"] for o in data.get("objects", [])}
    objects = {
        o["name"]: {k: v for k, v in o.items() if k not in ("_gvid", "nodes", "edges", "subgraphs")}
        for o in data.get("objects", [])
    }
    edges = sorted(
        json.dumps(
            {
                **{k: v for k, v in e.items() if k not in ("_gvid", "tail", "head")},
                "tail": names[e["tail"]],
                "head": names[e["head"]],
            },
            sort_keys=True,
        )
        for e in data.get("edges", [])
    )
    rest = {k: v for k, v in data.items() if k not in ("objects", "edges", "_subgraph_cnt")}
    return json.dumps(rest, sort_keys=True), json.dumps(objects, sort_keys=True), edges


@pytest.fixture(scope="module")
def sources() -> list[str]:
    return [build_dot(trace(p).graph, RenderOptions()) for p in PROGRAMS]


def test_layouts_equal_a_dot_of_their_own_again_and_again(sources: list[str]) -> None:
    process = DotProcess()
    try:
        for _ in range(3):
            for source in sources:
                answer = process.layout(source)
                assert answer is not None
                expected = json.loads(run_dot(source, "json"))
                assert _canonical(json.loads(answer)) == _canonical(expected)
    finally:
        process.close()


def test_threads_laying_out_at_once_each_get_their_own_graph(sources: list[str]) -> None:
    process = DotProcess()
    expected = [_canonical(json.loads(run_dot(s, "json"))) for s in sources]
    results: dict[int, list[object]] = {}

    def work(index: int) -> None:
        results[index] = [
            _canonical(json.loads(process.layout(sources[index % len(sources)]) or b"{}"))
            for _ in range(4)
        ]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        process.close()
    for index, got in results.items():
        assert got == [expected[index % len(sources)]] * 4
    assert len(results) == 6


def test_a_bad_graph_answers_none_at_once_and_the_next_one_works(sources: list[str]) -> None:
    process = DotProcess(timeout=60)
    try:
        start = time.perf_counter()
        assert process.layout("digraph { a -> }") is None
        assert time.perf_counter() - start < 10  # the error was seen, not waited out
        answer = process.layout(sources[0])
        assert answer is not None
        assert _canonical(json.loads(answer)) == _canonical(json.loads(run_dot(sources[0], "json")))
    finally:
        process.close()


def test_a_dead_process_is_started_again(sources: list[str]) -> None:
    process = DotProcess()
    try:
        assert process.layout(sources[0]) is not None
        assert process._process is not None
        process._process.kill()
        process._process.wait()
        answer = process.layout(sources[1]) or process.layout(sources[1])
        assert answer is not None
    finally:
        process.close()


def test_without_dot_there_is_no_answer() -> None:
    assert DotProcess("no-such-graphviz-dot").layout("digraph { a -> b }") is None


def test_a_bad_graph_still_gets_graphvizs_own_error() -> None:
    with pytest.raises(ProgramError, match="Graphviz failed"):
        layout_json("digraph { a -> }")


def test_a_dot_that_holds_its_answers_back_is_not_used(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A build of dot that does not flush each graph's answer would leave layouts waiting: a
    trivial graph is asked first, and without an answer the one-shot dot is used instead."""
    silent = tmp_path / "silent-dot"
    silent.write_text("#!/bin/sh\ncat > /dev/null\n")
    silent.chmod(0o755)
    monkeypatch.setattr(dot_process, "PROBE_SECONDS", 0.5)
    process = DotProcess(str(silent))
    start = time.perf_counter()
    assert process.layout("digraph { a -> b }") is None
    assert not process.usable
    assert process.layout("digraph { a -> b }") is None  # not tried again
    assert time.perf_counter() - start < 5


def test_a_layout_past_its_time_is_stopped_not_run_again(sources: list[str]) -> None:
    """The long-lived dot given no answer in time stops and says so (the caller gives the
    time-out message), rather than handing the same wait to a dot of its own."""
    from gradviz.render.dot_process import DotTimeout

    slow = build_dot(trace(
        "w = torch.randn(8, 8, requires_grad=True)\nh = torch.randn(4, 8)\n"
        "for i in range(300):\n    h = torch.tanh(h @ w)\nloss = h.sum()\n"
    ).graph)  # fmt: skip
    process = DotProcess(timeout=0.01)
    try:
        with pytest.raises(DotTimeout):
            process.layout(slow)
        process.timeout = 60
        answer = process.layout(sources[0])  # a new dot answers the next one
        assert answer is not None and "objects" in json.loads(answer)
    finally:
        process.close()
