"""A program's generators (functions with `yield`, as d2l's `data_iter`): their bodies run a
piece at a time, as the loop that reads them asks for the next item — in their own names,
with the reader's names back in place while they wait, as Python runs them."""

from __future__ import annotations

import ast
import contextlib
import weakref
from collections import ChainMap
from collections.abc import Generator, Iterator, MutableMapping
from functools import partial
from typing import TYPE_CHECKING, Any

from gradviz.lang.builtins import bounded_iter
from gradviz.lang.definitions import grad_context
from gradviz.lang.errors import ProgramError
from gradviz.lang.generator_rules import YIELDS
from gradviz.lang.iterators import END, LoopBreak, LoopContinue, ProgramIterator
from gradviz.lang.limits import Limits
from gradviz.lang.user_code import Return, UserFunction

if TYPE_CHECKING:
    from collections.abc import Callable

    from gradviz.lang.guard import AllocationGuard


class Generators:
    """Mixed into the interpreter: calling a function with `yield` makes a generator."""

    env: MutableMapping[str, Any]
    limits: Limits
    line: int | None
    call_depth: int
    guard: AllocationGuard
    generators: weakref.WeakSet[Generator[Any, None, None]]  # made by this run, may be waiting
    yielding: dict[int, bool]  # by statement id: whether it holds a yield

    if TYPE_CHECKING:  # provided by the evaluator and the interpreter

        def eval(self, node: ast.expr) -> Any: ...
        def execute(self, stmt: ast.stmt) -> None: ...
        def step(self, node: ast.AST) -> None: ...
        def located(self, node: ast.AST, action: Callable[[], Any], quote: bool = True) -> Any: ...
        def assign_to(self, target: ast.expr, value: Any, loop: bool = False) -> None: ...
        def grad_managers(self, node: ast.With) -> list[Any]: ...
        def fail(self, node: ast.AST, message: str) -> ProgramError: ...

    def generator(self, function: UserFunction, local: dict[str, Any]) -> ProgramIterator:
        """What calling `function` returns: nothing of its body has run yet."""
        top = self.env.maps[-1] if isinstance(self.env, ChainMap) else self.env
        frame = ChainMap(local, *function.enclosing, top)
        resumed = self._resumed(function, frame)
        self.generators.add(resumed)
        return ProgramIterator(resumed, self.limits.max_loop_iterations, "generator", function.name)

    def close_generators(self) -> None:
        """At the end of a run, in its thread: close the generators still waiting at a yield,
        as Python closes them when the program ends (a `with torch.no_grad():` open at the
        yield ends now, not in whichever thread a later garbage collection runs in)."""
        for resumed in list(self.generators):
            resumed.close()

    def _resumed(
        self, function: UserFunction, frame: MutableMapping[str, Any]
    ) -> Generator[Any, None, None]:
        """The body up to each yield, run in the generator's names (and its decorator's grad
        mode, as torch's decorators apply it to each resumption)."""
        body = self._statements(function.node.body)
        try:
            while True:
                outer, outer_line = self.env, self.line
                self.env = frame
                self.call_depth += 1
                try:
                    with grad_context(function.grad_mode):
                        item = next(body)
                except (StopIteration, Return):
                    return  # the body ended (a `return` ends a generator too)
                finally:
                    self.env, self.line = outer, outer_line
                    self.call_depth -= 1
                yield item
        finally:
            body.close()  # closed while waiting: the with blocks open at its yield end

    def _statements(self, body: list[ast.stmt]) -> Generator[Any, None, None]:
        for stmt in body:
            if not self._yields_within(stmt):
                self.execute(stmt)
                continue
            self.guard.check_cancelled()
            self.step(stmt)
            if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Yield):
                value = stmt.value.value
                yield None if value is None else self.eval(value)
            elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.YieldFrom):
                yield from self._items_of(stmt.value.value)
            elif isinstance(stmt, ast.For):
                yield from self._for_yielding(stmt)
            elif isinstance(stmt, ast.If):
                truth = self.located(stmt.test, partial(bool, self.eval(stmt.test)))
                yield from self._statements(stmt.body if truth else stmt.orelse)
            elif isinstance(stmt, ast.With):
                with contextlib.ExitStack() as stack:
                    for manager in self.grad_managers(stmt):
                        stack.enter_context(manager)
                    yield from self._statements(stmt.body)
            else:  # (the validator lets yield stand only where the cases above reach it)
                raise self.fail(stmt, "yield is not supported here")

    def _items_of(self, node: ast.expr) -> Iterator[Any]:
        iterable = self.eval(node)
        items = self.located(node, lambda: bounded_iter(iterable, self.limits))
        while (item := self.located(node, partial(next, items, END))) is not END:
            yield item

    def _for_yielding(self, node: ast.For) -> Iterator[Any]:
        iterable = self.eval(node.iter)
        items = self.located(node.iter, lambda: bounded_iter(iterable, self.limits))
        while (item := self.located(node.iter, partial(next, items, END))) is not END:
            self.assign_to(node.target, item, loop=True)
            try:
                yield from self._statements(node.body)
            except LoopBreak:
                return
            except LoopContinue:
                continue
        yield from self._statements(node.orelse)

    def _yields_within(self, stmt: ast.stmt) -> bool:
        """Whether running `stmt` may reach a yield (worked out once per statement of the
        program this interpreter runs, which keeps the statements alive)."""
        known = self.yielding.get(id(stmt))
        if known is None:
            known = any(isinstance(node, YIELDS) for node in ast.walk(stmt))
            self.yielding[id(stmt)] = known
        return known
