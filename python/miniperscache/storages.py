"""Storages: where entries live. The built-in ones are thin wrappers over the Rust engine.

`Storage` and `AsyncStorage` are 0.1.3's interfaces: subclass one (or write any object with the
same methods) to keep entries somewhere else. The decorators pass keys of 32 bytes.

The built-in storages (`SqliteStorage`, `FileStorage`, `AsyncFileStorage`) keep the 0.1.3 methods
`get(tag, key)`, `set(tag, key, value)` and `delete_with_tag(tag)`, and add `delete_tag(tag)`, which
returns how many entries it removed. They can be used from any thread. Keys of another length than
32 bytes are hashed to 32 bytes first, so long custom keys work.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, Callable, TypeVar, Union

from . import _rust

__all__ = ["AsyncFileStorage", "AsyncStorage", "FileStorage", "SqliteStorage", "Storage"]

StrPath = Union[str, "os.PathLike[str]"]

#: The codec stamped on entries written through the public `set()`, whose bytes are not the
#: output of a known serializer. `get()` without a codec reads entries of any codec.
RAW_CODEC = "py:raw"


T = TypeVar("T")


async def to_thread(func: Callable[..., T], /, *args: Any) -> T:
    """`asyncio.to_thread`; asyncio (~15 ms to import) is only imported once async code runs."""
    import asyncio

    return await asyncio.to_thread(func, *args)


def _as_bytes(what: str, value: object) -> bytes:
    if not isinstance(value, (bytes, bytearray, memoryview)):
        raise TypeError(
            f"{what} must be bytes, not {type(value).__qualname__}; "
            f"encode text first, e.g. {what}.encode()"
        )
    return bytes(value)


def _store_key(key: bytes) -> bytes:
    key = _as_bytes("key", key)
    return key if len(key) == 32 else _rust.raw_key(key)


class Storage(ABC):
    """A blocking storage: bytes in, bytes out, grouped by tag."""

    @abstractmethod
    def get(self, tag: str, key: bytes) -> bytes | None:
        """The value stored under (tag, key), or None."""

    @abstractmethod
    def set(self, tag: str, key: bytes, value: bytes) -> None:
        """Stores `value` under (tag, key), replacing any previous value."""

    @abstractmethod
    def delete_with_tag(self, tag: str) -> None:
        """Removes every entry of `tag`."""


class AsyncStorage(ABC):
    """An async storage: the same methods as `Storage`, as coroutines."""

    @abstractmethod
    async def get(self, tag: str, key: bytes) -> bytes | None:
        """The value stored under (tag, key), or None."""

    @abstractmethod
    async def set(self, tag: str, key: bytes, value: bytes) -> None:
        """Stores `value` under (tag, key), replacing any previous value."""

    @abstractmethod
    async def delete_with_tag(self, tag: str) -> None:
        """Removes every entry of `tag`."""


class RustStorage(Storage):
    """Shared code of the storages backed by a Rust store (`self._store`)."""

    _store: _rust.SqliteStore | _rust.FileStore

    def get(self, tag: str, key: bytes) -> bytes | None:
        return self._store.get(tag, _store_key(key))

    def set(self, tag: str, key: bytes, value: bytes) -> None:
        self._store.set(tag, _store_key(key), _as_bytes("value", value), RAW_CODEC)

    def delete_with_tag(self, tag: str) -> None:
        self._store.delete_tag(tag)

    def delete_tag(self, tag: str) -> int:
        """Removes every entry of `tag`; returns how many there were."""
        return self._store.delete_tag(tag)

    def validate_tag(self, tag: str) -> None:
        """Raises InvalidTagError for a tag this store cannot hold (checked at decoration)."""

    def tags(self) -> list[tuple[str, int, int]]:
        """(tag, entries, bytes) for every tag in the store, sorted by tag."""
        return self._store.tags()


class SqliteStorage(RustStorage):
    """The default storage: one SQLite file (WAL mode), safe to share between threads and
    processes.

    `db_path=None` means `$MINIPERSCACHE_DIR/miniperscache.db`, or `.miniperscache/miniperscache.db`
    under the working directory as in 0.1.3. A new cache folder is created 0700 and the database
    0600. A 0.1.3 database in the same file is left untouched (the engine uses its own table).
    """

    def __init__(self, db_path: StrPath | None = None) -> None:
        self._store = _rust.SqliteStore(db_path)
        self.db_path = Path(self._store.path)

    def __repr__(self) -> str:
        return f"SqliteStorage({str(self.db_path)!r})"


class FileStorage(RustStorage):
    """One file per entry, under `<path>/<tag>/<key hex>`; writes are atomic (temp file + rename).

    `path=None` means `$MINIPERSCACHE_DIR/files-v1`, or `.miniperscache/files-v1` under the working
    directory. Since tags name folders, tags that are empty, `.`, `..`, longer than 255 bytes or
    contain `/`, `\\` or NUL raise InvalidTagError (a ValueError).
    """

    def __init__(self, path: StrPath | None = None) -> None:
        self._store = _rust.FileStore(path)
        self.path = Path(self._store.root)

    def __repr__(self) -> str:
        return f"FileStorage({str(self.path)!r})"

    def validate_tag(self, tag: str) -> None:
        _rust.validate_path_tag(tag)


class AsyncFileStorage(AsyncStorage):
    """`FileStorage` for async code: each call runs in a worker thread (`asyncio.to_thread`)."""

    def __init__(self, path: StrPath | None = None) -> None:
        self.storage = FileStorage(path)
        self.path = self.storage.path

    def __repr__(self) -> str:
        return f"AsyncFileStorage({str(self.path)!r})"

    async def get(self, tag: str, key: bytes) -> bytes | None:
        return await to_thread(self.storage.get, tag, key)

    async def set(self, tag: str, key: bytes, value: bytes) -> None:
        await to_thread(self.storage.set, tag, key, value)

    async def delete_with_tag(self, tag: str) -> None:
        await to_thread(self.storage.delete_tag, tag)

    async def delete_tag(self, tag: str) -> int:
        """Removes every entry of `tag`; returns how many there were."""
        return await to_thread(self.storage.delete_tag, tag)

    def validate_tag(self, tag: str) -> None:
        """Raises InvalidTagError for a tag this store cannot hold (checked at decoration)."""
        _rust.validate_path_tag(tag)
