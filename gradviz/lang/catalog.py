"""The whitelist: every torch function, nn module, tensor method and builtin a program may use."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import torch
import torch.nn.functional as functional
import torch.optim
from torch import nn

from gradviz.lang.data_loading import DATA_NS, UTILS_NS
from gradviz.lang.objects import Fn, Namespace
from gradviz.lang.training_tools import INIT_NS, SCHEDULER_NS

# torch.* functions a deep-learning course uses (each is the real torch function).
TORCH_FUNCTIONS = (
    # creation
    "tensor as_tensor zeros ones full empty rand randn randint zeros_like ones_like full_like "
    "empty_like rand_like randn_like randperm arange linspace logspace eye "
    # arithmetic and pointwise maths
    "add sub mul div pow neg abs exp exp2 expm1 log log2 log10 log1p sqrt rsqrt square sin cos tan "
    "asin acos atan atan2 sinh cosh tanh sigmoid relu erf sign floor ceil round trunc frac "
    "reciprocal clamp clip maximum minimum fmod remainder lerp hypot "
    # linear algebra
    "matmul mm mv bmm dot outer einsum addmm baddbmm tril triu diag trace kron cross "
    # reductions
    "sum mean std var prod max min amax amin argmax argmin logsumexp norm cumsum cumprod "
    "median mode all any count_nonzero dist "
    # shapes and views
    "reshape flatten squeeze unsqueeze transpose permute t cat concat stack hstack vstack "
    "split chunk unbind gather index_select masked_select narrow flip roll repeat_interleave "
    "broadcast_to tile movedim where sort argsort topk nonzero "
    # comparisons and masks
    "eq ne gt ge lt le isnan isinf isfinite allclose equal logical_and logical_or logical_not "
    "softmax log_softmax "
    "isclose logical_xor clamp_min clamp_max scatter scatter_add diag_embed cummax cummin "
    "std_mean var_mean searchsorted bucketize unique diff cdist meshgrid "
    # randomness and autograd control
    "bernoulli multinomial normal "
    "manual_seed no_grad enable_grad inference_mode is_tensor numel"
).split()

DTYPES = [
    "float32",
    "float",
    "float64",
    "double",
    "float16",
    "half",
    "bfloat16",
    "int64",
    "long",
    "int32",
    "int",
    "int16",
    "int8",
    "uint8",
    "bool",
]

FUNCTIONAL = [
    "relu",
    "relu6",
    "leaky_relu",
    "elu",
    "selu",
    "celu",
    "gelu",
    "silu",
    "mish",
    "softplus",
    "softsign",
    "hardtanh",
    "hardswish",
    "sigmoid",
    "tanh",
    "softmax",
    "log_softmax",
    "softmin",
    "logsigmoid",
    "mse_loss",
    "l1_loss",
    "smooth_l1_loss",
    "huber_loss",
    "cross_entropy",
    "nll_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "kl_div",
    "cosine_similarity",
    "pairwise_distance",
    "linear",
    "bilinear",
    "conv1d",
    "conv2d",
    "conv_transpose2d",
    "max_pool1d",
    "max_pool2d",
    "avg_pool1d",
    "avg_pool2d",
    "adaptive_avg_pool2d",
    "adaptive_max_pool2d",
    "dropout",
    "layer_norm",
    "batch_norm",
    "group_norm",
    "normalize",
    "embedding",
    "one_hot",
    "pad",
    "scaled_dot_product_attention",
    "interpolate",
    "dropout1d",
    "dropout2d",
    "adaptive_avg_pool1d",
    "prelu",
    "glu",
    "hardsigmoid",
    "margin_ranking_loss",
    "triplet_margin_loss",
    "gaussian_nll_loss",
    "poisson_nll_loss",
]

NN_MODULES = [
    "Linear",
    "Bilinear",
    "Conv1d",
    "Conv2d",
    "ConvTranspose2d",
    "MaxPool1d",
    "MaxPool2d",
    "AvgPool1d",
    "AvgPool2d",
    "AdaptiveAvgPool2d",
    "Flatten",
    "Unflatten",
    "Identity",
    "Sequential",
    "ModuleList",
    "ReLU",
    "ReLU6",
    "LeakyReLU",
    "ELU",
    "SELU",
    "GELU",
    "SiLU",
    "Mish",
    "Softplus",
    "Tanh",
    "Sigmoid",
    "Hardtanh",
    "Softmax",
    "LogSoftmax",
    "Dropout",
    "BatchNorm1d",
    "BatchNorm2d",
    "LayerNorm",
    "GroupNorm",
    "Embedding",
    "MultiheadAttention",
    "TransformerEncoderLayer",
    "TransformerEncoder",
    "RNN",
    "GRU",
    "LSTM",
    "MSELoss",
    "L1Loss",
    "SmoothL1Loss",
    "HuberLoss",
    "CrossEntropyLoss",
    "NLLLoss",
    "BCELoss",
    "BCEWithLogitsLoss",
    "KLDivLoss",
    "CosineSimilarity",
    "RNNCell",
    "GRUCell",
    "LSTMCell",
    "PReLU",
    "Dropout1d",
    "Dropout2d",
    "Upsample",
    "AdaptiveAvgPool1d",
    "AdaptiveMaxPool2d",
    "ConvTranspose1d",
    "Softmin",
    "LogSigmoid",
    "Hardswish",
    "Hardsigmoid",
    "Softsign",
    "InstanceNorm1d",
    "InstanceNorm2d",
    "ZeroPad2d",
    "TransformerDecoderLayer",
    "TransformerDecoder",
    "Transformer",
    "MarginRankingLoss",
    "TripletMarginLoss",
    "PoissonNLLLoss",
    "GaussianNLLLoss",
]

# torch.nn.utils: what a training loop uses (gradient clipping, flattening the parameters)
NN_UTILS = ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector", "vector_to_parameters"]

# torch.optim's optimizers (LBFGS's step takes a closure: a function the program defines).
OPTIMIZERS = [
    "SGD",
    "Adam",
    "AdamW",
    "Adamax",
    "Adagrad",
    "Adadelta",
    "RMSprop",
    "NAdam",
    "RAdam",
    "ASGD",
    "Rprop",
    "LBFGS",
]

# The lecture writes f(x, y) = xy + exp(xy): these maths functions may be used without `torch.`.
BARE_MATH = ["exp", "log", "sin", "cos", "tan", "tanh", "sigmoid", "relu", "sqrt", "abs"]

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
    "set_grad_enabled": "changes global settings; use `with torch.no_grad():`",
    "backends": "changes global settings",
}

TENSOR_BLOCKED = {
    "numpy": "converts to NumPy; gradviz programs stay in torch (use .tolist() or print)",
    "storage": "exposes raw memory",
    "untyped_storage": "exposes raw memory",
    "data_ptr": "exposes raw memory",
    "register_hook": "takes a function, and programs cannot define functions",
    "apply_": "runs Python functions",
    "map_": "runs Python functions",
    "grad_fn": "is what gradviz draws for you: look at the graph",
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


def _cuda_namespace() -> Namespace:
    members: dict[str, object] = {
        "is_available": Fn("torch.cuda.is_available", torch.cuda.is_available),
        "device_count": Fn("torch.cuda.device_count", torch.cuda.device_count),
    }
    return Namespace("torch.cuda", members)


def _autograd_namespace() -> Namespace:
    """torch.autograd.grad alone (the interpreter hands it to the tracer, as it does backward)."""
    members = {"grad": Fn("torch.autograd.grad", torch.autograd.grad)}
    blocked = {
        "Function": "defines backward code in Python, which gradviz programs cannot",
        "backward": "is what `loss.backward()` does: call that",
        "graph": "is what gradviz draws for you: look at the graph",
        "functional": "is not part of gradviz programs; use torch.autograd.grad",
    }
    return Namespace("torch.autograd", members, blocked)


def _optim_namespace() -> Namespace:
    members = _functions("torch.optim", torch.optim, OPTIMIZERS)
    members["lr_scheduler"] = SCHEDULER_NS
    return Namespace("torch.optim", members)


def _functional_namespace() -> Namespace:
    return Namespace("torch.nn.functional", _functions("F", functional, FUNCTIONAL))


def _module_base(*args: Any, **kwargs: Any) -> None:
    raise TypeError("nn.Module is a base class: write `class Net(nn.Module):` and make a Net")


NN_UTILS_NS = Namespace("torch.nn.utils", _functions("nn.utils", nn.utils, NN_UTILS))


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
    members.update({name: getattr(torch, name) for name in DTYPES})
    members["pi"] = math.pi
    members["inf"] = math.inf
    members["nn"] = nn_ns
    members["optim"] = optim_ns
    members["cuda"] = _cuda_namespace()
    members["utils"] = UTILS_NS
    members["autograd"] = AUTOGRAD_NS
    return Namespace("torch", members, TORCH_BLOCKED)


FUNCTIONAL_NS = _functional_namespace()
NN_NS = _nn_namespace(FUNCTIONAL_NS)
OPTIM_NS = _optim_namespace()
AUTOGRAD_NS = _autograd_namespace()
TORCH_NS = _torch_namespace(NN_NS, OPTIM_NS)
MATH_NS = _math_namespace()

# What `import X` / `import X as Y` / `from X import Y` may name.
IMPORTABLE: dict[str, Namespace] = {
    "torch": TORCH_NS,
    "torch.nn": NN_NS,
    "torch.nn.functional": FUNCTIONAL_NS,
    "torch.optim": OPTIM_NS,
    "torch.optim.lr_scheduler": SCHEDULER_NS,
    "torch.nn.init": INIT_NS,
    "torch.nn.utils": NN_UTILS_NS,
    "torch.cuda": TORCH_NS.members["cuda"],  # type: ignore[dict-item]
    "torch.autograd": AUTOGRAD_NS,
    "torch.utils": UTILS_NS,
    "torch.utils.data": DATA_NS,
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
