"""The safe PyTorch-subset language: parse with `ast`, check against whitelists, run with torch."""

from gradviz.lang.errors import ProgramError
from gradviz.lang.interpreter import Interpreter, RunObserver, RunResult, run_program
from gradviz.lang.limits import DEFAULT_LIMITS, Limits
from gradviz.lang.parser import Program, ScalarInput, parse

__all__ = [
    "DEFAULT_LIMITS",
    "Interpreter",
    "Limits",
    "Program",
    "ProgramError",
    "RunObserver",
    "RunResult",
    "ScalarInput",
    "parse",
    "run_program",
]
