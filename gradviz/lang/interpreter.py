"""Running a validated program with torch: statements, scalar inputs, prints, backward calls."""

from __future__ import annotations

import ast
import contextlib
import threading
import weakref
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import torch
from torch import nn

from gradviz.devices import checked_device
from gradviz.lang.assignments import Assignments
from gradviz.lang.autograd_calls import AutogradCalls
from gradviz.lang.builtins import bounded_iter, make_builtins, weak_printer
from gradviz.lang.callbacks import as_callbacks, hands_over_functions
from gradviz.lang.catalog import (
    FUNCTIONAL_NS,
    IMPORTABLE,
    MATH_NS,
    NN_NS,
    TORCH_NS,
    bare_math,
    manual_seed,
)
from gradviz.lang.custom_functions import FunctionApply
from gradviz.lang.default_device import placed_kwargs
from gradviz.lang.definitions import Definitions
from gradviz.lang.divergence import Divergence
from gradviz.lang.engine_queue import drained_on_error
from gradviz.lang.errors import ProgramError
from gradviz.lang.generators import Generators
from gradviz.lang.guard import AllocationGuard, OpObserver
from gradviz.lang.iterators import END, LoopBreak, LoopContinue
from gradviz.lang.limits import DEFAULT_LIMITS, Limits
from gradviz.lang.loss_inputs import is_checked_loss, loss_input_remark
from gradviz.lang.module_sizes import build_layer, layer_sizes
from gradviz.lang.objects import BoundMethod, Fn
from gradviz.lang.parser import Program
from gradviz.lang.program_hints import ProgramHints
from gradviz.lang.program_warnings import WarningLog, collected
from gradviz.lang.run_result import RunObserver, RunResult
from gradviz.lang.silent_slips import SilentSlips
from gradviz.lang.sizes import data_numel
from gradviz.lang.stale_gradients import CLIPPING, StaleGradients
from gradviz.lang.user_code import DEFINED, ProgramObject
from gradviz.lang.value_budget import CONTAINERS, spend_on, spend_on_numbers, value_budget
from gradviz.random_stream import global_random_stream

# Calls that turn a program's nested lists into a tensor (in C++, out of the guard's sight).
DATA_TO_TENSOR = {"torch.tensor", "torch.as_tensor", "torch.Tensor"}

PRELUDE: dict[str, object] = {"torch": TORCH_NS, "nn": NN_NS, "F": FUNCTIONAL_NS, "math": MATH_NS}
_UNCALLED = (BoundMethod, Fn, *DEFINED)  # an expression statement of these is a missing call
_GRAD_MODES = {"torch.no_grad", "torch.enable_grad", "torch.inference_mode"}
_NO_GRAD_TYPES = (torch.no_grad, torch.enable_grad, torch.inference_mode, torch.set_grad_enabled)


class Interpreter(ProgramHints, Definitions, Generators, AutogradCalls, Assignments):
    """Executes a Program's statements with real torch, under an allocation guard."""

    def __init__(
        self,
        program: Program,
        *,
        device: str = "cpu",
        limits: Limits = DEFAULT_LIMITS,
        overrides: dict[str, float] | None = None,
        cancel: threading.Event | None = None,
        on_print: Callable[[str], None] | None = None,
        observer: RunObserver | None = None,
        op_observer: OpObserver | None = None,
        bindings: dict[str, object] | None = None,
    ) -> None:
        super().__init__(program.lines, limits)
        self.bindings = dict(bindings or {})  # names given to the program (a surface's x, y)
        self.program = program
        self.device = device
        self.overrides = dict(overrides or {})
        self.on_print = on_print
        self.observer = observer
        self.guard = AllocationGuard(limits, cancel, op_observer)
        this = weakref.ref(self)  # held weakly by what the interpreter keeps: no reference cycle
        self.warnings = WarningLog(lambda: getattr(this(), "line", None))  # with the line
        self.printed: list[str] = []
        self._printed_chars = 0
        self._inputs = program.input_statements()
        self._nested = []  # the functions each running call defined (Definitions)
        self.generators = weakref.WeakSet()  # (Generators)
        self.yielding = {}  # (Generators)
        self.output: torch.Tensor | None = None
        self.output_name: str | None = None
        self.output_line: int | None = None  # the line that made the output
        self.backward_tensor: torch.Tensor | None = None
        self.retaining: weakref.WeakSet[torch.Tensor] = weakref.WeakSet()
        self.stale = StaleGradients()  # (AutogradCalls: a .grad that a step left unzeroed)
        self.divergence = Divergence()  # (AutogradCalls: a loss that turned inf or NaN)
        self.slips = SilentSlips(program.tree)  # (ProgramHints: `total += loss`, eval mode)
        printer = weak_printer(this)
        self._builtins: dict[str, object] = {**bare_math(), **make_builtins(limits, printer)}

    # -- entry point ----------------------------------------------------------------------------
    def run(self) -> RunResult:
        unknown = set(self.overrides) - set(self.program.input_names())
        if unknown:
            names = ", ".join(self.program.input_names()) or "none"
            raise ProgramError(
                f"no scalar input named {sorted(unknown)[0]!r} (inputs: {names}); "
                "inputs are top-level lines like `x = 2.0`"
            )
        self.env.update(PRELUDE)
        self.env.update(self.bindings)
        with drained_on_error(), collected(self.warnings), self._context():
            try:
                for stmt in self.program.tree.body:
                    self.execute(stmt)
            finally:
                self.close_generators()
            rng_state = torch.get_rng_state()
            cuda = torch.device(self.device)
            cuda_rng = torch.cuda.get_rng_state(cuda) if cuda.type == "cuda" else None
        output = self.backward_tensor if self.backward_tensor is not None else self.output
        top_level = self.env  # every function call has returned: the program's own names
        assert isinstance(top_level, dict)
        return RunResult(
            env=top_level,
            output=output,
            output_name=self.output_name,
            backward_called=self.backward_tensor is not None,
            printed=self.printed,
            inputs=self.program.inputs,
            device=self.device,
            modules={k: v for k, v in self.env.items() if isinstance(v, nn.Module)},
            rng_state=rng_state,
            cuda_rng_state=cuda_rng,
        )

    @contextlib.contextmanager
    def _context(self) -> Iterator[None]:
        device = checked_device(self.device)
        cuda_devices = [device.index or 0] if device.type == "cuda" else []
        # torch.device as a context manager imports torch._dynamo (over a second) on first use;
        # on the CPU it is not needed, since factories default to the CPU anyway.
        placement = device if device.type != "cpu" else contextlib.nullcontext()
        with (
            global_random_stream(cuda_devices),
            placement,
            self.guard,
            value_budget(self.limits.max_value_bytes),
            torch.enable_grad(),
        ):
            manual_seed(0)
            yield

    def builtin(self, name: str) -> Any:
        return self._builtins.get(name)

    def builtin_names(self) -> list[str]:
        return list(self._builtins)

    def quietly(self, action: Callable[[], Any], node: ast.AST) -> Any:
        """Run without recording ops (printing a tensor runs torch ops that are not the program)."""
        previous = self.guard.observing
        self.guard.observing = False
        try:
            return self.located(node, action)
        finally:
            self.guard.observing = previous

    # -- statements -----------------------------------------------------------------------------
    def execute(self, stmt: ast.stmt) -> None:
        self.guard.check_cancelled()  # a loop of prints or plain numbers runs no torch op
        self.step(stmt)
        handler = _STATEMENTS.get(type(stmt))
        if handler is None:
            raise self.fail(stmt, f"`{type(stmt).__name__}` is not supported")
        handler(self, stmt)

    def execute_block(self, body: list[ast.stmt]) -> None:
        for stmt in body:
            self.execute(stmt)

    def _expr_stmt(self, node: ast.Expr) -> None:
        value = self.eval(node.value)
        if isinstance(value, torch.Tensor):
            self.output, self.output_name, self.output_line = value, None, self.line
        elif isinstance(value, (BoundMethod, Fn, *DEFINED)) and not isinstance(
            node.value, ast.Call
        ):
            code = self.source_of(node.value)  # `loss.backward`: Python runs nothing either
            self.warnings.remark(f"`{code}` does nothing without its call: write `{code}()`")

    def bind(self, name: str, value: Any, loop: bool = False) -> None:
        self.env[name] = value
        top_level = self.call_depth == 0
        if self.observer is not None and (top_level or isinstance(value, torch.Tensor)):
            self.observer.bound(name, value, weak=loop)  # a function's local tensors too
        if top_level and isinstance(value, torch.Tensor):
            self.output, self.output_name, self.output_line = value, name, self.line

    def _assign(self, node: ast.Assign) -> None:
        spec = self._inputs.get(id(node))
        if spec is not None:
            name, literal = spec
            value: Any = torch.tensor(float(self.overrides.get(name, literal)), requires_grad=True)
        else:
            value = self.eval(node.value)
        for target in node.targets:
            self.assign_to(target, value)

    def _import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.asname:
                self.bind(alias.asname, IMPORTABLE[alias.name])
            else:
                top = alias.name.split(".")[0]
                self.bind(top, IMPORTABLE[top])

    def _import_from(self, node: ast.ImportFrom) -> None:
        namespace = IMPORTABLE[node.module or ""]
        for alias in node.names:
            self.bind(alias.asname or alias.name, namespace.members[alias.name])

    def _if(self, node: ast.If) -> None:
        test = self.eval(node.test)
        truth = self.located(node.test, lambda: bool(test))
        self.execute_block(node.body if truth else node.orelse)

    def _for(self, node: ast.For) -> None:
        iterable = self.eval(node.iter)
        items = self.located(node.iter, lambda: bounded_iter(iterable, self.limits))
        while (item := self.located(node.iter, partial(next, items, END))) is not END:
            self.assign_to(node.target, item, loop=True)
            try:
                self.execute_block(node.body)
            except LoopBreak:
                return
            except LoopContinue:
                continue
        self.execute_block(node.orelse)

    def _assert(self, node: ast.Assert) -> None:
        test = self.eval(node.test)
        if self.located(node.test, lambda: bool(test)):
            return
        if node.msg is None:
            raise self.fail(node, f"AssertionError: `{self.source_of(node.test)}` is false")
        message = self.eval(node.msg)
        raise self.fail(node, f"AssertionError: {self.quietly(lambda: str(message), node.msg)}")

    def _break(self, node: ast.Break) -> None:
        raise LoopBreak()

    def _continue(self, node: ast.Continue) -> None:
        raise LoopContinue()

    def _with(self, node: ast.With) -> None:
        with contextlib.ExitStack() as stack:
            for manager in self.grad_managers(node):
                stack.enter_context(manager)
            self.execute_block(node.body)

    def grad_managers(self, node: ast.With) -> list[Any]:
        """The with statement's context managers, each a grad mode's."""
        managers = []
        for item in node.items:
            manager = self.eval(item.context_expr)
            if not isinstance(manager, _NO_GRAD_TYPES):
                code = self.source_of(item.context_expr)
                uncalled = isinstance(manager, Fn) and manager.qualname in _GRAD_MODES
                raise self.fail(
                    item.context_expr,
                    f"`{code}` needs its call: `with {code}():`"
                    if uncalled
                    else "only `with torch.no_grad():` (or enable_grad, inference_mode, "
                    "set_grad_enabled) is allowed",
                )
            managers.append(manager)
        return managers

    # -- calls with special meaning -------------------------------------------------------------
    def invoke(self, node: ast.Call, callee: Any, args: list[Any], kwargs: dict[str, Any]) -> Any:
        result = self._invoke(node, callee, args, kwargs)
        if isinstance(result, CONTAINERS) and isinstance(callee, (Fn, BoundMethod)):
            owner = callee.owner if isinstance(callee, BoundMethod) else None
            if callee.qualname == "Tensor.tolist" and isinstance(owner, torch.Tensor):
                numbers = owner.numel()  # a float object for each, in nested lists
                self.located(node, partial(spend_on_numbers, result, numbers))
            else:  # str(x), list(...), sorted(...), text.upper(), ...
                self.located(node, partial(spend_on, result))
        return result

    def _invoke(self, node: ast.Call, callee: Any, args: list[Any], kwargs: dict[str, Any]) -> Any:
        if isinstance(callee, BoundMethod) and callee.qualname == "Tensor.backward":
            owner = callee.owner
            assert isinstance(owner, torch.Tensor)
            return self._backward(node, owner, args, kwargs)
        if isinstance(callee, BoundMethod) and callee.qualname == "Tensor.retain_grad":
            if isinstance(callee.owner, torch.Tensor):
                self.retaining.add(callee.owner)  # (its .grad is counted after each backward)
        if isinstance(callee, Fn) and callee.qualname == "torch.autograd.grad":
            return self._grad(node, args, kwargs)
        if isinstance(callee, Fn) and callee.qualname in ("print", "str", "repr"):
            return self.quietly(lambda: callee.impl(*args, **kwargs), node)
        if isinstance(callee, BoundMethod) and callee.qualname == "str.format":
            return self.quietly(lambda: callee(*args, **kwargs), node)
        if isinstance(callee, DEFINED):
            return self.located(node, lambda: self.call_defined(callee, args, kwargs))
        if isinstance(callee, ProgramObject):  # an instance of a plain class: its __call__
            return self.located(node, lambda: callee(*args, **kwargs))
        if isinstance(callee, FunctionApply):  # a program's autograd.Function
            result = self.located(node, lambda: callee(*args, **kwargs))
            self.guard.made_by_program(result)
            return result
        if hands_over_functions(args, kwargs):  # model.apply(init), LambdaLR(opt, f), ...
            args, kwargs = as_callbacks(self, args, kwargs)
        if isinstance(callee, Fn):
            kwargs = placed_kwargs(callee.qualname, args, kwargs)
        if isinstance(callee, Fn) and callee.qualname in DATA_TO_TENSOR and args:
            self.located(node, partial(self.check_data, args[0]))
        if isinstance(callee, Fn) and (sizes := layer_sizes(callee.impl, args, kwargs)):
            construct = partial(super().invoke, node, callee, args, kwargs)
            return self.located(node, partial(build_layer, self.guard, sizes, construct))
        if isinstance(callee, Fn) and callee.qualname in CLIPPING:
            return self.stale.clipping(partial(super().invoke, node, callee, args, kwargs))
        if is_checked_loss(callee) and (said := loss_input_remark(callee, args, kwargs)):
            self.warnings.remark(said)  # (softmax's output to cross_entropy: still runs)
        return super().invoke(node, callee, args, kwargs)

    def check_data(self, data: object) -> None:
        """Refuse nested lists too big for a tensor before torch walks and allocates them
        (torch.tensor(data), and a tensor indexed with lists, make their tensor unguarded)."""
        if isinstance(data, (list, tuple)):
            limit = self.limits.max_tensor_elements
            numel = data_numel(data, limit)
            if numel > limit:
                raise ProgramError(
                    f"these nested lists hold more than {limit:,} numbers, the most one "
                    "tensor may have"
                )
            self.guard.check([(numel, 8)])

    def _print(self, *args: Any, sep: str = " ", end: str = "\n") -> None:
        text = sep.join(str(arg) for arg in args) + end
        remaining = self.limits.max_output_chars - self._printed_chars
        if remaining <= 0:
            return
        if len(text) > remaining:
            text = text[:remaining] + "\n[output truncated]\n"
        self._printed_chars += len(text)
        self.printed.append(text)
        if self.on_print is not None:
            self.on_print(text)


# By statement type, as plain functions (a table of bound methods would keep the interpreter,
# and all the run made, in a reference cycle until a garbage collection).
_STATEMENTS: dict[type[ast.stmt], Callable[[Interpreter, Any], None]] = {
    ast.Expr: Interpreter._expr_stmt,
    ast.Assign: Interpreter._assign,
    ast.AugAssign: Interpreter._augassign,
    ast.Import: Interpreter._import,
    ast.ImportFrom: Interpreter._import_from,
    ast.If: Interpreter._if,
    ast.For: Interpreter._for,
    ast.With: Interpreter._with,
    ast.Assert: Interpreter._assert,
    ast.Break: Interpreter._break,
    ast.Continue: Interpreter._continue,
    ast.Pass: lambda interpreter, node: None,
    ast.FunctionDef: Interpreter._def,
    ast.ClassDef: Interpreter._class,
    ast.Return: Interpreter._return,
}


def run_program(
    program: Program,
    *,
    device: str = "cpu",
    limits: Limits = DEFAULT_LIMITS,
    overrides: dict[str, float] | None = None,
    cancel: threading.Event | None = None,
    on_print: Callable[[str], None] | None = None,
) -> RunResult:
    """Run a parsed program with plain torch (no tracing)."""
    return Interpreter(
        program,
        device=device,
        limits=limits,
        overrides=overrides,
        cancel=cancel,
        on_print=on_print,
    ).run()
