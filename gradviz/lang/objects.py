"""The values a program can hold besides numbers and tensors: namespaces, functions, methods."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Fn:
    """A whitelisted callable, with the dotted name it is known by in programs."""

    qualname: str
    impl: Callable[..., Any]

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Called by torch or a builtin it was handed to (`sorted(xs, key=abs)`)."""
        return self.impl(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<function {self.qualname}>"


@dataclass(frozen=True)
class Namespace:
    """A module the program imported (torch, torch.nn, F, ...): only its listed members exist."""

    path: str
    members: Mapping[str, object]
    blocked: Mapping[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"<module {self.path}>"


@dataclass(frozen=True)
class BoundMethod:
    """A whitelisted method bound to the value it was looked up on."""

    qualname: str
    impl: Callable[..., Any]
    owner: object

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.impl(self.owner, *args, **kwargs)

    def __repr__(self) -> str:
        return f"<method {self.qualname}>"


class ProgramDict(dict[Any, Any]):
    """A dict the program wrote (`history = {"loss": []}`): its keys are strings, numbers or
    tuples of them; unlike the dicts torch hands out (an optimizer's param groups), it may be
    changed freely."""


DICT_KEY_TYPES = (str, int, float, bool, type(None))


def check_dict_key(key: object, what: str = "dict keys") -> None:
    """Keys of a program's dicts (and items of its sets): plain values only (no tensors,
    modules or functions)."""
    items = key if isinstance(key, tuple) else (key,)
    if not all(isinstance(k, DICT_KEY_TYPES) for k in items):
        raise TypeError(
            f"{what} must be strings, numbers or tuples of them, not {type(key).__name__}"
        )


def merge_keywords(kwargs: dict[str, Any], extra: Any) -> None:
    """`f(**extra)`: its keys as keyword arguments, each a plain name and not given twice."""
    if not isinstance(extra, dict):
        raise TypeError(f"argument after ** must be a dict, not {type(extra).__name__}")
    for key, value in extra.items():
        if not isinstance(key, str) or not key.isidentifier() or key.startswith("_"):
            raise TypeError(f"keywords must be plain names, not {key!r}")
        if key in kwargs:
            raise TypeError(f"got multiple values for keyword argument '{key}'")
        kwargs[key] = value


def plain_set(items: Iterable[Any]) -> set[Any]:
    """A set the program makes (`set(words)`, `{1, 2}`), of plain values."""
    made = set()
    for item in items:
        check_dict_key(item, "set items")
        made.add(item)
    return made
