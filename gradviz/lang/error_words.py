"""The words of an error a program met: torch's or Python's, cut to what says what went wrong."""

from __future__ import annotations

import ast
from collections.abc import Callable

from gradviz.lang.type_of import in_pythons_words


def error_subject(node: ast.AST, source_of: Callable[[ast.AST], str]) -> str | None:
    """The tensor an error is about, as code: `y` of `y.backward()`, `x` of `x += 1`, the
    outputs of `torch.autograd.grad(w * 2, w)`."""
    if isinstance(node, ast.Call) and source_of(node.func).endswith("autograd.grad"):
        if not node.args:
            return None
        target: ast.AST = node.args[0]  # the outputs differentiated
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        target = node.func.value
    elif isinstance(node, ast.AugAssign):
        target = node.target
    else:
        return None
    text = source_of(target)
    return f"`{text}`" if text and len(text) <= 24 else None


def clean_message(exc: BaseException) -> str:
    """The first meaningful line of a (possibly long, C++-flavoured) torch error; a first
    line ending in a colon with the lines it introduces (load_state_dict's missing keys)."""
    text = str(exc).strip() or type(exc).__name__
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    first = lines[0]
    if first.endswith(":") and len(lines) > 1:
        first = " ".join(lines[:4])
    if isinstance(exc, ZeroDivisionError):
        return "division by zero"
    if isinstance(exc, MemoryError):
        return "out of memory"
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    first = first.split("; use sys.set_int_max_str_digits()")[0]  # (no sys in a program)
    if any(words in first for words in _NO_CUDA):
        return f"{NO_CUDA_HINT} (torch: {first[:200]})"
    return in_pythons_words(first[:300])


# torch's words where a program asks for a GPU this machine does not have
_NO_CUDA = ("not compiled with CUDA", "Found no NVIDIA driver", "no CUDA GPUs are available")
NO_CUDA_HINT = (
    "this machine has no CUDA GPU, so nothing can go to 'cuda': choose the device as the "
    "lecture does, `my_device = torch.device('cuda' if torch.cuda.is_available() else "
    "'cpu')`, then `.to(my_device)`"
)


def underscore_refusal(name: str, dotted: bool = False) -> str:
    """Why `_name` is refused, and the name to write instead (nanoGPT's `_init_weights`)."""
    shown = f".{name}" if dotted else name
    plain = name.lstrip("_")
    rename = f"; rename it `{plain}`" if plain.isidentifier() and not name.endswith("__") else ""
    return f"`{shown}`: names starting with an underscore are not allowed{rename}"
