"""Recording your own PyTorch code (no gradviz program): the forward values, module paths and
names seen while it runs, then one backward pass with hooks — the graph `trace` would build."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from typing import Any

import torch
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode

from gradviz.autograd.graph import Graph
from gradviz.autograd.recorder import ForwardRecorder
from gradviz.autograd.tracer import Tracer
from gradviz.lang.foreach_versions import run_versioned
from gradviz.lang.guard import DETACH
from gradviz.lang.limits import DEFAULT_LIMITS


class _Watching(TorchDispatchMode):
    """Shows the recorder every aten op the forward code runs (not those of backward passes)."""

    @classmethod
    def _should_skip_dynamo(cls) -> bool:
        return False  # (as the guard: no import of torch._dynamo on the first op)

    def __init__(self, recorder: ForwardRecorder) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.recorder = recorder
        self.paused = False

    def __torch_dispatch__(
        self,
        func: Any,
        types: Any,
        args: tuple[Any, ...] = (),
        kwargs: dict[str, Any] | None = None,
    ) -> Any:
        kwargs = kwargs or {}
        watched = not (
            self.paused or func is DETACH or torch._C._current_graph_task_id() != -1
        )  # a backward pass's own ops are no forward values
        if watched:
            self.recorder.before_op(func, args, kwargs)
        out = run_versioned(func, args, kwargs)
        if watched:
            self.recorder.after_op(func, args, kwargs, out)
        return out


def _nameable(value: object) -> bool:
    return isinstance(value, (torch.Tensor, nn.Module))


class LiveRecording:
    """`with LiveRecording(names) as rec:` run forward code; then `rec.backward(loss)` runs
    loss.backward() with hooks on every node it reaches and returns the graph.

    `names` name tensors and modules (`model` makes `model.0.weight` and the module boxes);
    modules must be named before their forward runs, tensors any time before `backward`.
    """

    def __init__(self, names: Mapping[str, object] | None = None) -> None:
        self.tracer = Tracer("cpu")
        # as a program's trace: past that, a chain freed on a usual thread stack can overflow it
        self.tracer.recorder.max_nodes = DEFAULT_LIMITS.max_graph_nodes
        self._watching = _Watching(self.tracer.recorder)
        self._stack: ExitStack | None = None
        self.graph: Graph | None = None
        self._remarks: list[str] = []  # the tracer's remarks (a step before backward)
        self.tracer.remark = self._remarks.append
        self.bind(names or {})

    def bind(self, names: Mapping[str, object]) -> None:
        """Name the tensors and modules among `names` (the rest, and `_…` names, are skipped)."""
        for name, value in names.items():
            if _nameable(value) and name.isidentifier() and not name.startswith("_"):
                self.tracer.bound(name, value)

    def __enter__(self) -> LiveRecording:
        if self._stack is not None:
            raise RuntimeError("this recording is already running")
        stack = ExitStack()
        stack.enter_context(self.tracer.scopes.installed())
        stack.enter_context(self._watching)
        self._stack = stack
        return self

    def __exit__(self, *exc: object) -> None:
        stack, self._stack = self._stack, None
        if stack is not None:
            stack.close()

    @contextmanager
    def _paused(self) -> Iterator[None]:
        previous = self._watching.paused
        self._watching.paused = True
        try:
            yield
        finally:
            self._watching.paused = previous

    def backward(self, output: torch.Tensor, **kwargs: Any) -> Graph:
        """Backpropagate from `output` (as `output.backward(**kwargs)`; `.grad` fills as usual)
        and return the graph. An output of several elements without `gradient=` is seeded
        with ones, as gradviz seeds a program's (the graph notes it)."""
        if self.graph is not None:
            raise RuntimeError("this recording has drawn its graph: record the code again")
        if not isinstance(output, torch.Tensor):
            raise TypeError(f"backward needs the output tensor, not {type(output).__name__}")
        self.tracer.device = str(output.device)
        with self._paused():
            try:
                if output.requires_grad and (output.numel() == 1 or "gradient" in kwargs):
                    self.tracer.backward(output, kwargs)
                self.graph = self.tracer.finish(output)
            except RuntimeError as exc:
                if "backward through the graph a second time" in str(exc):
                    raise RuntimeError(
                        "autograd has already freed this graph: call rec.backward(loss) "
                        "instead of loss.backward(), not after it"
                    ) from None
                raise
        self.graph.notes.extend(f"⚠ {text}" for text in self._remarks)
        unseen = [n.label for n in self.graph.nodes if n.kind == "op" and n.value is None]
        if unseen:
            self.graph.notes.append(
                f"{', '.join(unseen[:5])}{' …' if len(unseen) > 5 else ''}: made before the "
                "recording began, so their values are unknown (run the forward code inside "
                "the `with` block)"
            )
        return self.graph
