"""The program's calls into autograd, `tensor.backward()` and `torch.autograd.grad`, which the
observer (the tracer) performs so that it sees the pass."""

from __future__ import annotations

import ast
import contextlib
import functools
import inspect
import weakref
from collections.abc import Callable, MutableMapping
from typing import TYPE_CHECKING, Any, NamedTuple

import torch

from gradviz.lang import backward_seed
from gradviz.lang.divergence import Divergence
from gradviz.lang.errors import ProgramError
from gradviz.lang.graph_cuts import graph_cut
from gradviz.lang.guard import AllocationGuard
from gradviz.lang.inplace_hint import inplace_hint
from gradviz.lang.parser import Program
from gradviz.lang.program_warnings import WarningLog
from gradviz.lang.rebinding import rebindings
from gradviz.lang.run_result import RunObserver
from gradviz.lang.stale_gradients import StaleGradients, leaf_name, stale_remark, summed_remark


@functools.cache
def _signature(what: str) -> inspect.Signature:
    """torch's own parameters of `backward` (without self) and of `torch.autograd.grad`, so a
    program's arguments bind as they do in PyTorch (positions included)."""
    if what == "grad":
        return inspect.signature(torch.autograd.grad)
    signature = inspect.signature(torch.Tensor.backward)
    return signature.replace(parameters=list(signature.parameters.values())[1:])


class Said(NamedTuple):
    """An autograd error in the program's words, and the other lines it is about."""

    message: str
    related: list[tuple[int | None, str]]


class AutogradCalls:
    """Mixed into the interpreter: `.backward()` and `torch.autograd.grad(...)`."""

    observer: RunObserver | None
    guard: AllocationGuard
    backward_tensor: torch.Tensor | None
    retaining: weakref.WeakSet[torch.Tensor]  # the tensors the program called retain_grad() on
    stale: StaleGradients
    divergence: Divergence
    warnings: WarningLog
    env: MutableMapping[str, Any]
    program: Program
    lines: list[str]

    if TYPE_CHECKING:  # provided by the evaluator

        def fail(self, node: ast.AST, message: str) -> ProgramError: ...
        def located(self, node: ast.AST, action: Callable[[], Any], quote: bool = True) -> Any: ...

    def data_view(self, tensor: torch.Tensor, view: torch.Tensor) -> None:
        """`tensor.data` was read: a write through it is a write into tensor (the evaluator
        calls this; `w.grad.data.zero_()` zeroes w.grad)."""
        self.stale.data_view(tensor, view)

    def _backward(
        self, node: ast.Call, tensor: torch.Tensor, args: list[Any], kwargs: dict[str, Any]
    ) -> None:
        options = self._options(node, "backward", args, kwargs)
        self.backward_tensor = tensor
        observer = self.observer

        def run() -> None:
            reached = _leaves(tensor)  # (before: a pass frees its graph)
            stale = self.stale.before(reached)
            if stale is not None:
                self.warnings.remark(stale_remark(leaf_name(stale, self.env)))
            elif summed := self.stale.summed(reached):
                order = {name: i for i, name in enumerate(self.env)}  # (as the program made them)
                names = sorted(
                    (leaf_name(leaf, self.env) for leaf in summed),
                    key=lambda name: order.get(name.split(".")[0], len(order)),
                )
                output = _subject(node)
                self.warnings.remark(summed_remark(names, self.stale.line, output))
            if (diverged := self.divergence.before(tensor, self.guard.read_number)) is not None:
                self.warnings.remark(diverged)
            try:
                with self._backward_guard(options):
                    if observer is not None:
                        observer.backward(tensor, options)
                    else:
                        backward_seed.backward(tensor, **options)
            except RuntimeError as exc:
                said = self.said_with_names(str(exc), node)
                if said is None:
                    raise
                # (located places it; not cut short)
                raise ProgramError(said.message).with_related(said.related) from None
            self.stale.after(reached, node.lineno)
            if not options.get("create_graph"):  # .grad made unchecked: count them from now on
                grads = [t.grad for t in [*reached, *self.retaining] if t.grad is not None]
                self.guard.adopt(grads)
                self.guard.check([])  # a program keeping every gradient it is given

        self.located(node, run)

    def _grad(self, node: ast.Call, args: list[Any], kwargs: dict[str, Any]) -> Any:
        options = self._options(node, "grad", args, kwargs)
        outputs, inputs = options.pop("outputs", None), options.pop("inputs", None)
        if outputs is None or inputs is None:
            raise self.fail(node, "torch.autograd.grad(outputs, inputs) needs both")
        if options.get("is_grads_batched"):
            raise self.fail(node, "is_grads_batched is not supported; call grad once per row")
        observer = self.observer
        if isinstance(outputs, torch.Tensor):
            self.backward_tensor = outputs

        def run() -> Any:
            try:
                with self._backward_guard(options):
                    if observer is not None and isinstance(outputs, torch.Tensor):
                        grads = observer.grad(outputs, inputs, options)
                    else:
                        grads = torch.autograd.grad(outputs, inputs, **options)
            except RuntimeError as exc:
                said = self.said_with_names(str(exc))  # (the in-place error, said as for backward)
                if said is None:
                    raise
                raise ProgramError(said.message).with_related(said.related) from None
            if not options.get("create_graph"):  # made unchecked: count them from now on
                self.guard.adopt([g for g in grads if isinstance(g, torch.Tensor)])
                self.guard.check([])  # a program keeping every gradient it asks for
            return grads

        return self.located(node, run)

    def said_with_names(self, message: str, node: ast.Call | None = None) -> Said | None:
        """autograd's errors said with the program's names: the in-place one with the tensor
        and the line that changed it (marked too); "does not require grad" after
        `w = w - lr * w.grad` under no_grad with that line."""
        write = inplace_hint(message, self.env, self.program.tree, self.lines)
        if write is not None:
            if write.line is None:
                return Said(write.text, [])
            what = f"`{write.name}`" if write.name else "a tensor"
            why = f"{what} changed in place here, after autograd saved it for backward"
            return Said(write.text, [(write.line, why)])
        if "does not require grad" in message:
            said = self._rebound_without_grad(message)
            if said is not None:
                return Said(said, [])
            return self._cut_off(message, node)
        return None

    def _cut_off(self, message: str, node: ast.Call | None) -> Said | None:
        """`loss.backward()` where the program cut `loss` off from the graph (`.detach()`,
        `.item()`, no_grad...): that line, said and marked."""
        if node is None or not isinstance(node.func, ast.Attribute):
            return None
        subject = node.func.value
        if not isinstance(subject, ast.Name):
            return None
        cut = graph_cut(self.program.tree, self.lines, subject.id, node.lineno, self.env)
        if cut is None:
            return None
        text = f"{cut.text(subject.id)} (torch: {message.splitlines()[0]})"
        return Said(text, [(cut.line, f"this cut `{subject.id}` off from the graph")])

    def _rebound_without_grad(self, message: str) -> str | None:
        for step in rebindings(self.program.tree, self.lines):
            now = self.env.get(step.name)
            if step.under_no_grad and isinstance(now, torch.Tensor) and not now.requires_grad:
                return (
                    f"nothing here requires grad because line {step.line} (`{step.code}`) made "
                    f"`{step.name}` a new tensor, and one made inside `with torch.no_grad():` "
                    f"does not require grad. Update it in place, `{step.in_place()}`, so that "
                    f"`{step.name}` stays the leaf (torch: {message.splitlines()[0]})"
                )
        return None

    def _backward_guard(self, options: dict[str, Any]) -> contextlib.AbstractContextManager[Any]:
        """A backward pass allocates no more than its forward did: unchecked, unrecorded. One
        with create_graph builds a graph of its own: its ops are sized and recorded like the
        program's (the tracer shows their values when that graph is differentiated)."""
        if options.get("create_graph"):
            return contextlib.nullcontext()
        return self.guard.suspended()

    def _options(
        self, node: ast.Call, what: str, args: list[Any], kwargs: dict[str, Any]
    ) -> dict[str, Any]:
        """The call's arguments by torch's parameter names (Python's message where they do
        not fit)."""
        try:
            bound = _signature(what).bind_partial(*args, **kwargs)
        except TypeError as exc:
            raise self.fail(node, f"{what}(): {exc}") from None
        return dict(bound.arguments)


def _subject(node: ast.Call) -> str:
    """The name `backward()` is called on (`loss` in `loss.backward()`), else "output"."""
    func = node.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        return func.value.id
    return "output"


def _leaves(tensor: torch.Tensor) -> list[torch.Tensor]:
    """The leaf tensors a backward pass from `tensor` reaches (their AccumulateGrad nodes')."""
    found: list[torch.Tensor] = []
    seen: set[Any] = set()
    stack = [tensor.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        variable = getattr(node, "variable", None)
        if isinstance(variable, torch.Tensor):
            found.append(variable)
        else:
            stack.extend(child for child, _ in node.next_functions)
    return found
