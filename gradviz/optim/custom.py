"""A surface f(x, y) typed by the user in the gradviz language (same safety rules and errors)."""

from __future__ import annotations

import torch

from gradviz.lang.errors import ProgramError
from gradviz.lang.interpreter import Interpreter
from gradviz.lang.parser import Program, parse
from gradviz.optim.surfaces import Surface


class TypedFunction:
    """Evaluates the program with `x` and `y` bound to tensors; its last tensor is f(x, y)."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.program: Program = parse(source)
        reserved = {i.name for i in self.program.inputs} & {"x", "y"}
        if reserved:
            name = sorted(reserved)[0]
            raise ProgramError(f"`{name}` is the surface's variable; do not assign it", 1, 1)

    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        interpreter = Interpreter(self.program, device=str(x.device), bindings={"x": x, "y": y})
        result = interpreter.run().output
        if result is None:
            raise ProgramError("the function gives no value: write an expression in x and y")
        # (views, in C++: torch.broadcast_shapes imports sympy on first use, half a second)
        shape = torch.broadcast_tensors(x, y)[0].shape
        if result.shape != shape:
            result = result.expand(shape)
        return result


def typed_surface(
    source: str, domain: tuple[float, float, float, float] = (-3.0, 3.0, -3.0, 3.0)
) -> Surface:
    """A Surface from user text such as `(1 - x)**2 + 100*(y - x**2)**2`."""
    fn = TypedFunction(source)
    probe_x = torch.linspace(domain[0], domain[1], 3)
    probe_y = torch.linspace(domain[2], domain[3], 3)
    value = fn(probe_x, probe_y)  # fail now, with the program's own error, not mid-run
    if not value.is_floating_point():
        raise ProgramError("f(x, y) must be a floating-point value")
    start = (domain[0] + 0.8 * (domain[1] - domain[0]), domain[2] + 0.8 * (domain[3] - domain[2]))
    return Surface("function", "f(x, y)", fn, domain, (), start, False, source.strip())
