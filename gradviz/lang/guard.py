"""A torch dispatch mode that checks every allocation's size before it happens and allows cancel."""

from __future__ import annotations

import threading
import weakref
from typing import Any, Protocol

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten, tree_map

from gradviz.lang.errors import ProgramError
from gradviz.lang.limits import Limits

_META = torch.device("meta")


class OpObserver(Protocol):
    """Sees every aten operation the program runs (the tracer records forward values this way)."""

    def before_op(self, func: Any, args: tuple[Any, ...]) -> None: ...

    def after_op(self, func: Any, args: tuple[Any, ...], out: Any) -> None: ...


class Cancelled(ProgramError):
    """Raised inside evaluation when the caller asked to stop."""

    def __init__(self) -> None:
        super().__init__("evaluation was cancelled")


def _to_meta(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return torch.empty_strided(value.shape, value.stride(), dtype=value.dtype, device=_META)
    return value


def _tensors(tree: Any) -> list[torch.Tensor]:
    return [leaf for leaf in tree_flatten(tree)[0] if isinstance(leaf, torch.Tensor)]


def _human_bytes(n: int) -> str:
    size = float(n)
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{size:,.0f} {unit}" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1024
    return f"{n} bytes"


class AllocationGuard(TorchDispatchMode):
    """Predicts each op's output size (shape rules, else the meta device) and refuses big ones."""

    def __init__(
        self,
        limits: Limits,
        cancel: threading.Event | None = None,
        observer: OpObserver | None = None,
    ) -> None:
        super().__init__()
        self.limits = limits
        self.cancel = cancel
        self.observer = observer
        self.observing = True
        self.live_bytes = 0
        self._lock = threading.Lock()

    def __torch_dispatch__(
        self,
        func: Any,
        types: Any,
        args: tuple[Any, ...] = (),
        kwargs: dict[str, Any] | None = None,
    ) -> Any:
        kwargs = kwargs or {}
        if self.cancel is not None and self.cancel.is_set():
            raise Cancelled()
        observer = self.observer if self.observing else None
        if observer is not None:
            observer.before_op(func, args)
        predicted = self._predict(func, args, kwargs)
        if predicted is not None:
            self._check(predicted)
        out = func(*args, **kwargs)
        if predicted is None:
            self._check(self._sizes(out))
        self._account(args, out)
        if observer is not None:
            observer.after_op(func, args, out)
        return out

    def _predict(self, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """Output (numel, element size) pairs, or None when only running the op can tell."""
        if func.is_view:
            return []
        if torch.Tag.pointwise in func.tags:
            tensors = _tensors((args, kwargs))
            if tensors:
                shape = torch.broadcast_shapes(*(t.shape for t in tensors))
                return [(shape.numel(), max(t.element_size() for t in tensors))]
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

    @staticmethod
    def _sizes(out: Any) -> list[tuple[int, int]]:
        return [(t.numel(), t.element_size()) for t in _tensors(out)]

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

    def _account(self, args: tuple[Any, ...], out: Any) -> None:
        inputs = {id(t) for t in _tensors(args)}
        for tensor in _tensors(out):
            if id(tensor) in inputs or tensor._base is not None:
                continue  # in-place result or a view: no new memory
            nbytes = tensor.numel() * tensor.element_size()
            if nbytes == 0:
                continue
            with self._lock:
                self.live_bytes += nbytes
            weakref.finalize(tensor, self._release, nbytes)

    def _release(self, nbytes: int) -> None:
        with self._lock:
            self.live_bytes -= nbytes
