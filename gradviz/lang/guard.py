"""A torch dispatch mode that checks every allocation's size before it happens and allows cancel."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any, Protocol

import torch
from torch.utils import _python_dispatch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_map

from gradviz.lang.errors import ProgramError
from gradviz.lang.foreach_versions import run_versioned
from gradviz.lang.held_storages import HeldStorages, storage_bytes
from gradviz.lang.limits import Limits
from gradviz.lang.sizes import INDEX_RESULTS, RULES, TWO_OUTPUTS, predicted_numel
from gradviz.lang.work import work_rule

_META = torch.device("meta")


class OpObserver(Protocol):
    """Sees every aten operation the program runs (the tracer records forward values this way)."""

    def before_op(self, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None: ...

    def after_op(
        self, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any], out: Any
    ) -> None: ...

    def made_by_program(self, out: Any) -> None:
        """`out` came from the program's own autograd.Function: its node is no aten op."""


class Cancelled(ProgramError):
    """Raised inside evaluation when the caller asked to stop."""

    def __init__(self) -> None:
        super().__init__("evaluation was cancelled")


def _to_meta(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return torch.empty_strided(value.shape, value.stride(), dtype=value.dtype, device=_META)
    return value


def tensors_in(tree: Any) -> list[torch.Tensor]:
    """Tensors among an op's arguments or results (flat, or one list deep as for cat)."""
    if isinstance(tree, torch.Tensor):
        return [tree]
    found: list[torch.Tensor] = []
    items = tree.values() if isinstance(tree, dict) else tree
    if isinstance(items, (tuple, list)) or isinstance(tree, dict):
        for item in items:
            if isinstance(item, torch.Tensor):
                found.append(item)
            elif isinstance(item, (tuple, list)):
                found.extend(t for t in item if isinstance(t, torch.Tensor))
    return found


def _human_bytes(n: int) -> str:
    size = float(n)
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{size:,.0f} {unit}" if unit == "bytes" else f"{size:,.3g} {unit}"
        size /= 1024
    return f"{n} bytes"


def broadcast_numel(shapes: list[torch.Size]) -> int | None:
    """Elements of the broadcast of `shapes`, or None if they do not broadcast.

    (torch.broadcast_shapes would do, but it imports sympy on first use: a third of a second.)
    """
    ndim = max(len(s) for s in shapes)
    numel = 1
    for axis in range(1, ndim + 1):
        size = 1
        for shape in shapes:
            if axis <= len(shape):
                dim = shape[-axis]
                if dim != 1:
                    if size not in (1, dim):
                        return None
                    size = dim
        numel *= size
    return numel


# How to foresee an op's output size without running it; decided once per op.
NO_NEW_MEMORY, BROADCAST, AT_MOST_INPUT, MATMUL, RULE, META = range(6)

# Ops whose outputs are never larger than their largest input (losses, softmax, pooling, ...).
_AT_MOST_INPUT = {
    "mse_loss", "_log_softmax", "_softmax", "nll_loss_forward", "nll_loss2d_forward",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "max_pool2d_with_indices",
    "native_layer_norm", "_to_copy", "clone", "lift_fresh_copy", "l1_loss", "smooth_l1_loss",
    "huber_loss", "native_dropout", "gelu", "silu", "softplus", "elu", "leaky_relu",
    "hardtanh", "_unsafe_view", "masked_fill", "where", "clamp", "native_batch_norm",
    "_native_batch_norm_legit_functional", "avg_pool2d", "max", "min", "topk", "sort",
    "_safe_softmax", "empty_like", "zeros_like", "ones_like", "full_like", "rand_like",
    "randn_like", "bernoulli", "gather", "cumsum", "cumprod", "_is_all_true", "_is_any_true",
}  # fmt: skip
_MATMUL = {"mm", "addmm", "bmm", "baddbmm"}
DETACH = torch.ops.aten.detach.default  # nn.Parameter and torch.tensor run it: let it pass
_KINDS: dict[Any, int] = {}


_IN_PLACE_TAG = getattr(torch.Tag, "inplace", None)  # newer torch only; else the schema says
_POINTWISE_TAG = getattr(torch.Tag, "pointwise", None)
_REDUCTION_TAG = getattr(torch.Tag, "reduction", None)


def _in_place(func: Any, tag: Any = _IN_PLACE_TAG) -> bool:
    """The op writes into its first argument (`add_`, `relu_`)."""
    if tag is not None:
        return tag in func.tags
    name: str = func._schema.name
    return name.endswith("_") and bool(func._schema.is_mutable)


def _kind(func: Any) -> int:
    kind = _KINDS.get(func)
    if kind is None:
        name = func._schema.name.split("::")[-1]
        tags = func.tags
        if func.is_view or _in_place(func):
            kind = NO_NEW_MEMORY  # views share memory; in-place ops write into an argument
        elif _POINTWISE_TAG is not None and _POINTWISE_TAG in tags:
            kind = BROADCAST
        elif (_REDUCTION_TAG is not None and _REDUCTION_TAG in tags) or name in _AT_MOST_INPUT:
            kind = AT_MOST_INPUT
        elif name in _MATMUL:
            kind = MATMUL
        elif name in RULES:
            kind = RULE  # sizes.py works it out (the meta kernel is slow Python)
        elif func.namespace == "profiler" or name == "_local_scalar_dense":
            kind = NO_NEW_MEMORY  # record_function markers; .item() returns a number
        else:
            kind = META
        _KINDS[func] = kind
    return kind


def _element_size(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> int:
    """Bytes per element of a RULE op's output: the dtype asked for, else its inputs' widest."""
    if name in INDEX_RESULTS or (name == "arange" and all(type(a) is int for a in args)):
        return 8  # indices, or a range of Python ints
    dtype = kwargs.get("dtype")
    if dtype is None:
        sizes = [t.element_size() for t in tensors_in(args)]
        if sizes:
            return max(sizes)
        dtype = torch.get_default_dtype()
    return torch.empty((), dtype=dtype, device=_META).element_size()


class AllocationGuard(TorchDispatchMode):
    """Predicts each op's output size (shape rules, else the meta device) and refuses big ones."""

    def check_cancelled(self) -> None:
        """Raise Cancelled if the caller asked to stop (at every op, and every statement)."""
        if self.cancel is not None and self.cancel.is_set():
            raise Cancelled()

    @classmethod
    def _should_skip_dynamo(cls) -> bool:
        # gradviz never compiles; not wrapping __torch_dispatch__ for dynamo avoids importing
        # torch._dynamo (over a second) on the first operation.
        return False

    def __init__(
        self,
        limits: Limits,
        cancel: threading.Event | None = None,
        observer: OpObserver | None = None,
    ) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.limits = limits
        self.cancel = cancel
        self.observer = observer
        self.observing = True
        self.bypass = False
        self.held = HeldStorages()
        self.ops = 0  # tensor operations run (Limits.max_ops)

    @property
    def live_bytes(self) -> int:
        """Bytes of tensor storage the program holds now."""
        return self.held.live_bytes

    def __torch_dispatch__(
        self,
        func: Any,
        types: Any,
        args: tuple[Any, ...] = (),
        kwargs: dict[str, Any] | None = None,
    ) -> Any:
        kwargs = kwargs or {}
        if self.bypass or func is DETACH:  # a detach allocates nothing and makes no node
            return func(*args, **kwargs)  # (gradviz's own work, and backward: no foreach step)
        self.check_cancelled()
        self.ops += 1
        if self.ops > self.limits.max_ops:
            raise ProgramError(
                f"the program ran more than {self.limits.max_ops:,} tensor operations; stopped"
            )
        observer = self.observer if self.observing else None
        if observer is not None:
            observer.before_op(func, args, kwargs)
        kind = _kind(func)
        if kind == NO_NEW_MEMORY:  # a view or an in-place op: nothing to foresee or count
            if func.is_view:  # but a view's elements, every later op reads (`expand(10**12)`)
                out = func(*args, **kwargs)
                self._check([(t.numel(), 0) for t in tensors_in(out)])
            else:  # (an in-place op: a foreach one moves no version counter by itself)
                out = run_versioned(func, args, kwargs)
        else:
            predicted = self._predict(func, kind, args, kwargs)
            if predicted is not None:
                self._check(predicted)  # (a result too big to hold says more than its work)
            if kind != BROADCAST:  # (no pointwise op has a work rule)
                self._check_work(func, args, kwargs)
            written = tensors_in(kwargs["out"]) if "out" in kwargs else []  # torch resizes them
            before = [storage_bytes(t) for t in written]
            out = func(*args, **kwargs)
            outputs = tensors_in(out)
            if outputs and outputs[0].is_meta:
                raise ProgramError(
                    "the meta device holds shapes without values, so there is nothing to show: "
                    "use cpu or cuda"
                )
            if predicted is None:
                self._check(self._sizes(outputs))
            for tensor, nbytes in zip(written, before, strict=True):
                self.held.grew(tensor, storage_bytes(tensor) - nbytes)  # (then held, not again)
            self.held.count(outputs)
        if observer is not None:
            observer.after_op(func, args, kwargs, out)
        return out

    def made_by_program(self, out: Any) -> None:
        """Tell the observer that `out` came from the program's own autograd.Function."""
        if self.observer is not None and self.observing:
            self.observer.made_by_program(out)

    def check(self, sizes: list[tuple[int, int]]) -> None:
        """Refuse tensors of these (elements, bytes per element) before they are made."""
        self._check(sizes)

    def adopt(self, tensors: list[torch.Tensor]) -> None:
        """Count tensors made while the guard was suspended, until they are freed."""
        self.held.count(tensors, small_too=True)  # (made without ops: max_ops bounds none)

    @contextlib.contextmanager
    def suspended(self) -> Iterator[None]:
        """Let ops through unchecked and unrecorded (gradviz's own work, e.g. backward)."""
        if _python_dispatch._get_current_dispatch_mode() is self:
            with _python_dispatch._pop_mode_temporarily():  # no Python call per op at all
                yield
            return
        previous = self.bypass
        self.bypass = True
        try:
            yield
        finally:
            self.bypass = previous

    @staticmethod
    def read_number(tensor: torch.Tensor) -> float:
        """A one-element tensor's value, read past every Python dispatch mode: gradviz's own
        look, unchecked and unrecorded (0.6 µs; through the guard, bypassed or not, 1.9–2.2)."""
        with torch._C._DisableTorchDispatch():
            return float(tensor.item())

    @contextlib.contextmanager
    def resumed(self) -> Iterator[None]:
        """Checked and recorded again inside a suspended stretch: the program's own code that
        autograd runs during a backward pass (an autograd.Function's backward)."""
        previous = self.bypass
        self.bypass = False
        try:
            if _python_dispatch._get_current_dispatch_mode() is self:
                yield
            else:
                with self:
                    yield
        finally:
            self.bypass = previous

    def _predict(self, func: Any, kind: int, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """Output (numel, element size) pairs, or None when only running the op can tell."""
        if kind == BROADCAST and not kwargs:  # the commonest: `a * b`, `x + 1`, one pass
            shapes: list[torch.Size] = []
            size = 0
            for arg in args:
                if isinstance(arg, torch.Tensor):
                    shapes.append(arg.shape)
                    size = max(size, arg.element_size())
            if shapes and all(s == shapes[0] for s in shapes):
                return [(shapes[0].numel(), size)]
            if shapes and not any(isinstance(a, (list, tuple)) for a in args):
                numel = broadcast_numel(shapes)
                return None if numel is None else [(numel, size)]
        if kind != META:  # from the inputs (not an `out=` tensor, which torch resizes)
            tensors = tensors_in(args) + [
                t for key, value in kwargs.items() if key != "out" for t in tensors_in(value)
            ]
            if tensors:
                size = max(t.element_size() for t in tensors)
                if kind == AT_MOST_INPUT:
                    return [(max(t.numel() for t in tensors), size)]
                if kind == BROADCAST:
                    numel = broadcast_numel([t.shape for t in tensors])
                    if numel is None:
                        return None  # let torch report the mismatch in its own words
                    return [(numel, size)]
                if kind == MATMUL and len(tensors) >= 2:
                    a, b = tensors[-2], tensors[-1]
                    if a.dim() >= 2 and b.dim() >= 2:
                        return [(a.shape[:-1].numel() * b.shape[-1], size)]
        if kind == RULE:
            name = func._schema.name.split("::")[-1]
            numel = predicted_numel(name, func._overloadname, args, kwargs)
            if numel is not None:
                return [(numel, _element_size(name, args, kwargs))] * (
                    2 if name in TWO_OUTPUTS else 1
                )
        if kind == META and args and isinstance(args[0], (list, tuple)) and "out" not in kwargs:
            sizes = args[0]
            if sizes and all(type(s) is int for s in sizes) and not tensors_in(args):
                numel = 1
                for s in sizes:
                    numel *= max(s, 0)
                dtype = kwargs.get("dtype") or torch.get_default_dtype()
                return [(numel, torch.empty((), dtype=dtype, device=_META).element_size())]
        meta_args = tree_map(_to_meta, args)
        meta_kwargs = tree_map(_to_meta, kwargs)
        if "device" in meta_kwargs:
            meta_kwargs["device"] = _META
            meta_kwargs.pop("pin_memory", None)
        try:
            meta_out = func(*meta_args, **meta_kwargs)
        except Exception:
            return None  # no meta kernel, or the size depends on the data: check afterwards
        return self._sizes(meta_out)

    def _check_work(self, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        """Refuse a convolution, pooling or attention op that would run too long to wait for."""
        rule = work_rule(func)
        if rule is None:
            return
        work, limit = rule.rule(args, kwargs), self.limits.max_op_work
        if work is not None and work > limit:
            raise ProgramError(rule.refusal(work, limit))

    @staticmethod
    def _sizes(out: Any) -> list[tuple[int, int]]:
        return [(t.numel(), t.element_size()) for t in tensors_in(out)]

    def _check(self, sizes: list[tuple[int, int]]) -> None:
        limit = self.limits.max_tensor_elements
        total = 0
        for numel, element_size in sizes:
            if numel > limit:
                raise ProgramError(
                    f"this would create a tensor of {numel:,} elements; the limit is {limit:,}"
                )
            total += numel * element_size
        if self.live_bytes + total > self.limits.max_total_bytes:
            raise ProgramError(
                f"this would hold {_human_bytes(self.live_bytes + total)} of tensors at once; "
                f"the limit is {_human_bytes(self.limits.max_total_bytes)}"
            )
