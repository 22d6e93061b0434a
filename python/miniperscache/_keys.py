"""Cache keys: binding a call's arguments to the function's signature, then hashing them in Rust.

`f(1, 2)`, `f(1, y=2)`, `f(x=1, y=2)` and `f(1)` (when `y=2` is the default) bind to the same
arguments and so get the same key. The binder is built once per decorated function; the hot path
is a few dict operations, and `inspect.Signature.bind` only runs for calls the fast path cannot
place (where it raises the usual `TypeError`).

The key itself is `_rust.hash_arguments(pairs)`: a BLAKE3 digest of a canonical encoding of the
(parameter name, value) pairs, stable across processes and machines.
"""

from __future__ import annotations

import importlib
import inspect
from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import Any, Callable

from typing_extensions import ParamSpec

from . import _rust

__all__ = [
    "ArgumentBinder",
    "DefaultArgHasher",
    "KeyFunction",
    "MkArgHasherType",
    "default_raw_arg_hasher",
    "key_fallback",
    "key_function",
]

P = ParamSpec("P")

_EMPTY = inspect.Parameter.empty
_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)

#: Every named parameter's value (by name, in signature order), then `*args` and `**kwargs`.
Bound = tuple[dict[str, Any], tuple[Any, ...], dict[str, Any]]


def key_fallback(obj: Any) -> Any:
    """A hashable surrogate for objects the Rust walker doesn't know, or `NotImplemented`.

    pandas objects become their labels (names, dtypes, values) and their columns' values: numeric,
    datetime (with its timezone, in the dtype) and other typed columns as their per-row hashes,
    `object` columns as the Python values themselves, walked like any argument (their per-row
    hashes would go through `str()`, so that `1` and `"1"` collide). pandas is imported only when
    the object's type comes from it.
    """
    if not type(obj).__module__.startswith("pandas"):
        return NotImplemented
    pandas: Any = importlib.import_module("pandas")  # only when hashing a pandas object

    if isinstance(obj, pandas.DataFrame):
        columns = tuple(_pandas_values(pandas, obj.iloc[:, i]) for i in range(obj.shape[1]))
        return (
            "DataFrame",
            _pandas_index(pandas, obj.columns),
            _pandas_index(pandas, obj.index),
            columns,
        )
    if isinstance(obj, pandas.Series):
        return (
            "Series",
            repr(obj.name),
            _pandas_index(pandas, obj.index),
            _pandas_values(pandas, obj),
        )
    if isinstance(obj, pandas.Index):
        return ("Index", _pandas_index(pandas, obj))
    return NotImplemented


def _pandas_values(pandas: Any, values: Any) -> tuple[Any, ...]:
    """A Series' or an Index's values: dtype (timezone, categories included) and contents."""
    dtype = values.dtype
    numpy: Any = importlib.import_module("numpy")
    if isinstance(dtype, pandas.CategoricalDtype):
        categories = _pandas_values(pandas, dtype.categories)
        return "category", categories, dtype.ordered, pandas.Categorical(values).codes
    if isinstance(dtype, numpy.dtype):
        if dtype.kind == "O":
            return "object", list(values)
        # The array itself, which the walker hashes exactly (-0.0 is not 0.0 there, unlike in
        # pandas' row hashes).
        return str(dtype), values.to_numpy()
    return str(dtype), pandas.util.hash_pandas_object(values, index=False).to_numpy()


def _pandas_index(pandas: Any, index: Any) -> tuple[Any, ...]:
    """An index with its names; a MultiIndex level by level."""
    if isinstance(index, pandas.MultiIndex):
        levels = tuple(
            _pandas_values(pandas, index.get_level_values(i)) for i in range(index.nlevels)
        )
        return ("MultiIndex", tuple(repr(n) for n in index.names), levels)
    return (type(index).__name__, repr(index.name), _pandas_values(pandas, index))


class ArgumentBinder:
    """Binds call arguments to one function's signature; built once, at decoration.

    # Parameters
    - `func`: the function whose calls are bound.
    - `skip`: parameter names left out of the key (`DefaultArgHasher(skip_args=...)`); a name the
      signature doesn't have is a key inside `**kwargs`.
    """

    def __init__(self, func: Callable[..., Any], skip: Iterable[str] = ()) -> None:
        self.signature = inspect.signature(func)
        self.skip = frozenset(skip)
        params = list(self.signature.parameters.values())
        kinds = inspect.Parameter
        self.named = [
            p.name for p in params if p.kind not in (kinds.VAR_POSITIONAL, kinds.VAR_KEYWORD)
        ]
        self.positional = [p.name for p in params if p.kind in _POSITIONAL]
        self.keyword_only = [p.name for p in params if p.kind is kinds.KEYWORD_ONLY]
        # Names a caller may pass by keyword. Positional-only names, and the names of `*args` and
        # `**kwargs` themselves, go to **kwargs (if any): `f(args=1)` is a keyword named "args".
        self._by_keyword = frozenset(
            p.name for p in params if p.kind in (kinds.POSITIONAL_OR_KEYWORD, kinds.KEYWORD_ONLY)
        )
        self._defaults = [(p.name, p.default) for p in params if p.default is not _EMPTY]
        self.var_positional: str | None = next(
            (p.name for p in params if p.kind is kinds.VAR_POSITIONAL), None
        )
        self.var_keyword: str | None = next(
            (p.name for p in params if p.kind is kinds.VAR_KEYWORD), None
        )
        self._key_names = [n for n in self.named if n not in self.skip]
        self._skip_in_kwargs = self.skip - set(self.named)

    def bind(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Bound:
        """Every parameter's value, defaults applied; a bad call raises the usual TypeError."""
        npos = len(self.positional)
        values = dict(zip(self.positional, args))
        extra: tuple[Any, ...] = ()
        if len(args) > npos:
            if self.var_positional is None:
                return self._bind_slow(args, kwargs)
            extra = args[npos:]
        var_kw: dict[str, Any] = {}
        for name, value in kwargs.items():
            if name in self._by_keyword:
                if name in values:
                    return self._bind_slow(args, kwargs)
                values[name] = value
            elif self.var_keyword is not None:
                var_kw[name] = value
            else:
                return self._bind_slow(args, kwargs)
        if len(values) < len(self.named):
            for name, default in self._defaults:
                if name not in values:
                    values[name] = default
            if len(values) < len(self.named):
                return self._bind_slow(args, kwargs)
        return values, extra, var_kw

    def _bind_slow(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Bound:
        bound = self.signature.bind(*args, **kwargs)  # raises the normal TypeError
        bound.apply_defaults()
        arguments = bound.arguments
        values = {name: arguments[name] for name in self.named}
        extra = arguments.get(self.var_positional, ()) if self.var_positional else ()
        var_kw = arguments.get(self.var_keyword, {}) if self.var_keyword else {}
        return values, tuple(extra), dict(var_kw)

    def key_pairs(self, bound: Bound) -> list[tuple[str, Any]]:
        """The (name, value) pairs that make the key: signature order, skipped names removed,
        `**kwargs` sorted by name."""
        values, extra, var_kw = bound
        pairs = [(name, values[name]) for name in self._key_names]
        if self.var_positional is not None and self.var_positional not in self.skip:
            pairs.append((self.var_positional, extra))
        if self.var_keyword is not None and self.var_keyword not in self.skip:
            skip = self._skip_in_kwargs
            pairs.append(
                (self.var_keyword, {k: var_kw[k] for k in sorted(var_kw) if k not in skip})
            )
        return pairs

    def call_args(self, bound: Bound) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """Positional and keyword arguments that call the function with `bound`."""
        values, extra, var_kw = bound
        args = tuple(values[name] for name in self.positional) + extra
        kwargs = {name: values[name] for name in self.keyword_only}
        kwargs.update(var_kw)
        return args, kwargs

    def key(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> bytes:
        """The 32-byte key of one call."""
        pairs = self.key_pairs(self.bind(args, kwargs))
        return _rust.hash_arguments(pairs, False, key_fallback)


class MkArgHasherType(ABC):
    """Builds the key function for one decorated function (0.1.3's interface).

    A plain arg hasher is a function taking the decorated function's arguments and returning bytes.
    Some hashers need to inspect the function first; those implement this interface, and the
    decorator calls them once with the function.
    """

    @abstractmethod
    def __call__(self, func: Callable[P, Any]) -> Callable[P, bytes]: ...


class _SignatureHasher:
    """The key function `DefaultArgHasher` builds: binds, then hashes in Rust."""

    def __init__(self, binder: ArgumentBinder) -> None:
        self.binder = binder

    def __call__(self, *args: Any, **kwargs: Any) -> bytes:
        return self.binder.key(args, kwargs)


class DefaultArgHasher(MkArgHasherType):
    """The default key: every argument bound to its parameter, defaults applied, hashed in Rust.

    # Parameters
    - `skip_args`: names of parameters left out of the key (e.g. a client object). Each must be a
      parameter of the decorated function (checked at decoration), unless the function takes
      `**kwargs`, in which case an unknown name is a keyword skipped from `**kwargs`.

    Supported argument types: None, bool, int, float, str, bytes, tuple, list, dict, set,
    frozenset, Enum, datetime/date/time/timedelta, Decimal, UUID, paths, dataclasses, NamedTuples,
    pydantic models, numpy arrays and scalars, pandas objects, and anything with a
    `__cache_key__()` method. Other types raise TypeError naming the parameter.
    """

    def __init__(self, skip_args: Iterable[str] | None = None) -> None:
        if isinstance(skip_args, str):
            skip_args = [skip_args]
        self.skip_args: list[str] = list(skip_args or [])

    def __repr__(self) -> str:
        return f"DefaultArgHasher(skip_args={self.skip_args!r})"

    def binder(self, func: Callable[..., Any]) -> ArgumentBinder:
        """The validated binder for `func`; unknown `skip_args` names raise ValueError."""
        binder = ArgumentBinder(func, self.skip_args)
        if binder.var_keyword is None:
            known = set(binder.named) | {binder.var_positional}
            unknown = [name for name in self.skip_args if name not in known]
            if unknown:
                name = getattr(func, "__qualname__", repr(func))
                verb = "is" if len(unknown) == 1 else "are"
                raise ValueError(
                    f"skip_args names {', '.join(map(repr, unknown))}, which {verb} not a "
                    f"parameter of {name}{binder.signature}"
                )
        return binder

    def __call__(self, func: Callable[P, Any]) -> Callable[P, bytes]:
        return _SignatureHasher(self.binder(func))


def default_raw_arg_hasher(*args: Any, **kwargs: Any) -> bytes:
    """The 32-byte key of the values as given: positional order matters, keyword order doesn't.

    Faster than binding to a signature; meant for hand-written arg hashers, e.g.
    `lambda client, prompt: default_raw_arg_hasher(client.model, prompt)`.
    """
    return _rust.hash_values(args, kwargs, key_fallback)


#: Turns a call's (args, kwargs) into its 32-byte key.
KeyFunction = Callable[[tuple[Any, ...], dict[str, Any]], bytes]


def key_function(
    func: Callable[..., Any],
    arg_hasher: Callable[..., bytes] | MkArgHasherType | None,
    *,
    batch: bool = False,
) -> tuple[KeyFunction, ArgumentBinder | None]:
    """The key function for `func` (and its binder, when keys come from the signature).

    A user's hasher returns bytes of any length; `_rust.raw_key` makes them a 32-byte key in a
    domain of its own, another one for the elements of a batched function (`batch=True`), so
    that they never meet the keys of a plain function on the same tag.
    """
    if arg_hasher is None:
        arg_hasher = DefaultArgHasher()
    if isinstance(arg_hasher, DefaultArgHasher) and (
        type(arg_hasher).__call__ is DefaultArgHasher.__call__
    ):
        binder = arg_hasher.binder(func)
        return binder.key, binder
    hasher = arg_hasher(func) if isinstance(arg_hasher, MkArgHasherType) else arg_hasher
    if not callable(hasher):
        raise TypeError(f"arg_hasher must be callable, got {type(hasher).__qualname__}")
    raw_key = _rust.raw_key

    def key(args: tuple[Any, ...], kwargs: dict[str, Any]) -> bytes:
        material = hasher(*args, **kwargs)
        if not isinstance(material, (bytes, bytearray, memoryview)):
            raise TypeError(
                f"arg_hasher {getattr(hasher, '__qualname__', hasher)!r} must return bytes, "
                f"got {type(material).__qualname__}"
            )
        return raw_key(bytes(material), batch)

    return key, None
