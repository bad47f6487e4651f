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
        try:
            result = self._run(x, y)
        except ProgramError as error:
            if x.numel() > 1 and self._works_at_one_point(x, y):
                raise ProgramError(
                    "f(x, y) works at one point, but the lab computes it at many points at once "
                    "(x and y are tensors of points), so write it element by element: "
                    "torch.maximum(a, b) for max(a, b), torch.clamp(a, max=1.0) for "
                    "min(a, 1.0), torch.where(x > 0, x, y) for `x if x > 0 else y`",
                    error.line,
                    error.col,
                ) from None
            raise
        if result is None:
            raise ProgramError(
                "f(x, y) gives no tensor: its last line must be an expression in x and y, "
                "such as `x**2 + 3*y**2`"
            )
        # (views, in C++: torch.broadcast_shapes imports sympy on first use, half a second)
        shape = torch.broadcast_tensors(x, y)[0].shape
        if result.shape != shape:
            try:
                result = result.expand(shape)
            except RuntimeError:
                size = "×".join(str(s) for s in result.shape)
                raise ProgramError(
                    f"f(x, y) must give one number per point, not a tensor of {size}"
                ) from None
        return result

    def _run(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor | None:
        interpreter = Interpreter(self.program, device=str(x.device), bindings={"x": x, "y": y})
        return interpreter.run().output

    def _works_at_one_point(self, x: torch.Tensor, y: torch.Tensor) -> bool:
        x, y = torch.broadcast_tensors(x, y)
        try:
            self._run(x.reshape(-1)[:1], y.reshape(-1)[:1])
        except ProgramError:
            return False
        return True


def _check_point_by_point(fn: TypedFunction, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """f at the points x, y together, once it is known to equal f at each point alone (the
    lab evaluates many points at once: a `sum` or `mean` over x would mix them)."""
    together = fn(x, y)
    alone = torch.stack([fn(x[i : i + 1], y[i : i + 1]).reshape(()) for i in range(len(x))])
    if not torch.allclose(together, alone, rtol=1e-5, atol=1e-6, equal_nan=True):
        raise ProgramError(
            "f(x, y) must be computed point by point: x and y hold many points at once, so a "
            "sum, mean or other reduction over them mixes the points (write x**2, not sum(x**2))"
        )
    return together


def typed_surface(
    source: str, domain: tuple[float, float, float, float] = (-3.0, 3.0, -3.0, 3.0)
) -> Surface:
    """A Surface from user text such as `(1 - x)**2 + 100*(y - x**2)**2`."""
    fn = TypedFunction(source)
    probe_x = torch.linspace(domain[0], domain[1], 3)
    probe_y = torch.linspace(domain[2], domain[3], 3)
    value = _check_point_by_point(fn, probe_x, probe_y)  # fail now, not mid-run
    if not value.is_floating_point():
        raise ProgramError("f(x, y) must be a floating-point value")
    start = (domain[0] + 0.8 * (domain[1] - domain[0]), domain[2] + 0.8 * (domain[3] - domain[2]))
    return Surface("function", "f(x, y)", fn, domain, (), start, False, source.strip())
