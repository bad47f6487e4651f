"""The interpreter's `def`, `class` and `return`, and calls of what they define."""

from __future__ import annotations

import ast
import contextlib
import sys
from collections import ChainMap
from collections.abc import Callable, MutableMapping
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

import torch

from gradviz.lang.custom_functions import define_autograd_function
from gradviz.lang.definition_rules import is_autograd_function, is_plain_class
from gradviz.lang.generator_rules import is_generator
from gradviz.lang.guard import AllocationGuard
from gradviz.lang.limits import Limits
from gradviz.lang.run_result import RunObserver
from gradviz.lang.user_code import (
    BoundUserMethod,
    NestedRef,
    ProgramObject,
    Return,
    UserClass,
    UserFunction,
    UserModule,
    define_class,
    grad_mode,
    is_super_init,
)

_GRAD_CONTEXTS: dict[str, Callable[[], AbstractContextManager[Any]]] = {
    "no_grad": torch.no_grad,
    "enable_grad": torch.enable_grad,
    "inference_mode": torch.inference_mode,
}


def grad_context(mode: str | None) -> AbstractContextManager[Any]:
    """What a `@torch.no_grad()`-decorated function's body runs under."""
    return _GRAD_CONTEXTS[mode]() if mode is not None else contextlib.nullcontext()


class Definitions:
    """Mixed into the interpreter: the statements that define functions and modules, and the
    frames their calls run in (a function's names first, then the program's top level)."""

    env: MutableMapping[str, Any]
    limits: Limits
    observer: RunObserver | None
    line: int | None
    call_depth: int = 0  # calls of defined functions running now
    _nested: list[list[UserFunction]]  # per running call: the functions it defined
    guard: AllocationGuard  # the interpreter's

    if TYPE_CHECKING:  # provided by the evaluator and the interpreter

        def eval(self, node: ast.expr) -> Any: ...
        def execute_block(self, body: list[ast.stmt]) -> None: ...
        def bind(self, name: str, value: Any, loop: bool = False) -> None: ...
        def generator(self, function: UserFunction, local: dict[str, Any]) -> Any: ...

    def _def(self, node: ast.FunctionDef) -> None:
        function = self._function(node.name, node)
        if not function.enclosing:
            self.bind(node.name, function)
            return
        self._nested[-1].append(function)  # alive while the call that defines it runs
        self.bind(node.name, NestedRef(function))

    def _class(self, node: ast.ClassDef) -> None:
        """The class body in order, as Python runs it: its assignments are class attributes
        (later lines of the body see the earlier ones; methods see them on `self`)."""
        methods: dict[str, UserFunction] = {}
        values: dict[str, Any] = {}
        outer = self.env
        self.env = ChainMap(values, outer)  # the class body's own scope
        try:
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    methods[item.name] = self._function(f"{node.name}.{item.name}", item)
                elif isinstance(item, ast.Assign):
                    value = self.eval(item.value)
                    for target in item.targets:
                        assert isinstance(target, ast.Name)  # checked by definition_rules
                        values[target.id] = value
        finally:
            self.env = outer
        if is_autograd_function(node):
            self.bind(node.name, define_autograd_function(node.name, methods, self, values))
        else:
            plain = is_plain_class(node)
            self.bind(node.name, define_class(node.name, methods, self, values, plain))

    def _function(self, name: str, node: ast.FunctionDef) -> UserFunction:
        """A function (or method) with its defaults evaluated now, as Python does at `def`."""
        arguments = node.args
        defaults = tuple(self.eval(d) for d in arguments.defaults)
        keyword_defaults = {
            a.arg: self.eval(d)
            for a, d in zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True)
            if d is not None
        }
        env = self.env
        nested = self.call_depth > 0 and isinstance(env, ChainMap)
        enclosing = tuple(env.maps[:-1]) if nested else ()  # type: ignore[attr-defined]
        return UserFunction(
            name, node, defaults, grad_mode(node), keyword_defaults, enclosing, is_generator(node)
        )

    def _return(self, node: ast.Return) -> None:
        raise Return(self.eval(node.value) if node.value is not None else None)

    def call_defined(
        self, callee: UserFunction | BoundUserMethod | UserClass, args: list[Any], kwargs: Any
    ) -> Any:
        """Call a function, a module's method or a module class the program defined."""
        if isinstance(callee, UserClass):
            return callee.cls(*args, **kwargs)
        if isinstance(callee, BoundUserMethod):
            return self.call_function(callee.function, [callee.owner, *args], kwargs)
        return self.call_function(callee, args, kwargs)

    def call_back(
        self, callee: UserFunction | BoundUserMethod, args: list[Any], kwargs: Any
    ) -> Any:
        """A call from torch (a Callback): checked by the allocation guard even where torch
        calls it inside a backward pass, which runs unchecked (a gradient hook)."""
        with self.guard.resumed():
            return self.call_defined(callee, args, kwargs)

    def call_function(self, function: UserFunction, args: list[Any], kwargs: dict[str, Any]) -> Any:
        """Run a defined function's body with its arguments as local names."""
        depth = self.limits.max_call_depth
        if self.call_depth >= depth:
            raise ValueError(  # reported at the call that went too deep
                f"{function.name}() was called {depth} calls deep (does it call itself "
                "without end?); stopped"
            )
        local = function.bind(args, kwargs)
        if function.generator:
            return self.generator(function, local)  # its body runs as its items are read
        observer = self.observer if function.name.endswith(".__call__") else None
        if observer is not None:  # (the tracer boxes the ops of a layer object's call)
            observer.calling(args[0] if args and isinstance(args[0], ProgramObject) else None)
        outer_env, outer_line = self.env, self.line
        top = outer_env.maps[-1] if isinstance(outer_env, ChainMap) else outer_env
        self.env = ChainMap(local, *function.enclosing, top)
        self.call_depth += 1
        self._nested.append([])
        body = function.node.body
        ready_at = None  # a module's __init__: from which statement nn.Module's has run
        if function.name.endswith(".__init__"):  # nn.Module's (object's) __init__ has run
            first = next((k for k, stmt in enumerate(body) if is_super_init(stmt)), len(body))
            ready_at = len([stmt for stmt in body[:first] if not is_super_init(stmt)])
            body = [stmt for stmt in body if not is_super_init(stmt)]
        me = args[0] if ready_at is not None and args else None
        try:
            with grad_context(function.grad_mode):
                if isinstance(me, UserModule):  # layers set before super().__init__() fail
                    me.ready_for_layers(False)  # in PyTorch: here too
                    self.execute_block(body[:ready_at])
                    me.ready_for_layers(True)
                    self.execute_block(body[ready_at:])
                else:
                    self.execute_block(body)
        except Return as done:
            return done.value
        finally:
            self.env, self.line = outer_env, outer_line
            self.call_depth -= 1
            _keep_if_escaped(self._nested.pop(), local)
            if observer is not None:
                observer.called()
        return None


def _keep_if_escaped(nested: list[UserFunction], local: dict[str, Any]) -> None:
    """At the end of a call: if a function it defined lives on (returned, or handed to torch),
    its frame holds all of them strongly from now on (one may call another by name); else
    they go with the frame, no cycle left."""
    # a reference other than the list's and getrefcount's own: held elsewhere
    if any(sys.getrefcount(nested[i]) > 2 for i in range(len(nested))):
        for name, value in local.items():
            if isinstance(value, NestedRef) and value() is not None:
                local[name] = value()
