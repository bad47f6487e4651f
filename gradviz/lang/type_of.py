"""`type(x)`: the class of a value as Python prints it (`<class 'float'>`), to print or
compare with `==`, never to call or to look into."""

from __future__ import annotations

import re
from typing import Any

from gradviz.lang.callbacks import Callback
from gradviz.lang.iterators import ProgramIterator
from gradviz.lang.objects import BoundMethod, Fn, Namespace, ProgramDict
from gradviz.lang.user_code import BoundUserMethod, UserClass, UserFunction

# gradviz's own stand-ins, and the class Python would name for what they stand for
_STANDS_FOR: dict[type, str] = {
    Fn: "builtin_function_or_method",
    BoundMethod: "method",
    Namespace: "module",
    ProgramDict: "dict",
}


# builtins that are classes in Python, which gradviz gives as functions (bounded ones)
_CLASSES = frozenset("int float bool str list tuple dict type range enumerate zip reversed".split())


class ClassOf:
    """What `type(value)` gives a program: shown as Python shows the class, equal to the
    class's own name in the program (`type(x) == float`, `type(layer) == nn.Linear`)."""

    __slots__ = ("_cls", "_shown")

    def __init__(self, cls: type, shown: str) -> None:
        self._cls = cls
        self._shown = shown

    def __repr__(self) -> str:
        return self._shown

    @property
    def name(self) -> str:
        """The class's own name, as `type(x).__name__` gives it: `Conv2d`, `Net`, `float`."""
        return self._shown.removeprefix("<class '").removesuffix("'>").rsplit(".", 1)[-1]

    def __eq__(self, other: object) -> bool:
        from gradviz.lang.builtins import as_type

        if isinstance(other, ClassOf):
            return self._cls is other._cls
        try:
            return as_type(other) is self._cls
        except TypeError:
            return False

    def __hash__(self) -> int:
        return hash(self._cls)


def type_of(value: Any) -> ClassOf:
    """type(value), as a ClassOf."""
    if isinstance(value, Callback):  # a function of the program, as a builtin was handed it
        value = value.function
    cls = type(value)
    if isinstance(value, BoundUserMethod):
        return ClassOf(cls, "<class 'method'>")
    if isinstance(value, UserClass):
        return ClassOf(cls, "<class 'type'>")
    if isinstance(value, UserFunction):
        return ClassOf(cls, "<class 'function'>")
    if isinstance(value, ProgramIterator):
        return ClassOf(cls, f"<class '{value.kind}'>")  # generator, list_iterator, ...
    if isinstance(value, Fn) and (isinstance(value.impl, type) or value.qualname in _CLASSES):
        return ClassOf(cls, "<class 'type'>")  # float, list, range: classes in Python
    stands_for = _STANDS_FOR.get(cls)
    if stands_for is not None:
        return ClassOf(dict if cls is ProgramDict else cls, f"<class '{stands_for}'>")
    if cls.__module__.startswith("gradviz."):
        return ClassOf(cls, "<class 'object'>")  # gradviz's machinery: nothing to show
    module = "__main__" if cls.__module__ == "program" else cls.__module__
    shown = cls.__qualname__ if module == "builtins" else f"{module}.{cls.__qualname__}"
    return ClassOf(cls, f"<class '{shown}'>")


# gradviz's stand-ins as Python's own error messages would name their classes
_PYTHON_NAMES = {
    "Fn": "builtin_function_or_method",
    "BoundMethod": "method",
    "BoundUserMethod": "method",
    "UserFunction": "function",
    "Callback": "function",
    "UserClass": "type",
    "ProgramIterator": "iterator",
    "Namespace": "module",
    "ProgramDict": "dict",
}
_STAND_IN = re.compile(
    r"(?<=')("
    + "|".join(_PYTHON_NAMES)
    + r")(?=')|(?<=\bgot )("
    + "|".join(_PYTHON_NAMES)
    + r")\b|(?<=\ba )("
    + "|".join(_PYTHON_NAMES)
    + r")(?= value\b)"
)


def in_pythons_words(message: str) -> str:
    """An error message (Python's or torch's, about a gradviz stand-in) with the class names
    Python would give: `unsupported operand type(s) for +: 'builtin_function_or_method' and
    'int'`, not `'Fn' and 'int'`."""
    return _STAND_IN.sub(lambda m: _PYTHON_NAMES[m.group(0)], message)
