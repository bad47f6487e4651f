"""Functions and classes a program defines (modules, plain classes), run in the interpreter."""

from __future__ import annotations

import ast
import difflib
import weakref
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from torch import nn

from gradviz.lang.method_locals import method_local
from gradviz.lang.module_lists import holds_layers, listed_remark
from gradviz.lang.objects import ProgramDict
from gradviz.lang.program_warnings import remark_here

MISSING = object()


class Calls(Protocol):
    """What runs a defined function's body (the interpreter)."""

    def call_function(
        self, function: UserFunction, args: list[Any], kwargs: dict[str, Any]
    ) -> Any: ...

    def call_defined(
        self, callee: UserFunction | BoundUserMethod | UserClass, args: list[Any], kwargs: Any
    ) -> Any: ...

    def call_back(
        self, callee: UserFunction | BoundUserMethod, args: list[Any], kwargs: Any
    ) -> Any: ...


class Return(Exception):
    """`return value` leaving a function body."""

    def __init__(self, value: Any) -> None:
        super().__init__()
        self.value = value


@dataclass(frozen=True, eq=False)
class UserFunction:
    """A `def` of the program: its syntax and the defaults evaluated where it was defined."""

    name: str
    node: ast.FunctionDef
    defaults: tuple[Any, ...]
    grad_mode: str | None = None  # "no_grad" from `@torch.no_grad()`, ...
    keyword_defaults: dict[str, Any] = field(default_factory=dict)  # of `*, name=...` parameters
    # a function defined inside another's call: that call's names (and its own enclosing ones)
    enclosing: tuple[MutableMapping[str, Any], ...] = ()
    generator: bool = False  # its body has `yield`: a call makes a generator

    def __repr__(self) -> str:
        return f"<function {self.name}>"

    def bind(self, args: list[Any], kwargs: dict[str, Any]) -> dict[str, Any]:
        """The local names of one call, as Python binds them (its messages for wrong calls)."""
        params = [a.arg for a in self.node.args.args]
        rest, named = self.node.args.vararg, self.node.args.kwarg  # `*args`, `**kwargs`
        if len(args) > len(params) and rest is None:
            raise TypeError(
                f"{self.name}() takes {len(params)} positional argument"
                f"{'' if len(params) == 1 else 's'} but {len(args)} were given"
            )
        keyword_only = [a.arg for a in self.node.args.kwonlyargs]
        local = dict(zip(params, args, strict=False))
        others = ProgramDict()
        for key, value in kwargs.items():
            if key not in params and key not in keyword_only:
                if named is None:
                    raise TypeError(f"{self.name}() got an unexpected keyword argument '{key}'")
                others[key] = value
                continue
            if key in local:
                raise TypeError(f"{self.name}() got multiple values for argument '{key}'")
            local[key] = value
        if rest is not None:
            local[rest.arg] = tuple(args[len(params) :])
        if named is not None:
            local[named.arg] = others
        first_default = len(params) - len(self.defaults)
        for index, param in enumerate(params):
            if param not in local and index >= first_default:
                local[param] = self.defaults[index - first_default]
        for param in keyword_only:
            if param not in local and param in self.keyword_defaults:
                local[param] = self.keyword_defaults[param]
        self._require([p for p in params if p not in local], "positional")
        self._require([p for p in keyword_only if p not in local], "keyword-only")
        return local

    def _require(self, missing: list[str], kind: str) -> None:
        if missing:
            names = " and ".join(f"'{p}'" for p in missing)
            raise TypeError(
                f"{self.name}() missing {len(missing)} required {kind} argument"
                f"{'' if len(missing) == 1 else 's'}: {names}"
            )


class NestedRef:
    """A nested function as the names of the call that defined it hold it: weakly, so that the
    function (which holds those names) and its frame make no reference cycle. The call keeps
    its nested functions alive while it runs; one that outlives it makes the frame hold them
    all strongly (Definitions.call_function): a cycle, freed by a collection, as in Python."""

    __slots__ = ("ref",)

    def __init__(self, function: UserFunction) -> None:
        self.ref = weakref.ref(function)

    def __call__(self) -> UserFunction | None:
        return self.ref()


@dataclass(frozen=True, eq=False)
class BoundUserMethod:
    """A method of a program-defined module, looked up on an instance (`self.helper`)."""

    function: UserFunction
    owner: UserModule | ProgramObject

    def __repr__(self) -> str:
        return f"<method {type(self.owner).__name__}.{self.function.name}>"


_READY = "_gradviz_ready_for_layers"


class UserModule(nn.Module):
    """The base of every nn.Module subclass a program defines. Its `__init__` and `forward`
    run the program's method bodies in the interpreter that defined the class (held weakly:
    a model kept after its run has ended can no longer be called)."""

    methods: ClassVar[dict[str, UserFunction]] = {}
    class_values: ClassVar[dict[str, object]] = {}  # `hidden = 16` in the class body
    runner: ClassVar[Callable[[], Calls | None]] = staticmethod(lambda: None)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()
        init = self.methods.get("__init__")
        if init is None:
            if args or kwargs:
                raise TypeError(f"{type(self).__name__}() takes no arguments")
            return
        self._run(init, args, kwargs)
        for attribute, value in vars(self).items():  # (a list filled after it was assigned too)
            if not attribute.startswith("_") and holds_layers(value):
                remark_here(listed_remark(self, attribute, value))

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        method = self.methods.get("forward")
        if method is None:
            close = difflib.get_close_matches("forward", list(self.methods), n=1, cutoff=0.7)
            typo = f" (it defines `{close[0]}`: spelt so, PyTorch never calls it)" if close else ""
            raise NotImplementedError(
                f"{type(self).__name__} has no `def forward(self, ...)`, so it cannot be "
                f"called{typo}"
            )
        return self._run(method, args, kwargs)

    def _run(self, method: UserFunction, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        runner = type(self).runner()
        if runner is None:
            raise RuntimeError(
                f"{type(self).__name__} was defined by a program that is no longer running"
            )
        return runner.call_function(method, [self, *args], kwargs)

    def user_attribute(self, name: str) -> object:
        """`self.name` as the program sees it: a layer, parameter, buffer or value it set, or
        one of its methods; MISSING where the name is none of those."""
        state = self.__dict__
        for store in ("_parameters", "_buffers", "_modules"):
            found = state[store]
            if name in found:
                return found[name]
        if name in state and not name.startswith("_") and name != "training":
            return state[name]
        method = self.methods.get(name)
        if method is not None and not name.startswith("_"):
            return BoundUserMethod(method, self)
        return self.class_values.get(name, MISSING)

    def method_local(self, name: str) -> int | None:
        """The line of a `name = …` in one of the class's methods, if there is one."""
        return method_local((method.node for method in self.methods.values()), name)

    def set_user_attribute(self, name: str, value: object) -> None:
        """`self.name = value` in the program (registers layers and parameters as nn does)."""
        self._check_name(name)
        if isinstance(value, (nn.Module, nn.Parameter)) and not self.__dict__.get(_READY, True):
            what = "module" if isinstance(value, nn.Module) else "parameters"
            raise AttributeError(  # (torch's words, then what to do)
                f"cannot assign {what} before Module.__init__() call: call "
                "`super().__init__()` first in `__init__`, before setting layers on `self`"
            )
        setattr(self, name, value)

    def ready_for_layers(self, ready: bool) -> None:
        """Whether the program's __init__ has called super().__init__() yet (PyTorch refuses a
        layer or parameter set on `self` before)."""
        self.__dict__[_READY] = ready

    def register_user_buffer(self, name: str, tensor: Any, persistent: bool = True) -> None:
        """`self.register_buffer("name", tensor)`: a tensor of the module that is no parameter
        (moves with `.to(device)`, not trained), read back as `self.name`."""
        if not isinstance(name, str) or not name.isidentifier() or name.startswith("_"):
            raise ValueError(f'a buffer\'s name must be a plain name like "mask", not {name!r}')
        self._check_name(name)
        self.register_buffer(name, tensor, persistent)

    def _check_name(self, name: str) -> None:
        if name in self.methods or hasattr(nn.Module, name) or name == "training":
            raise AttributeError(
                f"`.{name}` is a name nn.Module or {type(self).__name__} uses itself; "
                "choose another"
            )


# the special methods a plain class of the program may define (calls, len(), indexing: what
# a torch Dataset and Karpathy's hand-made layers use)
PLAIN_DUNDERS = ("__init__", "__call__", "__len__", "__getitem__")


class ProgramObject:
    """The base of every plain class a program defines (`class Tanh:`, `class Pairs(Dataset):`):
    its methods run in the interpreter that defined the class (held weakly); its attributes
    are what the program sets on it."""

    methods: ClassVar[dict[str, UserFunction]] = {}
    class_values: ClassVar[dict[str, object]] = {}
    runner: ClassVar[Callable[[], Calls | None]] = staticmethod(lambda: None)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        init = self.methods.get("__init__")
        if init is None:
            if args or kwargs:
                raise TypeError(f"{type(self).__name__}() takes no arguments")
            return
        self._run("__init__", args, kwargs)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._run("__call__", args, kwargs)

    def __len__(self) -> int:
        return self._run("__len__", (), {})  # type: ignore[no-any-return]

    def __getitem__(self, index: Any) -> Any:
        return self._run("__getitem__", (index,), {})

    def _run(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        method = self.methods.get(name)
        kind = type(self).__name__
        if method is None:
            reason = {
                "__call__": "is not callable",
                "__len__": "has no len()",
                "__getitem__": "is not subscriptable",
            }
            raise TypeError(f"'{kind}' object {reason[name]}")
        runner = type(self).runner()
        if runner is None:
            raise RuntimeError(f"{kind} was defined by a program that is no longer running")
        return runner.call_function(method, [self, *args], kwargs)

    def defines(self, name: str) -> bool:
        return name in self.methods

    def user_attribute(self, name: str) -> object:
        """`obj.name`: a value the program set on it, one of its methods, a class attribute."""
        if name in self.__dict__ and not name.startswith("_"):
            return self.__dict__[name]
        method = self.methods.get(name)
        if method is not None and not name.startswith("_"):
            return BoundUserMethod(method, self)
        return self.class_values.get(name, MISSING)

    def set_user_attribute(self, name: str, value: object) -> None:
        if name.startswith("_"):
            raise AttributeError("names starting with an underscore are not allowed")
        self.__dict__[name] = value


@dataclass(frozen=True, eq=False)
class UserClass:
    """A class of the program (`class Net(nn.Module)`, or a plain one): calling it makes an
    instance."""

    name: str
    cls: type[UserModule] | type[ProgramObject]

    def __repr__(self) -> str:
        return f"<class {self.name}>"


def define_class(
    name: str,
    methods: dict[str, UserFunction],
    runner: Calls,
    values: dict[str, object] | None = None,
    plain: bool = False,
) -> UserClass:
    """A real nn.Module subclass named `name` (or, `plain`, a ProgramObject) whose methods run
    in `runner`; `values`: the class attributes its body assigns."""
    ref = weakref.ref(runner)
    namespace: dict[str, object] = {
        "methods": dict(methods),
        "class_values": dict(values or {}),
        "runner": staticmethod(ref),
        "__module__": "program",
        "__qualname__": name,
    }
    base: type = ProgramObject if plain else UserModule
    if plain:
        namespace["__module__"] = "__main__"  # printed as Python prints it: <__main__.A object>
    return UserClass(name, type(name, (base,), namespace))


GRAD_MODES = ("no_grad", "enable_grad", "inference_mode")


def grad_mode(node: ast.FunctionDef) -> str | None:
    """The grad mode of `@torch.no_grad()` (or `@torch.no_grad`, enable_grad, inference_mode,
    also imported bare) decorating `node`: the only decorators a program may write."""
    if len(node.decorator_list) != 1:
        return None
    decorator = node.decorator_list[0]
    if isinstance(decorator, ast.Call):
        if decorator.args or decorator.keywords:
            return None
        decorator = decorator.func
    if isinstance(decorator, ast.Attribute) and isinstance(decorator.value, ast.Name):
        if decorator.value.id != "torch":
            return None
        name = decorator.attr
    elif isinstance(decorator, ast.Name):
        name = decorator.id
    else:
        return None
    return name if name in GRAD_MODES else None


def is_super_init(stmt: ast.stmt) -> bool:
    """`super().__init__()` (or `super(Name, self).__init__()`): nn.Module's set-up, which
    gradviz runs before the rest of `__init__` anyway."""
    if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)):
        return False
    call = stmt.value
    func = call.func
    return (
        not call.args
        and not call.keywords
        and isinstance(func, ast.Attribute)
        and func.attr == "__init__"
        and isinstance(func.value, ast.Call)
        and isinstance(func.value.func, ast.Name)
        and func.value.func.id == "super"
        and not func.value.keywords
        and len(func.value.args) in (0, 2)
        and all(isinstance(a, ast.Name) for a in func.value.args)
    )


DEFINED = (UserFunction, BoundUserMethod, UserClass)  # what a program's definitions make
