"""`batch_cached` and `batch_cached_async`: functions over lists, cached element by element.

The decorated function takes one or more equally long sequences (named by `batch_argument_names`)
and returns one result per element, in order. A call looks every element up in one storage
transaction, calls the function once with only the elements that missed (each distinct element
once), stores their results in one transaction, and returns all results in the caller's order.
A fully cached call doesn't call the function.

An element's key is its call with each batch argument replaced by that element, hashed in a key
domain of its own (`_rust.hash_arguments(..., batch=True)`), so it never collides with a plain
`cached` key of the same tag.
"""

from __future__ import annotations

import functools
from collections.abc import Coroutine, Sequence
from typing import Any, Callable, TypeVar, cast

from typing_extensions import ParamSpec, Protocol

from ._batch_call import Batch
from ._keys import MkArgHasherType
from ._setup import Setup, require_tag
from .serializers import DumpsLoads, Serializer
from .storages import AsyncStorage, Storage

__all__ = [
    "AsyncBatchCachedFunction",
    "BatchCachedFunction",
    "async_batch_cached",
    "batch_cached",
    "batch_cached_async",
    "mk_async_batch_cached",
    "mk_batch_cached",
    "mk_batch_cached_async",
]

P = ParamSpec("P")
R = TypeVar("R")


class BatchCachedFunction(Protocol[P, R]):
    """What `batch_cached` returns: the function, plus `cache_keys()` and `cache_clear()`."""

    __wrapped__: Callable[P, Sequence[R]]

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> list[R]: ...

    def cache_keys(self, *args: P.args, **kwargs: P.kwargs) -> list[bytes]:
        """The 32-byte key of each element of this call."""
        ...

    def cache_clear(self) -> None:
        """Deletes every entry of this function's tag."""
        ...


class AsyncBatchCachedFunction(Protocol[P, R]):
    """What `batch_cached_async` returns; `cache_clear()` is a coroutine."""

    __wrapped__: Callable[P, Coroutine[Any, Any, Sequence[R]]]

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> Coroutine[Any, Any, list[R]]: ...

    def cache_keys(self, *args: P.args, **kwargs: P.kwargs) -> list[bytes]:
        """The 32-byte key of each element of this call."""
        ...

    async def cache_clear(self) -> None:
        """Deletes every entry of this function's tag."""
        ...


def _finish(wrapper: Callable[..., Any], batch: Batch) -> None:
    functools.update_wrapper(wrapper, batch.func)

    def cache_keys(*args: Any, **kwargs: Any) -> list[bytes]:
        return batch.start(args, kwargs).keys

    wrapper.cache_keys = cache_keys  # type: ignore[attr-defined]


def mk_batch_cached(
    func: Callable[P, Sequence[R]],
    tag: str,
    batch_argument_names: list[str] | None = None,
    arg_hasher: Callable[..., bytes] | MkArgHasherType | None = None,
    value_serializer: Serializer | DumpsLoads | None = None,
    storage: Storage | None = None,
    force_tag_nonunique: bool = False,
    *,
    strict: bool = False,
) -> BatchCachedFunction[P, R]:
    """`batch_cached(...)(func)`; see `batch_cached` for the options."""
    setup = Setup(
        func,
        tag,
        arg_hasher,
        value_serializer,
        storage,
        force_tag_nonunique,
        strict,
        decorator="batch_cached",
    )
    batch = Batch(setup, func, batch_argument_names)

    def wrapper(*args: P.args, **kwargs: P.kwargs) -> list[R]:
        call = batch.start(args, kwargs)
        backend = setup.resolved_sync or setup.sync_backend()
        try:
            payloads = backend.get_many(call.unique) if call.unique else []
        except Exception as exc:
            setup.storage_failed("reading the cache", exc)
            payloads = [None] * len(call.unique)
        todo = call.take(payloads)
        if todo is not None:
            items = call.give(func(*todo[0], **todo[1]))
            if items:
                try:
                    backend.set_many(items)
                except Exception as exc:
                    setup.storage_failed("writing the cache", exc)
        return call.results()

    def cache_clear() -> None:
        setup.sync_backend().clear()

    _finish(wrapper, batch)
    wrapper.cache_clear = cache_clear  # type: ignore[attr-defined]
    setup.done()
    return cast(BatchCachedFunction[P, R], wrapper)


def batch_cached(
    tag: str,
    batch_argument_names: list[str] | None = None,
    arg_hasher: Callable[..., bytes] | MkArgHasherType | None = None,
    value_serializer: Serializer | DumpsLoads | None = None,
    storage: Storage | None = None,
    force_tag_nonunique: bool = False,
    *,
    strict: bool = False,
) -> Callable[[Callable[P, Sequence[R]]], BatchCachedFunction[P, R]]:
    """Caches a function over sequences element by element (0.1.3's `batch_cached`).

    # Parameters
    - `batch_argument_names`: the parameters holding the (equally long) sequences; required.
    - the other options are `cached`'s.

    ```python
    @batch_cached(tag="embed", batch_argument_names=["texts"])
    def embed(model: str, texts: list[str]) -> list[list[float]]:
        ...
    ```
    Only the elements not cached yet reach the function, each distinct one once; lists, tuples
    and numpy arrays are passed as the same kind of sequence. A result list of the wrong length
    raises ValueError.
    """

    require_tag(tag, "batch_cached")

    def decorator(func: Callable[P, Sequence[R]]) -> BatchCachedFunction[P, R]:
        return mk_batch_cached(
            func,
            tag,
            batch_argument_names,
            arg_hasher,
            value_serializer,
            storage,
            force_tag_nonunique,
            strict=strict,
        )

    return decorator


def mk_batch_cached_async(
    func: Callable[P, Coroutine[Any, Any, Sequence[R]]],
    tag: str,
    batch_argument_names: list[str] | None = None,
    arg_hasher: Callable[..., bytes] | MkArgHasherType | None = None,
    value_serializer: Serializer | DumpsLoads | None = None,
    storage: Storage | AsyncStorage | None = None,
    force_tag_nonunique: bool = False,
    *,
    strict: bool = False,
) -> AsyncBatchCachedFunction[P, R]:
    """`batch_cached_async(...)(func)`; see `batch_cached_async` for the options."""
    setup = Setup(
        func,
        tag,
        arg_hasher,
        value_serializer,
        storage,
        force_tag_nonunique,
        strict,
        decorator="batch_cached_async",
    )
    batch = Batch(setup, func, batch_argument_names)

    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> list[R]:
        call = batch.start(args, kwargs)
        backend = setup.resolved_async or setup.async_backend()
        try:
            payloads = await backend.get_many(call.unique) if call.unique else []
        except Exception as exc:
            setup.storage_failed("reading the cache", exc)
            payloads = [None] * len(call.unique)
        todo = call.take(payloads)
        if todo is not None:
            items = call.give(await func(*todo[0], **todo[1]))
            if items:
                try:
                    await backend.set_many(items)
                except Exception as exc:
                    setup.storage_failed("writing the cache", exc)
        return call.results()

    async def cache_clear() -> None:
        await setup.async_backend().clear()

    _finish(wrapper, batch)
    wrapper.cache_clear = cache_clear  # type: ignore[attr-defined]
    setup.done()
    return cast(AsyncBatchCachedFunction[P, R], wrapper)


def batch_cached_async(
    tag: str,
    batch_argument_names: list[str] | None = None,
    arg_hasher: Callable[..., bytes] | MkArgHasherType | None = None,
    value_serializer: Serializer | DumpsLoads | None = None,
    storage: Storage | AsyncStorage | None = None,
    force_tag_nonunique: bool = False,
    *,
    strict: bool = False,
) -> Callable[[Callable[P, Coroutine[Any, Any, Sequence[R]]]], AsyncBatchCachedFunction[P, R]]:
    """`batch_cached` for `async def` functions (0.1.3's `async_batch_cached`)."""

    require_tag(tag, "batch_cached_async")

    def decorator(
        func: Callable[P, Coroutine[Any, Any, Sequence[R]]],
    ) -> AsyncBatchCachedFunction[P, R]:
        return mk_batch_cached_async(
            func,
            tag,
            batch_argument_names,
            arg_hasher,
            value_serializer,
            storage,
            force_tag_nonunique,
            strict=strict,
        )

    return decorator


#: 0.1.3's names.
async_batch_cached = batch_cached_async
mk_async_batch_cached = mk_batch_cached_async
