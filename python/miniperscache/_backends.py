"""What the decorators talk to: one storage, one tag, one codec, behind one small interface.

The built-in storages take the fast path straight into the Rust store, which stamps each entry
with the serializer's codec id and does batches in one transaction. A user's storage gets 0.1.3's
calls (`get(tag, key)`, `set(tag, key, value)`, `delete_with_tag(tag)`), looped for batches.

The default storage is one `SqliteStorage()` per process, opened on the first call of a function
that uses it, so `$MINIPERSCACHE_DIR` and the working directory at that moment decide where it is.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Sequence
from typing import Any

from . import _rust
from .storages import AsyncFileStorage, AsyncStorage, RustStorage, SqliteStorage, to_thread

__all__ = [
    "AsyncBackend",
    "NullBackend",
    "SyncBackend",
    "async_backend",
    "check_storage",
    "default_storage",
    "is_async_storage",
    "sync_backend",
]

_default: SqliteStorage | None = None
_default_lock = threading.Lock()


def default_storage() -> SqliteStorage:
    """The process-wide default storage, opened on first use."""
    global _default
    with _default_lock:
        if _default is None:
            _default = SqliteStorage()
        return _default


def reset_default_storage() -> None:
    """Forgets the default storage (tests point `$MINIPERSCACHE_DIR` elsewhere each time)."""
    global _default
    with _default_lock:
        _default = None


def is_async_storage(storage: object) -> bool:
    """True for an AsyncStorage, or any object whose `get` is a coroutine function."""
    return isinstance(storage, AsyncStorage) or inspect.iscoroutinefunction(
        getattr(storage, "get", None)
    )


def check_storage(storage: object, tag: str) -> None:
    """Raises TypeError unless `storage` has get/set/delete_with_tag; lets it refuse `tag`."""
    missing = [m for m in ("get", "set") if not callable(getattr(storage, m, None))]
    if missing:
        raise TypeError(
            f"storage must have get(tag, key) and set(tag, key, value) methods (like "
            f"miniperscache.Storage); {type(storage).__qualname__} has no {' or '.join(missing)}()"
        )
    validate = getattr(storage, "validate_tag", None)
    if isinstance(storage, (RustStorage, AsyncFileStorage)) and validate is not None:
        validate(tag)


def _rust_store(storage: object) -> _rust.SqliteStore | _rust.FileStore | None:
    """The Rust store behind a built-in storage whose get/set a subclass didn't override."""
    if isinstance(storage, RustStorage):
        cls = type(storage)
        if cls.get is RustStorage.get and cls.set is RustStorage.set:
            return storage._store
    return None


class SyncBackend:
    """A user's blocking storage (0.1.3's interface)."""

    def __init__(self, storage: Any, tag: str) -> None:
        self.storage = storage
        self.tag = tag

    def get(self, key: bytes) -> bytes | None:
        value = self.storage.get(self.tag, key)
        return None if value is None else bytes(value)

    def set(self, key: bytes, payload: bytes) -> None:
        self.storage.set(self.tag, key, payload)

    def get_many(self, keys: Sequence[bytes]) -> list[bytes | None]:
        return [self.get(key) for key in keys]

    def set_many(self, items: Sequence[tuple[bytes, bytes]]) -> None:
        for key, payload in items:
            self.set(key, payload)

    def clear(self) -> None:
        self.storage.delete_with_tag(self.tag)


class _RustBackend(SyncBackend):
    """A built-in storage: entries stamped with the codec; batches in one transaction."""

    def __init__(self, store: _rust.SqliteStore | _rust.FileStore, tag: str, codec: str) -> None:
        self.store = store
        self.tag = tag
        self.codec = codec

    def get(self, key: bytes) -> bytes | None:
        return self.store.get(self.tag, key, self.codec)

    def set(self, key: bytes, payload: bytes) -> None:
        self.store.set(self.tag, key, payload, self.codec)

    def get_many(self, keys: Sequence[bytes]) -> list[bytes | None]:
        return self.store.get_many(self.tag, keys, self.codec)

    def set_many(self, items: Sequence[tuple[bytes, bytes]]) -> None:
        self.store.set_many(self.tag, items, self.codec)

    def clear(self) -> None:
        self.store.delete_tag(self.tag)


class NullBackend(SyncBackend):
    """Stands in while a storage cannot be opened: every read misses, writes go nowhere."""

    def __init__(self) -> None:
        pass

    def get(self, key: bytes) -> bytes | None:
        return None

    def set(self, key: bytes, payload: bytes) -> None:
        pass

    def clear(self) -> None:
        pass


def sync_backend(storage: object, tag: str, codec: str) -> SyncBackend:
    """The backend for a blocking storage."""
    store = _rust_store(storage)
    if store is not None:
        return _RustBackend(store, tag, codec)
    return SyncBackend(storage, tag)


class AsyncBackend:
    """A blocking backend called inline from async code (the built-in stores release the GIL and
    SQLite calls are short)."""

    def __init__(self, inner: SyncBackend) -> None:
        self.inner = inner

    async def get(self, key: bytes) -> bytes | None:
        return self.inner.get(key)

    async def set(self, key: bytes, payload: bytes) -> None:
        self.inner.set(key, payload)

    async def get_many(self, keys: Sequence[bytes]) -> list[bytes | None]:
        return self.inner.get_many(keys)

    async def set_many(self, items: Sequence[tuple[bytes, bytes]]) -> None:
        self.inner.set_many(items)

    async def clear(self) -> None:
        self.inner.clear()


class _ThreadBackend(AsyncBackend):
    """A blocking backend run in worker threads (AsyncFileStorage)."""

    async def get(self, key: bytes) -> bytes | None:
        return await to_thread(self.inner.get, key)

    async def set(self, key: bytes, payload: bytes) -> None:
        await to_thread(self.inner.set, key, payload)

    async def get_many(self, keys: Sequence[bytes]) -> list[bytes | None]:
        return await to_thread(self.inner.get_many, keys)

    async def set_many(self, items: Sequence[tuple[bytes, bytes]]) -> None:
        await to_thread(self.inner.set_many, items)

    async def clear(self) -> None:
        await to_thread(self.inner.clear)


class _UserAsyncBackend(AsyncBackend):
    """A user's async storage (0.1.3's AsyncStorage interface)."""

    def __init__(self, storage: Any, tag: str) -> None:
        self.storage = storage
        self.tag = tag

    async def get(self, key: bytes) -> bytes | None:
        value = await self.storage.get(self.tag, key)
        return None if value is None else bytes(value)

    async def set(self, key: bytes, payload: bytes) -> None:
        await self.storage.set(self.tag, key, payload)

    async def get_many(self, keys: Sequence[bytes]) -> list[bytes | None]:
        return [await self.get(key) for key in keys]

    async def set_many(self, items: Sequence[tuple[bytes, bytes]]) -> None:
        for key, payload in items:
            await self.set(key, payload)

    async def clear(self) -> None:
        await self.storage.delete_with_tag(self.tag)


def async_backend(storage: object, tag: str, codec: str) -> AsyncBackend:
    """The backend for a storage used from async code, blocking or async."""
    if isinstance(storage, AsyncFileStorage):
        cls = type(storage)
        if cls.get is AsyncFileStorage.get and cls.set is AsyncFileStorage.set:
            return _ThreadBackend(sync_backend(storage.storage, tag, codec))
    if is_async_storage(storage):
        return _UserAsyncBackend(storage, tag)
    backend = sync_backend(storage, tag, codec)
    if isinstance(backend, _RustBackend):
        return AsyncBackend(backend)  # short calls that release the GIL: inline
    # A user's blocking storage may take any time: keep it off the event loop.
    return _ThreadBackend(backend)
