"""Attribute access on values: tensors, modules, optimizers, lists — only what is listed here."""

from __future__ import annotations

import difflib
import operator
from collections.abc import Callable
from typing import Any

import torch
from torch import nn
from torch.autograd.graph import Node
from torch.distributions import Distribution
from torch.utils.data import DataLoader, Subset, TensorDataset
from torch.utils.hooks import RemovableHandle

from gradviz.lang.callbacks import Callback
from gradviz.lang.catalog import LEGACY_TYPES, TENSOR_BLOCKED
from gradviz.lang.container_methods import DICT_METHODS, LIST_METHODS, SET_METHODS
from gradviz.lang.custom_functions import (
    CTX_METHODS,
    CTX_PROPERTIES,
    ProgramFunction,
    ctx_attribute,
    function_attribute,
    is_ctx,
)
from gradviz.lang.distributions import METHODS as DISTRIBUTION_METHODS
from gradviz.lang.distributions import PROPERTIES as DISTRIBUTION_PROPERTIES
from gradviz.lang.distributions import distribution_attribute
from gradviz.lang.formatting import safe_format
from gradviz.lang.iterators import ProgramIterator
from gradviz.lang.method_locals import never_set
from gradviz.lang.module_fields import MODULE_PARTS, MODULE_SETTINGS, module_field
from gradviz.lang.objects import BoundMethod, Fn, Namespace, ProgramDict, check_dict_key
from gradviz.lang.result_pairs import is_result_pair, pair_hint
from gradviz.lang.strings import STR_METHODS
from gradviz.lang.training_tools import (
    MODULE_CALLS,
    OPTIMIZER_METHODS,
    SCHEDULER_METHODS,
    SCHEDULER_TYPES,
    check_param_group_write,
)
from gradviz.lang.type_of import ClassOf
from gradviz.lang.user_code import (
    MISSING,
    ProgramObject,
    UserClass,
    UserFunction,
    UserModule,
)

TENSOR_METHODS = (
    # reductions
    "sum mean std var prod max min amax amin argmax argmin logsumexp norm cumsum all any "
    "median count_nonzero trace cumprod "
    # pointwise
    "exp exp2 expm1 log log2 log10 log1p sqrt rsqrt square abs neg sin cos tan tanh sinh cosh "
    "asin acos atan sigmoid relu sign "
    "floor ceil round trunc reciprocal pow clamp clip softmax log_softmax erf lerp "
    "add sub mul div matmul mm mv bmm dot outer inverse det logdet slogdet pinverse svd "
    "eq ne gt ge lt le isnan isinf isfinite logical_not logical_and logical_or logical_xor "
    "masked_fill masked_select where maximum minimum fmod remainder atan2 "
    "isclose allclose clamp_min clamp_max scatter scatter_add unique diff cummax multinomial "
    "bernoulli masked_fill_ scatter_ relu_ sigmoid_ tanh_ exp_ pow_ sqrt_ abs_ neg_ "
    # shapes and views
    "view view_as reshape reshape_as flatten squeeze unsqueeze transpose permute t expand "
    "expand_as repeat contiguous chunk split unbind gather index_select narrow flip roll "
    "sort argsort topk nonzero tril triu diag diagonal "
    # conversion and autograd
    "item tolist detach clone backward retain_grad requires_grad_ zero_ fill_ normal_ uniform_ "
    "add_ sub_ mul_ div_ clamp_ copy_ to cpu cuda float double half long int bool type_as "
    "size dim numel element_size nelement new_zeros new_ones new_full new_tensor "
    # Adam's moments by hand, layouts and the rest
    "addcmul addcmul_ addcdiv addcdiv_ lerp_ logaddexp xlogy logit nan_to_num nansum nanmean "
    "hypot frac square_ log_ tril_ triu_ fill_diagonal_ aminmax take_along_dim inner movedim "
    "swapaxes select ravel is_contiguous stride equal"
).split()

TENSOR_PROPERTIES: dict[str, Callable[[torch.Tensor], Any]] = {
    "T": lambda t: t.T,
    "mT": lambda t: t.mT,
    "shape": lambda t: t.shape,
    "dtype": lambda t: t.dtype,
    "device": lambda t: t.device,
    "ndim": lambda t: t.ndim,
    "grad": lambda t: t.grad,
    "data": lambda t: t.data,
    "requires_grad": lambda t: t.requires_grad,
    "is_leaf": lambda t: t.is_leaf,
    "grad_fn": lambda t: t.grad_fn,  # printed, or walked by next_functions (as torchviz does)
    "real": lambda t: t.real,
}

MODULE_DATA = [
    "weight",
    "bias",
    "in_features",
    "out_features",
    "in_channels",
    "out_channels",
    "kernel_size",
    "stride",
    "padding",
    "running_mean",
    "running_var",
    "normalized_shape",
    "num_embeddings",
    "embedding_dim",
    "p",
    "training",
    # recurrent layers and cells
    "weight_ih",
    "weight_hh",
    "bias_ih",
    "bias_hh",
    "weight_ih_l0",
    "weight_hh_l0",
    "bias_ih_l0",
    "bias_hh_l0",
    "input_size",
    "hidden_size",
    "num_layers",
]

MODULE_METHODS: dict[str, Callable[..., Any]] = {
    "parameters": lambda m, recurse=True: list(m.parameters(recurse)),
    "named_parameters": lambda m: list(m.named_parameters()),
    "children": lambda m: list(m.children()),
    "to": nn.Module.to,
    "cpu": nn.Module.cpu,
    "cuda": nn.Module.cuda,
    "float": nn.Module.float,
    "double": nn.Module.double,
    "train": nn.Module.train,
    "eval": nn.Module.eval,
    "zero_grad": nn.Module.zero_grad,
    "requires_grad_": nn.Module.requires_grad_,
    "forward": lambda m, *args, **kwargs: m(*args, **kwargs),
    "append": lambda m, module: m.append(module),
    "keys": lambda m: list(m.keys()),  # nn.ModuleDict and nn.ParameterDict
    "values": lambda m: list(m.values()),
    "items": lambda m: list(m.items()),
    "register_buffer": lambda m, *args, **kwargs: m.register_user_buffer(*args, **kwargs),
    **MODULE_CALLS,
}

# A layer made from tensors the program has: `nn.Embedding.from_pretrained(vectors)`
CLASS_CONSTRUCTORS: dict[tuple[str, str], Callable[..., Any]] = {
    ("nn.Embedding", "from_pretrained"): nn.Embedding.from_pretrained,
}

OPTIMIZER_DATA = ("param_groups",)  # read, and its settings written (check_param_group_write)

# what a training loop reads of its data: `len(loader.dataset)` (PyTorch's Optimization
# tutorial), the batch size, a TensorDataset's tensors, a random_split part's indices
DATA_FIELDS: dict[type, tuple[str, ...]] = {
    DataLoader: ("dataset", "batch_size", "drop_last"),
    TensorDataset: ("tensors",),
    Subset: ("dataset", "indices"),
    # torch.finfo(torch.float32).eps, the smallest step a float takes (numerical stability)
    torch.finfo: ("eps", "max", "min", "tiny", "smallest_normal", "bits", "resolution", "dtype"),
    torch.iinfo: ("max", "min", "bits", "dtype"),
}

# torch.max(x, dim).values and friends; torch.linalg's results (svd(A).S, eigh(A).eigenvalues)
RETURN_FIELDS = (
    "values", "indices", "min", "max", "U", "S", "Vh", "Q", "R", "eigenvalues", "eigenvectors",
    "sign", "logabsdet", "solution", "residuals", "rank", "singular_values",
)  # fmt: skip
DEVICE_FIELDS = ("type", "index")
SIZE_METHODS: dict[str, Callable[..., Any]] = {"numel": torch.Size.numel}
STR_NAMES = ("format", *STR_METHODS)


def _register_hook(tensor: torch.Tensor, hook: Any) -> Any:
    """`x.register_hook(show)`: a function of the program, called with x's gradient during
    backward (what it returns, if not None, replaces the gradient)."""
    if not isinstance(hook, Callback):
        raise TypeError(
            "register_hook() takes a function the program defines: `def show(grad): "
            "print(grad)`, then `x.register_hook(show)`"
        )
    return tensor.register_hook(hook)


# An autograd node (`z.grad_fn`) and a hook's handle: what the PyTorch tutorials use of them
NODE_ATTRIBUTES: dict[str, Callable[[Any], Any]] = {
    "next_functions": lambda node: node.next_functions,
}
NODE_METHODS: dict[str, Callable[..., Any]] = {"name": lambda node: node.name()}
HANDLE_METHODS: dict[str, Callable[..., Any]] = {"remove": lambda handle: handle.remove()}
GENERATOR_METHODS: dict[str, Callable[..., Any]] = {
    "manual_seed": lambda g, seed: g.manual_seed(int(seed)),
    "initial_seed": lambda g: g.initial_seed(),
}


def _tensor_type(tensor: torch.Tensor, dtype: Any = None) -> Any:
    """`x.type()`: the type's name ('torch.FloatTensor'); `x.type(torch.int64)`: converted."""
    if dtype is None:
        return tensor.type()
    if isinstance(dtype, Fn) and dtype.qualname.removeprefix("torch.") in LEGACY_TYPES:
        dtype = LEGACY_TYPES[dtype.qualname.removeprefix("torch.")]  # x.type(torch.FloatTensor)
    if not isinstance(dtype, torch.dtype):
        raise TypeError(f"`.type()` takes a dtype such as torch.float32, not {dtype!r}")
    return tensor.to(dtype)


_TENSOR_IMPLS: dict[str, Callable[..., Any]] = {
    **{name: getattr(torch.Tensor, name) for name in TENSOR_METHODS},
    "type": _tensor_type,
    "register_hook": _register_hook,
}


def attribute_names() -> set[str]:
    """All attribute names any value may have (the static checker's vocabulary)."""
    names = set(TENSOR_METHODS) | set(TENSOR_PROPERTIES) | set(MODULE_DATA)
    names |= set(MODULE_METHODS) | set(OPTIMIZER_METHODS) | set(LIST_METHODS) | set(SET_METHODS)
    names |= {field for fields in DATA_FIELDS.values() for field in fields}
    names |= set(OPTIMIZER_DATA) | set(SCHEDULER_METHODS) | set(DICT_METHODS)
    names |= set(RETURN_FIELDS) | set(DEVICE_FIELDS) | set(SIZE_METHODS) | set(STR_NAMES)
    names |= set(TENSOR_BLOCKED) | set(CTX_METHODS) | set(CTX_PROPERTIES) | {"apply"}
    names |= set(NODE_ATTRIBUTES) | set(NODE_METHODS) | set(HANDLE_METHODS) | set(_TENSOR_IMPLS)
    names |= set(GENERATOR_METHODS) | set(MODULE_PARTS) | set(MODULE_SETTINGS)
    names |= set(DISTRIBUTION_METHODS) | set(DISTRIBUTION_PROPERTIES)
    names |= {name for _, name in CLASS_CONSTRUCTORS}
    return names


def _suggest(name: str, options: list[str]) -> str:
    close = difflib.get_close_matches(name, options, n=1)
    return f" (did you mean `{close[0]}`?)" if close else ""


def _tensor_attribute(value: torch.Tensor, name: str) -> object:
    if name in TENSOR_PROPERTIES:
        return TENSOR_PROPERTIES[name](value)
    if name in _TENSOR_IMPLS:
        return BoundMethod(f"Tensor.{name}", _TENSOR_IMPLS[name], value)
    if name in TENSOR_BLOCKED:
        raise AttributeError(f"`.{name}` is not allowed: it {TENSOR_BLOCKED[name]}")
    options = [*TENSOR_PROPERTIES, *_TENSOR_IMPLS]
    raise AttributeError(f"tensors have no attribute `.{name}` in gradviz{_suggest(name, options)}")


_LISTS = (nn.Sequential, nn.ModuleList, nn.ParameterList)
_DICTS = (nn.ModuleDict, nn.ParameterDict)


def _module_attribute(value: nn.Module, name: str) -> object:
    kind = type(value).__name__
    if name in MODULE_METHODS:
        if name == "append" and not isinstance(value, _LISTS):
            raise AttributeError(f"{kind} has no method `.append`")
        if name in ("keys", "values", "items") and not isinstance(value, _DICTS):
            raise AttributeError(f"{kind} has no method `.{name}`")
        if name == "register_buffer" and not isinstance(value, UserModule):
            raise AttributeError(
                f"`.register_buffer` is for a module class of the program (in its __init__), "
                f"not {kind}"
            )
        return BoundMethod(f"{kind}.{name}", MODULE_METHODS[name], value)
    if name in MODULE_DATA:
        getter = operator.attrgetter(name)
        try:
            return getter(value)
        except AttributeError:
            raise AttributeError(f"{kind} has no attribute `.{name}`") from None
    found, field = module_field(value, name)
    if found:
        return field
    raise AttributeError(
        f"`.{name}` is not available on {kind}{_suggest(name, [*MODULE_METHODS, *MODULE_DATA])}"
    )


def _namespace_attribute(value: Namespace, name: str) -> object:
    if name in value.members:
        return value.members[name]
    if name in value.blocked:
        raise AttributeError(f"`{value.path}.{name}` is not allowed: it {value.blocked[name]}")
    hint = _suggest(name, list(value.members))
    raise AttributeError(f"`{value.path}.{name}` is not available in gradviz programs{hint}")


def get_attribute(value: object, name: str) -> object:
    """Resolve `value.name` against the whitelists; AttributeError with a clear message if not."""
    if name.startswith("_"):
        raise AttributeError("names starting with an underscore are not allowed")
    if isinstance(value, torch.Tensor):
        return _tensor_attribute(value, name)
    if isinstance(value, Namespace):
        return _namespace_attribute(value, name)
    if isinstance(value, ProgramFunction):
        return function_attribute(value, name)
    if is_ctx(value):
        return ctx_attribute(value, name)
    if isinstance(value, UserClass):
        if name in value.cls.class_values:
            return value.cls.class_values[name]
        raise AttributeError(
            f"`{value.name}.{name}`: use it on a {value.name} you made, e.g. "
            f"`model = {value.name}(...)` then `model.{name}`"
        )
    if isinstance(value, UserModule):
        found = value.user_attribute(name)
        if found is not MISSING:
            return found
        local = value.method_local(name)
        if local is not None:  # `weight = nn.Parameter(…)` in __init__, `self.weight` later
            raise AttributeError(never_set(name, local))
    if isinstance(value, ProgramObject):
        found = value.user_attribute(name)
        if found is MISSING:
            raise AttributeError(f"'{type(value).__name__}' object has no attribute '{name}'")
        return found
    if isinstance(value, nn.Module):
        return _module_attribute(value, name)
    if isinstance(value, Distribution):
        return distribution_attribute(value, name)
    if isinstance(value, torch.optim.Optimizer) and name in OPTIMIZER_METHODS:
        return BoundMethod(f"{type(value).__name__}.{name}", OPTIMIZER_METHODS[name], value)
    if isinstance(value, torch.optim.Optimizer) and name in OPTIMIZER_DATA:
        return operator.attrgetter(name)(value)
    if isinstance(value, SCHEDULER_TYPES) and name in SCHEDULER_METHODS:
        return BoundMethod(f"{type(value).__name__}.{name}", SCHEDULER_METHODS[name], value)
    if isinstance(value, dict) and name in DICT_METHODS:
        return BoundMethod(f"dict.{name}", DICT_METHODS[name], value)
    if isinstance(value, list) and name in LIST_METHODS:
        return BoundMethod(f"list.{name}", LIST_METHODS[name], value)
    if isinstance(value, set) and name in SET_METHODS:
        return BoundMethod(f"set.{name}", SET_METHODS[name], value)
    if isinstance(value, str) and name == "format":
        return BoundMethod("str.format", safe_format, value)
    if isinstance(value, str) and name in STR_METHODS:
        return BoundMethod(f"str.{name}", STR_METHODS[name], value)
    if isinstance(value, torch.Size) and name in SIZE_METHODS:
        return BoundMethod(f"Size.{name}", SIZE_METHODS[name], value)
    if isinstance(value, torch.device) and name in DEVICE_FIELDS:
        return operator.attrgetter(name)(value)
    if name in DATA_FIELDS.get(type(value), ()):
        return operator.attrgetter(name)(value)
    if type(value).__module__ == "torch.return_types" and name in RETURN_FIELDS:
        return operator.attrgetter(name)(value)
    if isinstance(value, Node) and name in NODE_ATTRIBUTES:
        return NODE_ATTRIBUTES[name](value)
    if isinstance(value, Node) and name in NODE_METHODS:
        return BoundMethod(f"Node.{name}", NODE_METHODS[name], value)
    if isinstance(value, torch.Generator) and name in GENERATOR_METHODS:
        return BoundMethod(f"Generator.{name}", GENERATOR_METHODS[name], value)
    if isinstance(value, RemovableHandle) and name in HANDLE_METHODS:
        return BoundMethod(f"RemovableHandle.{name}", HANDLE_METHODS[name], value)
    if isinstance(value, Fn) and (value.qualname, name) in CLASS_CONSTRUCTORS:
        return Fn(f"{value.qualname}.{name}", CLASS_CONSTRUCTORS[(value.qualname, name)])
    if isinstance(value, ClassOf):  # `type(x).load`: a class is only compared, or named
        raise AttributeError(
            f"the class {value!r} has no attribute `.{name}` in gradviz (a class from type() "
            "is compared, `type(x) == nn.Linear`, or named, `type(x).__name__`)"
        )
    raise AttributeError(_no_attribute(value, name))


def _no_attribute(value: object, name: str) -> str:
    """Why `value.name` fails, in the program's words (not gradviz's own class names)."""
    called = None  # a function or method: its result may have the attribute
    if isinstance(value, Fn):
        what = called = f"`{value.qualname}`"
    elif isinstance(value, BoundMethod):
        what = f"the method `.{value.qualname.rsplit('.', 1)[-1]}`"
        called = f"`x.{value.qualname.rsplit('.', 1)[-1]}`"
    elif isinstance(value, UserFunction):
        what = called = f"`{value.name}`"
    elif isinstance(value, ProgramIterator):
        what = "a generator or iterator"
    else:
        what = f"{type(value).__name__} value"
    said = f"{what} has no attribute `.{name}` in gradviz"
    if is_result_pair(value):
        said = pair_hint(value)
    if type(value) in (int, float) and (name in TENSOR_PROPERTIES or name in _TENSOR_IMPLS):
        said = f"{what} has no attribute `.{name}`: it is a plain Python number, not a tensor"
    if called is not None:
        said += f": call it first, {called[:-1]}(...).{name}`"
    return said


def set_item(owner: Any, index: Any, value: Any) -> None:
    """`owner[index] = value`: tensors, lists, the program's dicts, and the settings of an
    optimizer's param group."""
    if isinstance(owner, ProgramDict):
        check_dict_key(index)
    elif isinstance(owner, dict):  # torch's: an optimizer's param group
        check_param_group_write(owner, index, value)
    elif not isinstance(owner, (torch.Tensor, list)):
        raise TypeError(f"a {type(owner).__name__} value does not support item assignment")
    owner[index] = value
