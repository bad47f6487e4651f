"""The few Python builtins a program may call, each bounded (range, len, print, zip, ...)."""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader

from gradviz.lang.data_loading import ITERABLE
from gradviz.lang.iterators import Exhausted, ProgramIterator
from gradviz.lang.limits import Limits
from gradviz.lang.objects import Fn, ProgramDict, check_dict_key, plain_set
from gradviz.lang.type_of import type_of
from gradviz.lang.user_code import ProgramObject, UserClass


class LoaderEnumerate:
    """enumerate(loader): its (i, batch) pairs made one at a time, as a loop reaches them."""

    def __init__(self, loader: DataLoader[Any], start: int) -> None:
        self.loader, self.start = loader, start

    def __len__(self) -> int:
        return len(self.loader)

    def __iter__(self) -> Iterator[tuple[int, Any]]:
        return enumerate(self.loader, self.start)


# what Python calls iter()'s result, by what it iterates
_ITERATOR_KINDS = {
    list: "list_iterator", tuple: "tuple_iterator", range: "range_iterator",
    str: "str_ascii_iterator", dict: "dict_keyiterator",
    DataLoader: "torch.utils.data.dataloader._SingleProcessDataLoaderIter",
}  # fmt: skip

# what a loop may go through whole, by its length (a DataLoader: its batches; a ModuleList: its
# layers)
SIZED = (
    list,
    tuple,
    str,
    dict,
    set,
    torch.Size,
    nn.ModuleList,
    nn.ModuleDict,
    nn.ParameterList,
    nn.ParameterDict,
    nn.Sequential,
    LoaderEnumerate,
    *ITERABLE,
)


def bounded_list(value: Any, limits: Limits, what: str = "this loop") -> list[Any]:
    """Materialise an iterable the language allows, refusing anything too long."""
    if isinstance(value, ProgramIterator):
        return list(value)  # (it stops itself past the loop limit)
    if isinstance(value, range):
        length = len(value)
    elif isinstance(value, torch.Tensor):
        if value.dim() == 0:
            raise TypeError("cannot iterate over a 0-d tensor")
        length = value.shape[0]
    elif isinstance(value, SIZED):
        length = len(value)
    elif isinstance(value, ProgramObject) and value.defines("__getitem__"):
        length = len(value)  # a Dataset class of the program: item 0 to len - 1
        if length > limits.max_loop_iterations:
            raise ValueError(f"{what} would run {length:,} times")
        return [value[i] for i in range(length)]
    else:
        raise TypeError(f"cannot iterate over a {type(value).__name__} value")
    if length > limits.max_loop_iterations:
        done = f"would spread {length:,} items" if what == "*" else f"would run {length:,} times"
        raise ValueError(f"{what} {done}; the limit is {limits.max_loop_iterations:,}")
    return list(value)


def bounded_iter(value: Any, limits: Limits, what: str = "this loop") -> Iterator[Any]:
    """What a `for` loop goes through: as bounded_list, but a DataLoader's batches are made as
    the loop reaches each, as in Python (a Dataset drawing random numbers in __getitem__ draws
    them between the loop body's own draws, not all before it)."""
    if isinstance(value, ProgramIterator):
        return value  # one item at a time: a generator's body runs as the loop reaches it
    if isinstance(value, (DataLoader, LoaderEnumerate)):
        length = len(value)
        if length > limits.max_loop_iterations:
            raise ValueError(
                f"{what} would run {length:,} times; the limit is {limits.max_loop_iterations:,}"
            )
        return iter(value)
    return iter(bounded_list(value, limits, what))


def _one_number_each(name: str, values: tuple[Any, ...]) -> None:
    """Python's max(a, b) of tensors compares them as one True or False each: said, with
    torch's elementwise and reducing forms, where a tensor holds several numbers."""
    if len(values) > 1 and any(isinstance(v, torch.Tensor) and v.numel() > 1 for v in values):
        which = "maximum" if name == "max" else "minimum"
        raise ValueError(
            f"Python's {name}() compares whole values, and a tensor of several numbers is no "
            f"one number: `torch.{which}(a, b)` takes the {which} element by element, and "
            f"`x.{name}()` the {which} of one tensor"
        )


def make_builtins(limits: Limits, print_fn: Callable[..., None]) -> dict[str, Fn]:
    """Builtins by name; `print_fn` sends text to the program's output channel."""

    def listify(value: Iterable[Any] = ()) -> list[Any]:
        return bounded_list(value, limits, "list()")

    def tuplify(value: Iterable[Any] = ()) -> tuple[Any, ...]:
        return tuple(bounded_list(value, limits, "tuple()"))

    def enumerate_(value: Any, start: int = 0) -> list[tuple[int, Any]] | Iterable[Any]:
        if isinstance(value, DataLoader):  # lazy, for `for i, batch in enumerate(loader)`
            return LoaderEnumerate(value, start)
        if isinstance(value, ProgramIterator):  # lazy too: a generator runs as it is read
            return ProgramIterator(enumerate(value, start), limits.max_loop_iterations, "enumerate")
        return list(enumerate(bounded_list(value, limits), start))

    def zip_(*values: Any) -> list[tuple[Any, ...]] | ProgramIterator:
        if any(isinstance(v, ProgramIterator) for v in values):
            items = zip(*(bounded_iter(v, limits) for v in values), strict=False)
            return ProgramIterator(items, limits.max_loop_iterations, "zip")
        return list(zip(*(bounded_list(v, limits) for v in values), strict=False))

    def round_(value: Any, ndigits: int | None = None) -> Any:
        if ndigits is not None and abs(ndigits) > 100:
            raise ValueError("round() digits must be between -100 and 100")
        return round(value) if ndigits is None else round(value, ndigits)

    def sum_(values: Any, start: Any = 0) -> Any:
        return sum(bounded_list(values, limits, "sum()"), start)

    def min_(*values: Any) -> Any:
        _one_number_each("min", values)
        return min(bounded_list(values[0], limits)) if len(values) == 1 else min(values)

    def max_(*values: Any) -> Any:
        _one_number_each("max", values)
        return max(bounded_list(values[0], limits)) if len(values) == 1 else max(values)

    def sorted_(values: Any, key: Any = None, reverse: bool = False) -> list[Any]:
        return sorted(bounded_list(values, limits, "sorted()"), key=key, reverse=reverse)

    def reversed_(values: Any) -> list[Any]:
        return bounded_list(values, limits, "reversed()")[::-1]

    def dict_(items: Any = (), **kwargs: Any) -> ProgramDict:
        """dict(model.named_parameters()), dict(a=1): a dict of the program's."""
        pairs = list(items.items()) if isinstance(items, dict) else bounded_list(items, limits)
        made = ProgramDict()
        for pair in [*pairs, *kwargs.items()]:
            key, value = pair
            check_dict_key(key)
            made[key] = value
        return made

    def any_(values: Any) -> bool:
        return any(bounded_list(values, limits, "any()"))

    def all_(values: Any) -> bool:
        return all(bounded_list(values, limits, "all()"))

    def iter_(value: Any) -> ProgramIterator:
        if isinstance(value, ProgramIterator):
            return value  # as Python's iter() of an iterator: itself
        kind = _ITERATOR_KINDS.get(type(value), "iterator")
        return ProgramIterator(
            bounded_iter(value, limits, "iter()"), limits.max_loop_iterations, kind
        )

    def next_(iterator: Any, *default: Any) -> Any:
        if not isinstance(iterator, ProgramIterator):
            raise TypeError(f"'{type(iterator).__name__}' object is not an iterator")
        if len(default) > 1:
            raise TypeError(f"next expected at most 2 arguments, got {1 + len(default)}")
        try:
            return next(iterator)
        except StopIteration:
            if default:
                return default[0]
            raise Exhausted() from None

    table: dict[str, Callable[..., Any]] = {
        "print": print_fn,
        "range": range,
        "len": len,
        "float": float,
        "int": int,
        "bool": bool,
        "str": str,
        "repr": repr,
        "list": listify,
        "tuple": tuplify,
        "enumerate": enumerate_,
        "zip": zip_,
        "round": round_,
        "sum": sum_,
        "min": min_,
        "dict": dict_,
        "max": max_,
        "isinstance": isinstance_,
        "type": type_of,
        "sorted": sorted_,
        "reversed": reversed_,
        "any": any_,
        "all": all_,
        "set": lambda value=(): plain_set(bounded_list(value, limits, "set()")),
        "iter": iter_,
        "next": next_,
    }
    return {name: Fn(name, impl) for name, impl in table.items()}


_PLAIN_TYPES = {
    "int": int,
    "float": float,
    "bool": bool,
    "str": str,
    "list": list,
    "tuple": tuple,
    "dict": dict,
}


def as_type(kind: Any) -> type | tuple[type, ...]:
    """A class as the program names it: `nn.Linear`, a class it defined, `float`, ...."""
    if isinstance(kind, tuple):
        return tuple(t for k in kind for t in _flat(as_type(k)))
    if isinstance(kind, UserClass):
        return kind.cls
    if isinstance(kind, Fn) and isinstance(kind.impl, type):
        return kind.impl
    if isinstance(kind, Fn) and kind.qualname in _PLAIN_TYPES:
        return _PLAIN_TYPES[kind.qualname]
    if isinstance(kind, Fn) and kind.qualname == "torch.Tensor":  # a legacy constructor's name
        return torch.Tensor
    if isinstance(kind, Fn) and kind.qualname == "nn.Module":  # a base class's name
        return nn.Module  # (a model the program defines is one: its classes derive from it)
    raise TypeError(
        "isinstance()'s second argument must be a class such as nn.Linear, float or a class "
        "the program defines (or a tuple of them)"
    )


def _flat(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def isinstance_(value: Any, kind: Any) -> bool:
    return isinstance(value, as_type(kind))


def weak_printer(owner: weakref.ref[Any]) -> Callable[..., None]:
    """`print` for a program: to its interpreter's `_print` (its output channel), holding the
    interpreter weakly (the builtins it keeps would otherwise tie it to itself in a cycle)."""

    def print_(
        *args: Any,
        sep: str | None = " ",
        end: str | None = "\n",
        file: None = None,
        flush: bool = False,
    ) -> None:
        if file is not None:
            raise TypeError("print() writes to the output panel: leave out file=")
        for name, value in (("sep", sep), ("end", end)):
            if value is not None and not isinstance(value, str):
                raise TypeError(f"{name} must be None or a string, not {type(value).__name__}")
        interpreter = owner()
        if interpreter is not None:  # (flush: the panel shows each line as it is printed)
            interpreter._print(
                *args, sep=" " if sep is None else sep, end="\n" if end is None else end
            )

    return print_
