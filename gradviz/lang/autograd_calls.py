"""The program's calls into autograd, `tensor.backward()` and `torch.autograd.grad`, which the
observer (the tracer) performs so that it sees the pass."""

from __future__ import annotations

import ast
import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import torch

from gradviz.lang.errors import ProgramError
from gradviz.lang.guard import AllocationGuard
from gradviz.lang.run_result import RunObserver

BACKWARD_PARAMETERS = ("gradient", "retain_graph", "create_graph", "inputs")
GRAD_PARAMETERS = (
    "outputs", "inputs", "grad_outputs", "retain_graph", "create_graph", "allow_unused",
    "is_grads_batched", "materialize_grads",
)  # fmt: skip


class AutogradCalls:
    """Mixed into the interpreter: `.backward()` and `torch.autograd.grad(...)`."""

    observer: RunObserver | None
    guard: AllocationGuard
    backward_tensor: torch.Tensor | None

    if TYPE_CHECKING:  # provided by the evaluator

        def fail(self, node: ast.AST, message: str) -> ProgramError: ...
        def located(self, node: ast.AST, action: Callable[[], Any], quote: bool = True) -> Any: ...

    def _backward(
        self, node: ast.Call, tensor: torch.Tensor, args: list[Any], kwargs: dict[str, Any]
    ) -> None:
        options = self._options(node, "backward", BACKWARD_PARAMETERS, args, kwargs)
        self.backward_tensor = tensor
        observer = self.observer

        def run() -> None:
            with self._backward_guard(options):
                if observer is not None:
                    observer.backward(tensor, options)
                else:
                    tensor.backward(**options)

        self.located(node, run)

    def _grad(self, node: ast.Call, args: list[Any], kwargs: dict[str, Any]) -> Any:
        options = self._options(node, "grad", GRAD_PARAMETERS, args, kwargs)
        outputs, inputs = options.pop("outputs", None), options.pop("inputs", None)
        if outputs is None or inputs is None:
            raise self.fail(node, "torch.autograd.grad(outputs, inputs) needs both")
        if options.get("is_grads_batched"):
            raise self.fail(node, "is_grads_batched is not supported; call grad once per row")
        observer = self.observer
        if isinstance(outputs, torch.Tensor):
            self.backward_tensor = outputs

        def run() -> Any:
            with self._backward_guard(options):
                if observer is not None and isinstance(outputs, torch.Tensor):
                    grads = observer.grad(outputs, inputs, options)
                else:
                    grads = torch.autograd.grad(outputs, inputs, **options)
            if not options.get("create_graph"):  # made unchecked: count them from now on
                self.guard.adopt([g for g in grads if isinstance(g, torch.Tensor)])
                self.guard.check([])  # a program keeping every gradient it asks for
            return grads

        return self.located(node, run)

    def _backward_guard(self, options: dict[str, Any]) -> contextlib.AbstractContextManager[Any]:
        """A backward pass allocates no more than its forward did: unchecked, unrecorded. One
        with create_graph builds a graph of its own: its ops are sized and recorded like the
        program's (the tracer shows their values when that graph is differentiated)."""
        if options.get("create_graph"):
            return contextlib.nullcontext()
        return self.guard.suspended()

    def _options(
        self,
        node: ast.Call,
        what: str,
        names: tuple[str, ...],
        args: list[Any],
        kwargs: dict[str, Any],
    ) -> dict[str, Any]:
        if len(args) > len(names):
            raise self.fail(node, f"{what}() takes at most {len(names)} arguments")
        options = dict(zip(names, args, strict=False))
        for key, value in kwargs.items():
            if key not in names:
                raise self.fail(node, f"{what}() got an unexpected keyword argument '{key}'")
            if key in options:
                raise self.fail(node, f"{what}() got multiple values for argument '{key}'")
            options[key] = value
        return options
