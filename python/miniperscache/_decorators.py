"""`cached` and `cached_async`: the decorators and their wrappers.

Both take the same options (0.1.3's, in 0.1.3's order, plus the keyword-only `strict`). A call
binds its arguments to a key, reads the storage, and on a miss runs the function and stores its
serialized result. A cache problem (storage down, value not serializable, damaged entry) is logged
as a warning under the `miniperscache` logger and the call goes on uncached, unless `strict=True`.
"""

from __future__ import annotations

import functools
from collections.abc import Coroutine
from typing import Any, Callable, TypeVar, cast, overload

from typing_extensions import ParamSpec, Protocol, Self

from ._keys import MkArgHasherType
from ._setup import Setup, require_tag
from .serializers import DumpsLoads, Serializer
from .storages import AsyncStorage, Storage

__all__ = [
    "AsyncCachedFunction",
    "CachedFunction",
    "cached",
    "cached_async",
    "mk_cached",
    "mk_cached_async",
]

P = ParamSpec("P")
R = TypeVar("R")


class CachedFunction(Protocol[P, R]):
    """What `cached` returns: the function, plus `cache_key()` and `cache_clear()`."""

    __wrapped__: Callable[P, R]

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R: ...

    def cache_key(self, *args: P.args, **kwargs: P.kwargs) -> bytes:
        """The 32-byte key the storage uses for this call."""
        ...

    def cache_clear(self) -> None:
        """Deletes every entry of this function's tag."""
        ...

    # A decorated method: looked up on an instance it is bound, like any function. The bound
    # form's parameters are not spelled out (ParamSpec cannot drop `self`), its result type is.
    @overload
    def __get__(self, instance: None, owner: type[Any] | None = None) -> Self: ...
    @overload
    def __get__(self, instance: object, owner: type[Any] | None = None) -> Callable[..., R]: ...
    def __get__(self, instance: object, owner: type[Any] | None = None) -> Any: ...


class AsyncCachedFunction(Protocol[P, R]):
    """What `cached_async` returns: the coroutine function, plus `cache_key()` and an async
    `cache_clear()`."""

    __wrapped__: Callable[P, Coroutine[Any, Any, R]]

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> Coroutine[Any, Any, R]: ...

    def cache_key(self, *args: P.args, **kwargs: P.kwargs) -> bytes:
        """The 32-byte key the storage uses for this call."""
        ...

    async def cache_clear(self) -> None:
        """Deletes every entry of this function's tag."""
        ...

    @overload
    def __get__(self, instance: None, owner: type[Any] | None = None) -> Self: ...
    @overload
    def __get__(
        self, instance: object, owner: type[Any] | None = None
    ) -> Callable[..., Coroutine[Any, Any, R]]: ...
    def __get__(self, instance: object, owner: type[Any] | None = None) -> Any: ...


def _finish(wrapper: Callable[..., Any], setup: Setup) -> None:
    """Copies the function's metadata onto `wrapper` and adds `cache_key`."""
    functools.update_wrapper(wrapper, setup.func)
    key_of = setup.key_of

    def cache_key(*args: Any, **kwargs: Any) -> bytes:
        return key_of(args, kwargs)

    wrapper.cache_key = cache_key  # type: ignore[attr-defined]


def mk_cached(
    func: Callable[P, R],
    tag: str,
    arg_hasher: Callable[..., bytes] | MkArgHasherType | None = None,
    value_serializer: Serializer | DumpsLoads | None = None,
    storage: Storage | None = None,
    force_tag_nonunique: bool = False,
    *,
    strict: bool = False,
) -> CachedFunction[P, R]:
    """`cached(...)(func)`; see `cached` for the options."""
    setup = Setup(
        func,
        tag,
        arg_hasher,
        value_serializer,
        storage,
        force_tag_nonunique,
        strict,
        decorator="cached",
    )
    key_of, load, dump = setup.key_of, setup.load, setup.dump

    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        key = key_of(args, kwargs)
        backend = setup.resolved_sync or setup.sync_backend()
        try:
            payload = backend.get(key)
        except Exception as exc:
            setup.storage_failed("reading the cache", exc)
            payload = None
        hit, value = load(payload, key)
        if hit:
            return cast(R, value)
        result = func(*args, **kwargs)
        data = dump(result)
        if data is not None:
            try:
                backend.set(key, data)
            except Exception as exc:
                setup.storage_failed("writing the cache", exc)
        return result

    def cache_clear() -> None:
        setup.sync_backend().clear()

    _finish(wrapper, setup)
    wrapper.cache_clear = cache_clear  # type: ignore[attr-defined]
    setup.done()
    return cast(CachedFunction[P, R], wrapper)


def cached(
    tag: str,
    arg_hasher: Callable[..., bytes] | MkArgHasherType | None = None,
    value_serializer: Serializer | DumpsLoads | None = None,
    storage: Storage | None = None,
    force_tag_nonunique: bool = False,
    *,
    strict: bool = False,
) -> Callable[[Callable[P, R]], CachedFunction[P, R]]:
    """Caches a function's results persistently, keyed by its arguments.

    # Parameters
    - `tag`: names this function's entries; unique per function in a process (re-decorating the
      same function is fine).
    - `arg_hasher`: how a call becomes a key. Default `DefaultArgHasher()`: every argument bound
      to its parameter and hashed. Or `DefaultArgHasher(skip_args=[...])`, or a function taking
      the same arguments and returning bytes (e.g. via `default_raw_arg_hasher`).
    - `value_serializer`: default `DillSerializer()`; any object with serialize/deserialize or
      dumps/loads.
    - `storage`: default the process-wide `SqliteStorage()`, opened on the first call.
    - `force_tag_nonunique`: allow several functions to share `tag`.
    - `strict`: let storage and serialization errors propagate instead of logging a warning and
      running uncached.

    # Return value
    A decorator; the decorated function keeps its name, docstring, signature and types, and gains
    `cache_key(*args, **kwargs)` and `cache_clear()`.

    # Raises
    At decoration: ValueError for a tag another function uses, for an async function, or for an
    unknown `skip_args` name; TypeError for an async storage. At call time: TypeError for an
    argument that cannot be hashed (the message says how to skip it).

    ```python
    @cached(tag="expensive_calculation")
    def expensive_calculation(x: int, y: int) -> float:
        return x * y
    ```
    """

    require_tag(tag, "cached")

    def decorator(func: Callable[P, R]) -> CachedFunction[P, R]:
        return mk_cached(
            func, tag, arg_hasher, value_serializer, storage, force_tag_nonunique, strict=strict
        )

    return decorator


def mk_cached_async(
    func: Callable[P, Coroutine[Any, Any, R]],
    tag: str,
    arg_hasher: Callable[..., bytes] | MkArgHasherType | None = None,
    value_serializer: Serializer | DumpsLoads | None = None,
    storage: Storage | AsyncStorage | None = None,
    force_tag_nonunique: bool = False,
    *,
    strict: bool = False,
) -> AsyncCachedFunction[P, R]:
    """`cached_async(...)(func)`; see `cached_async` for the options."""
    setup = Setup(
        func,
        tag,
        arg_hasher,
        value_serializer,
        storage,
        force_tag_nonunique,
        strict,
        decorator="cached_async",
    )
    key_of, load, dump = setup.key_of, setup.load, setup.dump

    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        key = key_of(args, kwargs)
        backend = setup.resolved_async or setup.async_backend()
        try:
            payload = await backend.get(key)
        except Exception as exc:
            setup.storage_failed("reading the cache", exc)
            payload = None
        hit, value = load(payload, key)
        if hit:
            return cast(R, value)
        result = await func(*args, **kwargs)
        data = dump(result)
        if data is not None:
            try:
                await backend.set(key, data)
            except Exception as exc:
                setup.storage_failed("writing the cache", exc)
        return result

    async def cache_clear() -> None:
        await setup.async_backend().clear()

    _finish(wrapper, setup)
    wrapper.cache_clear = cache_clear  # type: ignore[attr-defined]
    setup.done()
    return cast(AsyncCachedFunction[P, R], wrapper)


def cached_async(
    tag: str,
    arg_hasher: Callable[..., bytes] | MkArgHasherType | None = None,
    value_serializer: Serializer | DumpsLoads | None = None,
    storage: Storage | AsyncStorage | None = None,
    force_tag_nonunique: bool = False,
    *,
    strict: bool = False,
) -> Callable[[Callable[P, Coroutine[Any, Any, R]]], AsyncCachedFunction[P, R]]:
    """`cached` for `async def` functions; the same options, and `storage` may also be an
    `AsyncStorage` (awaited) such as `AsyncFileStorage`. Built-in blocking storages are called
    inline (their calls are short and release the GIL). `cache_clear()` is a coroutine.

    ```python
    @cached_async(tag="expensive_calculation")
    async def expensive_calculation(x: int, y: int) -> float:
        return await fetch_expensive_data(x, y)
    ```
    """

    require_tag(tag, "cached_async")

    def decorator(func: Callable[P, Coroutine[Any, Any, R]]) -> AsyncCachedFunction[P, R]:
        return mk_cached_async(
            func, tag, arg_hasher, value_serializer, storage, force_tag_nonunique, strict=strict
        )

    return decorator
