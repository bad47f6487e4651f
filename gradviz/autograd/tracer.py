"""Tracing a program: run it once with real torch and build the graph of what autograd did."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

from gradviz import collection
from gradviz.autograd.builder import GraphBuilder, Snapshot
from gradviz.autograd.capture import GradientCapture
from gradviz.autograd.failed_pass import (
    BackwardFailed,
    error_note,
    failed_note,
    fill_stopped,
    implicit_backward_error,
)
from gradviz.autograd.graph import Graph, GraphNode
from gradviz.autograd.modules import ModuleScopes
from gradviz.autograd.naming import BoundNames
from gradviz.autograd.recorder import ForwardRecorder
from gradviz.autograd.walk import is_leaf_node, output_count, reachable, saved_tensors
from gradviz.lang import backward_seed
from gradviz.lang.engine_queue import drained_on_error
from gradviz.lang.errors import ProgramError
from gradviz.lang.guard import Cancelled
from gradviz.lang.interpreter import Interpreter
from gradviz.lang.limits import DEFAULT_LIMITS, Limits
from gradviz.lang.parser import Program, changed_number_text, changed_numbers, parse_cached
from gradviz.lang.run_result import RunResult

NO_GRAD_NOTE = (
    "No tensor in this program requires grad, so autograd recorded nothing to draw. "
    "Create a leaf with requires_grad=True (or write `x = 2.0`) to see the graph."
)
NO_TENSOR_NOTE = "The program made no tensor to draw."
SEED_ONES_NOTE = (
    "The output is not a scalar: gradients are of the sum of its elements "
    "(backward seeded with ones)."
)


@dataclass
class TraceResult:
    """The graph, plus what the run printed and which scalar inputs it has."""

    graph: Graph
    run: RunResult
    program: Program
    warnings: list[tuple[int | None, str]] = field(default_factory=list)  # (line, torch's words)


class Tracer:
    """Observes one run: names bound, forward values, and each `.backward()` it performs."""

    def __init__(self, device: str) -> None:
        self.device = device
        self.recorder = ForwardRecorder()
        self.names = BoundNames()
        self.scopes = ModuleScopes(self.names)
        self.recorder.scopes = self.scopes
        this = weakref.ref(self)  # no reference cycle through the recorder's callback
        self.recorder.on_constant_write = lambda: _build_pending(this)
        self.graph: Graph | None = None
        # gradviz's own remark on the running line (the interpreter's), where there is one
        self.remark: Callable[[str], None] | None = None
        # The program's latest backward pass, its graph built only once it is known to be the
        # last (a training loop calls backward at every step and shows only the last graph).
        self._pending: tuple[Snapshot, ForwardRecorder] | None = None
        self.failed: Snapshot | None = None  # a backward pass that raised, as far as it got

    # -- RunObserver ---------------------------------------------------------------------------
    def bound(self, name: str, value: object, weak: bool = False) -> None:
        self.names.bound(name, value, weak)

    def calling(self, owner: object | None) -> None:
        self.scopes.enter_object(owner)

    def called(self) -> None:
        self.scopes.leave_object()

    def backward(self, tensor: torch.Tensor, kwargs: dict[str, Any]) -> None:
        self._observe(tensor, kwargs, lambda: backward_seed.backward(tensor, **kwargs))

    def grad(self, output: torch.Tensor, inputs: Any, kwargs: dict[str, Any]) -> Any:
        """torch.autograd.grad, seen as a backward pass: the graph shows d output / d node for
        what the pass reached; the inputs' gradients are the ones it returns (their
        AccumulateGrad nodes do not run: grad stores nothing in .grad)."""
        found: list[Any] = []

        def run() -> None:
            found.extend(torch.autograd.grad(output, inputs, **kwargs))

        self._observe(output, kwargs, run, inputs, found)
        return tuple(found)

    def _observe(
        self,
        tensor: torch.Tensor,
        kwargs: dict[str, Any],
        run: Callable[[], None],
        inputs: Any = None,
        returned: list[Any] | None = None,
    ) -> None:
        """Perform one backward pass of the program (run) with hooks on the nodes it reaches."""
        earlier = self.recorder.frozen  # the last pass's record, its graph built or not
        self._drop_pending()
        try:
            snap = self._capture(tensor, run, "program", [])
        except Exception:
            if earlier is not None and self.failed is not None:
                self.recorder.adopt(earlier, self.failed.nodes)
            raise
        if earlier is not None:  # what it recorded of ops this pass reaches too
            self.recorder.adopt(earlier, snap.nodes)
        if inputs is not None and returned is not None:
            _returned_gradients(snap, inputs, returned)
        if kwargs.get("retain_graph") or kwargs.get("create_graph"):
            # the next pass may reach into this one's nodes (or the ones it made): build now,
            # keep the record
            self.graph = self._build(snap, self.recorder)
            return
        if all(is_leaf_node(n) for n in snap.nodes):
            self.graph = self._build(snap, self.recorder)  # no op at all: nothing to wait for
            self.recorder.clear()
            return
        self._pending = (snap, self.recorder.freeze())
        self.graph = None

    # -- tracing -------------------------------------------------------------------------------
    def trace_backward(self, tensor: torch.Tensor, seed: str, notes: list[str]) -> Graph:
        """Run backward from `tensor` (the program never did) with hooks and build its graph
        now. A tensor of several elements is seeded with ones through a sum that the graph
        does not show: d sum / d tensor is exactly those ones, and passing them to backward
        would import sympy (half a second, once per process) for its shape check."""
        self._drop_pending()
        run = tensor.backward if tensor.numel() == 1 else lambda: tensor.sum().backward()
        snap = self._capture(tensor, run, seed, notes)
        graph = self._build(snap, self.recorder)
        self.recorder.clear()
        return graph

    def _capture(
        self, tensor: torch.Tensor, run: Callable[[], None], seed: str, notes: list[str]
    ) -> Snapshot:
        self.recorder.flush()
        nodes = reachable(tensor.grad_fn)
        limit = self.recorder.max_nodes
        if limit is not None and len(nodes) > limit:  # (leaves too: 90,000 `requires_grad`s)
            raise ProgramError(
                f"the autograd graph has {len(nodes):,} nodes, far more than a picture can "
                f"show (the limit is {limit:,}); stopped"
            )
        saved = {n: saved_tensors(n) for n in nodes if not is_leaf_node(n)}
        leaf_values = {n: n.variable.detach().clone() for n in nodes if is_leaf_node(n)}
        self._remark_changed_leaves(nodes)
        self.recorder.constants.stop_watching_leaves()  # (copied: later writes need no copy)
        with GradientCapture(nodes) as capture:
            try:
                run()
            except Exception:
                self.failed = Snapshot(
                    tensor, nodes, capture, saved, leaf_values, str(tensor.device), seed, notes
                )
                raise
        return Snapshot(tensor, nodes, capture, saved, leaf_values, str(tensor.device), seed, notes)

    def _remark_changed_leaves(self, nodes: list[Any]) -> None:
        """The slip of stepping before backward: leaves the forward read, written in place
        before this backward (the graph shows them as the forward read them)."""
        constants = self.recorder.constants
        if not constants.versions or self.remark is None:
            return
        leaves = [
            n.variable for n in nodes if is_leaf_node(n) and id(n.variable) in constants.versions
        ]
        if not leaves:
            return
        paths = self.names.param_paths()
        names = [f"`{paths.get(id(t)) or self.names.name_of(t) or 'a leaf'}`" for t in leaves]
        lines = sorted({line for t in leaves if (line := constants.lines.get(id(t))) is not None})
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        self.remark(
            f"{shown} changed in place{f' at line {lines[0]}' if lines else ''}, after the "
            f"forward read {'it' if len(names) == 1 else 'them'} and before this backward (a "
            "step before backward()?): the graph shows the values the forward used"
        )

    def _build(self, snap: Snapshot, recorder: ForwardRecorder) -> Graph:
        graph = GraphBuilder(snap, recorder, self.names).build()
        used: set[str] = set()  # the modules the nodes ran in, and every module around one of those
        for module in {n.module for n in graph.nodes if n.module}:
            parts = module.split(".")
            used.update(".".join(parts[:end]) for end in range(1, len(parts) + 1))
        graph.modules = {path: t for path, t in self.scopes.titles.items() if path in used}
        return graph

    def _build_pending(self) -> None:
        """Build the waiting graph (at the end of the run, or before an in-place write into a
        constant it read would change what it shows)."""
        if self._pending is None:
            return
        snap, frozen = self._pending
        self._drop_pending()
        self.graph = self._build(snap, frozen)

    def failed_graph(self) -> Graph | None:
        """The graph of the backward pass that raised: what its forward computed, and the
        gradients it had sent when it stopped (None where there was no such pass, or where
        even that cannot be built: the program's error is what matters then)."""
        if self.failed is None:
            return None
        try:
            graph = self._build(self.failed, self.recorder)
        except Exception:
            return None
        if not any(n.kind == "op" for n in graph.nodes):
            return None  # (backward of a tensor that does not require grad: nothing to show)
        fill_stopped(graph)
        graph.notes = [failed_note(graph)]
        return graph

    def _drop_pending(self) -> None:
        """Forget the waiting graph (built, or not to be drawn); its record stays watched for
        in-place writes until the next pass, which may reach some of its ops again."""
        self._pending = None

    def finish(self, output: torch.Tensor | None) -> Graph:
        """The graph of the run's last backward pass; for a run that never called backward,
        backward from its output ourselves."""
        self._build_pending()
        if self.graph is not None:
            return self.graph
        if output is None:
            return Graph([], [], None, [], self.device, [NO_TENSOR_NOTE])
        if not output.requires_grad:
            node = GraphNode(
                "n0", "const", None, self.names.name_of(output), output.detach().clone()
            )
            return Graph([node], [], "n0", [], str(output.device), [NO_GRAD_NOTE])
        if output.numel() == 1:
            return self.trace_backward(output, "one", [])
        return self.trace_backward(output, "ones", [SEED_ONES_NOTE])


def _returned_gradients(snap: Snapshot, inputs: Any, returned: list[Any]) -> None:
    """Give the inputs of torch.autograd.grad the gradients it returned: a leaf's
    AccumulateGrad never runs, and a non-leaf input's node runs only when something beyond it
    needed it."""
    tensors = [inputs] if isinstance(inputs, torch.Tensor) else list(inputs)
    leaves = {id(n.variable): n for n in snap.nodes if is_leaf_node(n)}
    arrived = snap.capture.arrived
    for tensor, grad in zip(tensors, returned, strict=False):
        if grad is None or not isinstance(tensor, torch.Tensor):
            continue
        grad = grad.detach()
        if tensor.grad_fn is None and id(tensor) in leaves:
            arrived[leaves[id(tensor)]] = (grad,)
        elif tensor.grad_fn is not None and tensor.grad_fn not in arrived:
            slots: list[torch.Tensor | None] = [None] * output_count(tensor.grad_fn)
            slots[min(tensor.output_nr, len(slots) - 1)] = grad
            arrived[tensor.grad_fn] = tuple(slots)


def _build_pending(tracer: weakref.ref[Tracer]) -> None:
    alive = tracer()
    if alive is not None:
        alive._build_pending()


def trace(
    program: str | Program,
    *,
    device: str = "cpu",
    overrides: dict[str, float] | None = None,
    limits: Limits = DEFAULT_LIMITS,
    cancel: threading.Event | None = None,
    on_print: Callable[[str], None] | None = None,
) -> TraceResult:
    """Run `program` with real PyTorch and return the autograd graph with values and gradients."""
    parsed = parse_cached(program, limits) if isinstance(program, str) else program
    tracer = Tracer(device)
    tracer.recorder.max_nodes = limits.max_graph_nodes
    interpreter = Interpreter(
        parsed,
        device=device,
        limits=limits,
        overrides=overrides,
        cancel=cancel,
        on_print=on_print,
        observer=tracer,
        op_observer=tracer.recorder,
    )
    tracer.recorder.line_now = _line_of(weakref.ref(interpreter))
    tracer.remark = _remark_of(weakref.ref(interpreter))
    # (the run drains what its own passes leave; this, what the backward of finish() leaves)
    with drained_on_error(), collection.paused(), tracer.scopes.installed():
        try:
            run = interpreter.run()
            try:
                graph = tracer.finish(run.output)
            except RuntimeError as exc:
                if tracer.failed is None:
                    raise  # not the backward pass itself: gradviz's own error
                name = tracer.names.name_of(run.output) if run.output is not None else None
                raise implicit_backward_error(interpreter, name, exc) from None
        except Cancelled:
            raise
        except ProgramError as exc:
            failed = tracer.failed_graph()
            if failed is None:
                raise
            failed.notes = [*failed.notes, error_note(exc), *interpreter.warnings.notes()]
            related = [*interpreter.warnings.marked(), *exc.related]
            raise BackwardFailed(exc, failed, parsed.inputs, related) from None
    if graph.notes == [NO_TENSOR_NOTE]:
        graph.notes = [NO_TENSOR_NOTE + _changed_number_hint(parsed)]
    graph.notes = [*graph.notes, *interpreter.warnings.notes()]
    return TraceResult(graph, run, parsed, interpreter.warnings.marked())


def _line_of(interpreter: weakref.ref[Interpreter]) -> Callable[[], int | None]:
    """The program line the interpreter is running (held weakly: no cycle through the
    recorder)."""

    def line() -> int | None:
        running = interpreter()
        return running.line if running is not None else None

    return line


def _remark_of(interpreter: weakref.ref[Interpreter]) -> Callable[[str], None]:
    """A remark on the line the interpreter is running (held weakly, as _line_of)."""

    def remark(text: str) -> None:
        running = interpreter()
        if running is not None:
            running.warnings.remark(text)

    return remark


def _changed_number_hint(program: Program) -> str:
    """Why a number the user wrote made no tensor: `x = 2.0` assigned again is no input."""
    changed = changed_numbers(program.tree)
    return f" {changed_number_text(*changed[0])}" if changed else ""
