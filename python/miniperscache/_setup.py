"""Decoration-time work shared by every decorator: the tag registry, validation, the key function,
the serializer and the storage backend, and how a call survives cache problems."""

from __future__ import annotations

import inspect
import logging
import threading
from typing import Any, Callable

from . import _backends
from ._keys import ArgumentBinder, KeyFunction, MkArgHasherType, key_function
from .exceptions import CorruptEntryError, SerializationError
from .serializers import DillSerializer, DumpsLoads, Serializer, as_serializer, codec_id

__all__ = ["Setup", "check_tag", "logger", "register_tag", "require_tag"]

logger = logging.getLogger("miniperscache")

# Tags in use in this process -> the function using it (see `_Owner`). Catches copy-pasted tags;
# re-decorating the same function (a notebook cell run again) is fine.
_TAG_REGISTRY: dict[str, _Owner] = {}
_TAG_LOCK = threading.Lock()


class _Owner:
    """What makes a decorated function "the same function" as another one.

    A plain function is known by its module and qualified name, so that running a notebook cell
    again re-decorates the same function. A name does not tell lambdas, closures (`<locals>`) and
    bound methods apart (`make(2)` and `make(10)` build two `make.<locals>.f` that compute
    different things), so for them the code, the captured values and the bound instance must
    match too.
    """

    def __init__(self, func: Callable[..., Any]) -> None:
        self.module = getattr(func, "__module__", None) or "?"
        qualname = getattr(func, "__qualname__", None)
        self.qualname = qualname or f"<{type(func).__qualname__} object>"
        self.anonymous = qualname is None or any(
            mark in qualname for mark in ("<lambda>", "<locals>")
        )
        self.bound_to: object = getattr(func, "__self__", None) if inspect.ismethod(func) else None
        if self.bound_to is not None:
            func = func.__func__  # type: ignore[attr-defined]
            self.anonymous = True
        self.code: object = getattr(func, "__code__", func if qualname is None else None)
        cells = getattr(func, "__closure__", None) or ()
        self.captured = tuple(_cell_contents(cell) for cell in cells)

    def same_as(self, other: _Owner) -> bool:
        if (self.module, self.qualname) != (other.module, other.qualname):
            return False
        if not (self.anonymous or other.anonymous):
            return True
        return (
            self.bound_to is other.bound_to
            and _equal(self.code, other.code)
            and len(self.captured) == len(other.captured)
            and all(_equal(a, b) for a, b in zip(self.captured, other.captured))
        )

    def __str__(self) -> str:
        return f"{self.module}.{self.qualname}"


_EMPTY_CELL = object()


def _cell_contents(cell: Any) -> object:
    try:
        return cell.cell_contents
    except ValueError:  # a cell not filled yet
        return _EMPTY_CELL


def _equal(a: object, b: object) -> bool:
    """`a is b`, or `a == b` when that is a plain True (not an array, not an exception)."""
    if a is b:
        return True
    try:
        return (a == b) is True
    except Exception:
        return False


def _check_owner(tag: str, func: Callable[..., Any], force_tag_nonunique: bool) -> None:
    owner = _TAG_REGISTRY.get(tag)
    if owner is None or force_tag_nonunique:
        return
    candidate = _Owner(func)
    if owner.same_as(candidate):
        return
    hint = (
        " A lambda, closure or bound method is the same function only with the same code, "
        "captured values and instance: give each its own tag, or pass force_tag_nonunique=True "
        "if they really compute the same thing."
        if owner.anonymous or candidate.anonymous
        else ""
    )
    raise ValueError(
        f"miniperscache tag {tag!r} is already used by {owner}. Please use a unique tag for "
        f"each function, or pass force_tag_nonunique=True to share it.{hint}"
    )


def require_tag(tag: object, decorator: str) -> None:
    """Catches `@cached` written without its arguments, at decoration rather than at first call."""
    if not isinstance(tag, str):
        hint = f' (write @{decorator}(tag="..."))' if callable(tag) else ""
        raise TypeError(f"{decorator}() needs a str tag, got {type(tag).__qualname__}{hint}")


def check_tag(tag: object, func: Callable[..., Any], force_tag_nonunique: bool) -> None:
    """Raises unless `tag` is a string no *other* function uses (see `register_tag`)."""
    if not isinstance(tag, str):
        raise TypeError(f"tag must be a str, got {type(tag).__qualname__}")
    with _TAG_LOCK:
        _check_owner(tag, func, force_tag_nonunique)


def register_tag(tag: str, func: Callable[..., Any], force_tag_nonunique: bool) -> None:
    """Records `func` as the user of `tag`, once its decoration has succeeded; checks again,
    atomically, in case another thread took the tag meanwhile."""
    if force_tag_nonunique:
        return
    with _TAG_LOCK:
        _check_owner(tag, func, force_tag_nonunique)
        _TAG_REGISTRY.setdefault(tag, _Owner(func))


def is_async_callable(func: object) -> bool:
    """An `async def` function, or an object with an `async def __call__`."""
    return inspect.iscoroutinefunction(func) or inspect.iscoroutinefunction(
        getattr(func, "__call__", None)  # noqa: B004 - an object with an async __call__
    )


def check_asyncness(func: Callable[..., Any], decorator: str, is_async: bool) -> None:
    """Raises ValueError when `func` is async and `decorator` is not, or the other way round."""
    name = getattr(func, "__qualname__", func)
    if is_async and not is_async_callable(func):
        plain = decorator.removesuffix("_async")
        raise ValueError(
            f"{name} is not an async function: {decorator} decorates `async def` functions; "
            f"use {plain} for regular functions"
        )
    if not is_async and is_async_callable(func):
        raise ValueError(
            f"{name} is an async function: to cache async functions, use {decorator}_async"
        )


class Setup:
    """Decoration-time work shared by every decorator: checks, key function, serializer."""

    def __init__(
        self,
        func: Callable[..., Any],
        tag: str,
        arg_hasher: Callable[..., bytes] | MkArgHasherType | None,
        value_serializer: Serializer | DumpsLoads | None,
        storage: object | None,
        force_tag_nonunique: bool,
        strict: bool,
        *,
        decorator: str,
    ) -> None:
        """`decorator` is the decorating function's name; a name ending in `_async` wants an
        `async def` function, any other a regular one."""
        name = decorator
        is_async = decorator.endswith("_async")
        if not callable(func):
            raise TypeError(f"{name} decorates a function, got {type(func).__qualname__}")
        check_asyncness(func, decorator, is_async)
        check_tag(tag, func, force_tag_nonunique)
        if storage is not None:
            if not is_async and _backends.is_async_storage(storage):
                raise TypeError(
                    f"{type(storage).__qualname__} is an async storage, which {name} cannot "
                    "use: decorate an async function with cached_async, or use a blocking "
                    "storage such as FileStorage or SqliteStorage"
                )
            _backends.check_storage(storage, tag)
        self.serializer = as_serializer(
            DillSerializer() if value_serializer is None else value_serializer
        )
        self.codec = codec_id(self.serializer)
        self.key_of: KeyFunction
        self.binder: ArgumentBinder | None
        self.key_of, self.binder = key_function(
            func, arg_hasher, batch=decorator.startswith("batch_")
        )
        self.func = func
        self.tag = tag
        self.storage = storage
        self.strict = strict
        self.resolved_sync: _backends.SyncBackend | None = None
        self.resolved_async: _backends.AsyncBackend | None = None
        self._force = force_tag_nonunique

    def done(self) -> None:
        """Call last: the decoration succeeded, so the tag is now taken."""
        register_tag(self.tag, self.func, self._force)

    def _storage(self) -> object | None:
        """The storage, opening the default one if needed; None (logged) when it cannot be opened,
        so that the call runs uncached. Retried on the next call."""
        if self.storage is not None:
            return self.storage
        try:
            return _backends.default_storage()
        except Exception as exc:
            if self.strict:
                raise
            self.problem("opening the default storage", exc)
            return None

    def sync_backend(self) -> _backends.SyncBackend:
        if self.resolved_sync is None:
            storage = self._storage()
            if storage is None:
                return _backends.NullBackend()
            self.resolved_sync = _backends.sync_backend(storage, self.tag, self.codec)
        return self.resolved_sync

    def async_backend(self) -> _backends.AsyncBackend:
        if self.resolved_async is None:
            storage = self._storage()
            if storage is None:
                return _backends.AsyncBackend(_backends.NullBackend())
            self.resolved_async = _backends.async_backend(storage, self.tag, self.codec)
        return self.resolved_async

    def problem(self, what: str, exc: BaseException) -> None:
        """Logs a cache problem the call survives."""
        logger.warning(
            "miniperscache: %s failed for tag %r (%s: %s); continuing without the cache",
            what,
            self.tag,
            type(exc).__qualname__,
            exc,
        )

    def load(self, payload: bytes | None, key: bytes) -> tuple[bool, Any]:
        """(True, value) for a usable entry; (False, None) for a miss."""
        if payload is not None:
            try:
                value = self.serializer.deserialize(payload)
            except Exception as exc:
                if self.strict:
                    raise SerializationError(
                        f"cannot deserialize the entry for tag {self.tag!r}: {exc}"
                    ) from exc
                self.problem("deserializing a cached value", exc)
            else:
                if logger.isEnabledFor(logging.DEBUG):
                    logger.debug("Cache hit for %s with key %s", self.tag, key.hex())
                return True, value
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("Cache miss for %s with key %s", self.tag, key.hex())
        return False, None

    def dump(self, value: Any) -> bytes | None:
        """The serialized value, or None (logged) when it cannot be serialized."""
        try:
            data = self.serializer.serialize(value)
            if not isinstance(data, bytes):
                data = bytes(data)
            return data
        except Exception as exc:
            if self.strict:
                raise SerializationError(
                    f"cannot serialize the result of {self.tag!r} with "
                    f"{type(self.serializer).__qualname__}: {exc}"
                ) from exc
            self.problem("serializing the result", exc)
            return None

    def storage_failed(self, what: str, exc: Exception) -> None:
        """A storage call raised: re-raise when strict (damaged entries never), else log."""
        if self.strict and not isinstance(exc, CorruptEntryError):
            raise exc
        self.problem(what, exc)
