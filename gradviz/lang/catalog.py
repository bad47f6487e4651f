"""The whitelist: every torch function, nn module, tensor method and builtin a program may use
(the names in catalog_names.py, made into the namespaces a program imports)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import torch
import torch.nn.functional as functional
import torch.optim
from torch import nn

from gradviz.lang.catalog_names import (
    BARE_MATH,
    DTYPES,
    FUNCTIONAL,
    LINALG,
    NN_MODULES,
    NN_UTILS,
    OPTIMIZERS,
    TORCH_FUNCTIONS,
)
from gradviz.lang.data_loading import DATA_NS, UTILS_NS
from gradviz.lang.distributions import DISTRIBUTIONS_NS
from gradviz.lang.objects import Fn, Namespace
from gradviz.lang.training_tools import INIT_NS, SCHEDULER_NS

TORCH_BLOCKED = {
    "load": "reads files",
    "save": "writes files",
    "hub": "downloads and runs code",
    "from_file": "reads files",
    "from_numpy": "NumPy arrays are not part of gradviz programs",
    "compile": "compiles code",
    "jit": "compiles and runs code",
    "multiprocessing": "starts processes",
    "distributed": "opens network connections",
    "ops": "calls arbitrary operators",
    "library": "registers operators",
    "set_default_dtype": "changes global settings",
    "set_default_device": "changes global settings",
    "set_printoptions": "changes global settings",
}

TENSOR_BLOCKED = {
    "numpy": "converts to NumPy; gradviz programs stay in torch (use .tolist() or print)",
    "storage": "exposes raw memory",
    "untyped_storage": "exposes raw memory",
    "data_ptr": "exposes raw memory",
    "apply_": "runs Python functions",
    "map_": "runs Python functions",
    "share_memory_": "shares memory between processes",
    "pin_memory": "changes memory placement",
}


def _math_namespace() -> Namespace:
    members: dict[str, object] = {"pi": math.pi, "e": math.e, "inf": math.inf, "tau": math.tau}
    for name in [
        "sqrt",
        "exp",
        "log",
        "log2",
        "log10",
        "sin",
        "cos",
        "tan",
        "tanh",
        "atan2",
        "floor",
        "ceil",
        "fabs",
        "isclose",
    ]:
        members[name] = Fn(f"math.{name}", getattr(math, name))
    return Namespace("math", members)


def _functions(prefix: str, module: object, names: Iterable[str]) -> dict[str, object]:
    return {name: Fn(f"{prefix}.{name}", getattr(module, name)) for name in names}


def manual_seed(seed: int) -> None:
    """torch.manual_seed for the generators a program can use: the CPU's, and CUDA's where
    there is CUDA. (torch.manual_seed also queues seeds for XPU and MTIA, capturing a stack
    trace for each: about 140 µs, more than the whole lecture example takes to run.)"""
    torch.default_generator.manual_seed(int(seed))
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(int(seed))


def _device(kind: str | torch.device, index: int | None = None) -> torch.device:
    return torch.device(kind) if index is None else torch.device(str(kind), index)


def _legacy_tensor(*args: Any) -> torch.Tensor:
    """torch.Tensor(...), the legacy constructor older course code uses (Karpathy's
    `torch.Tensor([2.0]).double()`): data becomes a tensor of the default dtype; sizes
    (`torch.Tensor(3, 4)`) make zeros (torch leaves them uninitialised), sized by the guard."""
    if not args:
        return torch.tensor([])
    if all(isinstance(a, int) and not isinstance(a, bool) for a in args):
        return torch.zeros(*args)
    if len(args) == 1 and isinstance(args[0], torch.Tensor):
        return args[0].to(torch.get_default_dtype())
    if len(args) == 1:
        return torch.tensor(args[0], dtype=torch.get_default_dtype())
    raise TypeError("torch.Tensor() takes data (a list) or sizes; prefer torch.tensor(data)")


def _variable(data: torch.Tensor, requires_grad: bool = False) -> torch.Tensor:
    """torch.autograd.Variable(data, requires_grad): since PyTorch 0.4 a tensor (a new leaf
    sharing data's numbers), as torch's own Variable makes it."""
    if not isinstance(data, torch.Tensor):
        raise TypeError(
            f"Variable data has to be a tensor, but got {type(data).__name__}: write "
            "torch.tensor(data, requires_grad=True), which is all Variable is today"
        )
    return torch.autograd.Variable(data, requires_grad=requires_grad)


LEGACY_TYPES = {
    "FloatTensor": torch.float32,
    "DoubleTensor": torch.float64,
    "HalfTensor": torch.float16,
    "LongTensor": torch.int64,
    "IntTensor": torch.int32,
    "ShortTensor": torch.int16,
    "ByteTensor": torch.uint8,
    "BoolTensor": torch.bool,
}


def _legacy_typed(dtype: torch.dtype) -> Any:
    """torch.FloatTensor(...), torch.LongTensor(...), …: torch.Tensor(...) of that dtype."""

    def make(*args: Any) -> torch.Tensor:
        if args and all(isinstance(a, int) and not isinstance(a, bool) for a in args):
            return torch.zeros(*args, dtype=dtype)
        if len(args) == 1 and not isinstance(args[0], torch.Tensor):
            return torch.tensor(args[0], dtype=dtype)
        return _legacy_tensor(*args).to(dtype)

    return make


def _cuda_namespace() -> Namespace:
    members: dict[str, object] = {
        "is_available": Fn("torch.cuda.is_available", torch.cuda.is_available),
        "device_count": Fn("torch.cuda.device_count", torch.cuda.device_count),
    }
    return Namespace("torch.cuda", members)


def _current_accelerator() -> torch.device | None:
    """torch.accelerator.current_accelerator(): the GPU where there is one (the PyTorch
    tutorials' `device = torch.accelerator.current_accelerator().type if ... else "cpu"`)."""
    return torch.accelerator.current_accelerator()


def _accelerator_namespace() -> Namespace:
    members: dict[str, object] = {
        "is_available": Fn("torch.accelerator.is_available", torch.accelerator.is_available),
        "current_accelerator": Fn("torch.accelerator.current_accelerator", _current_accelerator),
        "device_count": Fn("torch.accelerator.device_count", torch.accelerator.device_count),
    }
    return Namespace("torch.accelerator", members)


def _backends_namespace() -> Namespace:
    """What the tutorials ask of torch.backends: `torch.backends.mps.is_available()` (in
    `device = "cuda" if ... else "mps" if ... else "cpu"`); its settings stay out of reach."""
    backends = torch.backends

    def query(name: str, fn: Any) -> Fn:
        return Fn(f"torch.backends.{name}", fn)

    members: dict[str, object] = {
        "mps": Namespace(
            "torch.backends.mps",
            {
                "is_available": query("mps.is_available", backends.mps.is_available),
                "is_built": query("mps.is_built", backends.mps.is_built),
            },
        ),
        "cuda": Namespace(
            "torch.backends.cuda", {"is_built": query("cuda.is_built", backends.cuda.is_built)}
        ),
        "cudnn": Namespace(
            "torch.backends.cudnn",
            {"is_available": query("cudnn.is_available", backends.cudnn.is_available)},
            {
                name: "changes global settings (cuDNN's choice of kernels); leave it out"
                for name in ("benchmark", "deterministic", "enabled")
            },
        ),
    }
    return Namespace("torch.backends", members)


def _autograd_namespace() -> Namespace:
    """torch.autograd.grad (the interpreter hands it to the tracer, as it does backward), and
    Function as a class's base."""
    members: dict[str, object] = {
        "grad": Fn("torch.autograd.grad", torch.autograd.grad),
        "Function": Fn("torch.autograd.Function", _function_base),  # only named as a base
        "functional": _autograd_functional_namespace(),
        # old tutorials' `Variable(torch.ones(2, 2), requires_grad=True)`: a tensor since 0.4
        "Variable": Fn("torch.autograd.Variable", _variable),
    }
    blocked = {
        "backward": "is what `loss.backward()` does: call that",
        "graph": "is what gradviz draws for you: look at the graph",
    }
    return Namespace("torch.autograd", members, blocked)


def _autograd_functional_namespace() -> Namespace:
    """torch.autograd.functional's jacobian, hessian and products, of a function the program
    defines (`jacobian(f, x)`)."""
    names = ["jacobian", "hessian", "vjp", "jvp", "hvp", "vhp"]
    members = _functions("torch.autograd.functional", torch.autograd.functional, names)
    return Namespace("torch.autograd.functional", members)


def _linalg_namespace() -> Namespace:
    return Namespace("torch.linalg", _functions("torch.linalg", torch.linalg, LINALG))


def _optim_namespace() -> Namespace:
    members = _functions("torch.optim", torch.optim, OPTIMIZERS)
    members["lr_scheduler"] = SCHEDULER_NS
    return Namespace("torch.optim", members)


def _functional_namespace() -> Namespace:
    return Namespace("torch.nn.functional", _functions("F", functional, FUNCTIONAL))


def _function_base(*args: Any, **kwargs: Any) -> None:
    raise TypeError(
        "torch.autograd.Function is a base class: write `class P3(torch.autograd.Function):` "
        "with static forward and backward, then call `P3.apply(x)`"
    )


def _module_base(*args: Any, **kwargs: Any) -> None:
    raise TypeError("nn.Module is a base class: write `class Net(nn.Module):` and make a Net")


# nn.utils.rnn.pad_sequence: a batch of sequences of different lengths, padded (NLP courses)
_RNN_UTILS_NS = Namespace(
    "torch.nn.utils.rnn",
    {"pad_sequence": Fn("nn.utils.rnn.pad_sequence", nn.utils.rnn.pad_sequence)},
)
NN_UTILS_NS = Namespace(
    "torch.nn.utils", {**_functions("nn.utils", nn.utils, NN_UTILS), "rnn": _RNN_UTILS_NS}
)


def _nn_namespace(functional_ns: Namespace) -> Namespace:
    members = _functions("nn", nn, NN_MODULES)
    members["Module"] = Fn("nn.Module", _module_base)  # only named as a class's base
    members["Parameter"] = Fn("nn.Parameter", nn.Parameter)
    members["init"] = INIT_NS
    members["utils"] = NN_UTILS_NS
    members["functional"] = functional_ns
    return Namespace("torch.nn", members)


def _torch_namespace(nn_ns: Namespace, optim_ns: Namespace) -> Namespace:
    members = _functions("torch", torch, TORCH_FUNCTIONS)
    members["manual_seed"] = Fn("torch.manual_seed", manual_seed)
    members["device"] = Fn("torch.device", _device)
    members["Tensor"] = Fn("torch.Tensor", _legacy_tensor)
    for name, dtype in LEGACY_TYPES.items():
        members[name] = Fn(f"torch.{name}", _legacy_typed(dtype))
    members["Generator"] = Fn("torch.Generator", torch.Generator)  # generator=g in randn(...)
    members.update({name: getattr(torch, name) for name in DTYPES})
    members["pi"] = math.pi
    members["inf"] = math.inf
    members["nn"] = nn_ns
    members["optim"] = optim_ns
    members["cuda"] = _cuda_namespace()
    members["accelerator"] = _accelerator_namespace()
    members["backends"] = _backends_namespace()
    members["utils"] = UTILS_NS
    members["autograd"] = AUTOGRAD_NS
    members["linalg"] = LINALG_NS
    members["distributions"] = DISTRIBUTIONS_NS
    return Namespace("torch", members, TORCH_BLOCKED)


FUNCTIONAL_NS = _functional_namespace()
NN_NS = _nn_namespace(FUNCTIONAL_NS)
OPTIM_NS = _optim_namespace()
AUTOGRAD_NS = _autograd_namespace()
LINALG_NS = _linalg_namespace()
TORCH_NS = _torch_namespace(NN_NS, OPTIM_NS)
MATH_NS = _math_namespace()
_BACKENDS: Namespace = TORCH_NS.members["backends"]  # type: ignore[assignment]

# What `import X` / `import X as Y` / `from X import Y` may name.
IMPORTABLE: dict[str, Namespace] = {
    "torch": TORCH_NS,
    "torch.nn": NN_NS,
    "torch.nn.functional": FUNCTIONAL_NS,
    "torch.optim": OPTIM_NS,
    "torch.optim.lr_scheduler": SCHEDULER_NS,
    "torch.nn.init": INIT_NS,
    "torch.nn.utils": NN_UTILS_NS,
    "torch.nn.utils.rnn": _RNN_UTILS_NS,
    "torch.cuda": TORCH_NS.members["cuda"],  # type: ignore[dict-item]
    "torch.accelerator": TORCH_NS.members["accelerator"],  # type: ignore[dict-item]
    "torch.backends": _BACKENDS,
    "torch.backends.mps": _BACKENDS.members["mps"],  # type: ignore[dict-item]
    "torch.backends.cuda": _BACKENDS.members["cuda"],  # type: ignore[dict-item]
    "torch.backends.cudnn": _BACKENDS.members["cudnn"],  # type: ignore[dict-item]
    "torch.autograd": AUTOGRAD_NS,
    "torch.linalg": LINALG_NS,
    "torch.autograd.functional": AUTOGRAD_NS.members["functional"],  # type: ignore[dict-item]
    "torch.utils": UTILS_NS,
    "torch.utils.data": DATA_NS,
    "torch.distributions": DISTRIBUTIONS_NS,
    "torch.distributions.kl": DISTRIBUTIONS_NS.members["kl"],  # type: ignore[dict-item]
    "math": MATH_NS,
}


def _as_tensor_fn(name: str, fn: Callable[..., Any]) -> Fn:
    """A bare maths function that also accepts plain numbers (turned into tensors)."""

    def call(value: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = torch.tensor(float(value))
        return fn(value, *args, **kwargs)

    return Fn(name, call)


def _abs(value: Any) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return abs(value)
    return torch.abs(value)


def bare_math() -> dict[str, object]:
    names: dict[str, object] = {}
    for name in BARE_MATH:
        names[name] = _as_tensor_fn(name, getattr(torch, name))
    names["abs"] = Fn("abs", _abs)
    return names


def all_attribute_names() -> set[str]:
    """Every attribute name that is valid on some value (for the static check)."""
    from gradviz.lang.attributes import attribute_names

    names: set[str] = set(attribute_names())
    for ns in IMPORTABLE.values():
        names.update(ns.members)
        names.update(ns.blocked)
    return names
