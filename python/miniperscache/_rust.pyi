"""The compiled engine (crates/python). Private: use the public classes in `miniperscache`.

Bytes cross the boundary: Python serializers run in Python, Rust stores `bytes`. Every store call
releases the GIL while SQLite or the file system works.
"""

from collections.abc import Sequence
from os import PathLike
from typing import Any, Callable, final

__all__ = [
    "KEY_FORMAT_VERSION",
    "FileStore",
    "SqliteStore",
    "__version__",
    "hash_arguments",
    "hash_values",
    "raw_key",
    "validate_path_tag",
]

__version__: str
KEY_FORMAT_VERSION: int

@final
class SqliteStore:
    """The embedded SQLite store (WAL, busy timeout, 0600 file). `path=None`: the default location,
    `$MINIPERSCACHE_DIR/miniperscache.db` or `.miniperscache/miniperscache.db` under the cwd."""

    def __new__(cls, path: str | PathLike[str] | None = None) -> SqliteStore: ...
    @property
    def path(self) -> str: ...
    def __reduce__(self) -> tuple[type[SqliteStore], tuple[str]]:
        """Pickles as the path: unpickling opens the same database."""
    def get(self, tag: str, key: bytes, codec: str | None = None) -> bytes | None:
        """The payload stored under (tag, key), or None when absent, expired, damaged, or written
        by another codec (`codec=None` accepts any codec). `key` must be 32 bytes."""
    def get_many(
        self, tag: str, keys: Sequence[bytes], codec: str | None = None
    ) -> list[bytes | None]:
        """Like `get` for many keys, in one transaction."""
    def set(
        self, tag: str, key: bytes, payload: bytes, codec: str, ttl: float | None = None
    ) -> None:
        """Stores `payload` in an entry envelope stamped with `codec`; `ttl` in seconds."""
    def set_many(
        self,
        tag: str,
        items: Sequence[tuple[bytes, bytes]],
        codec: str,
        ttl: float | None = None,
    ) -> None:
        """Stores many (key, payload) pairs in one transaction."""
    def delete(self, tag: str, key: bytes) -> bool: ...
    def delete_tag(self, tag: str) -> int:
        """Removes every entry of `tag`; returns how many there were."""
    def tags(self) -> list[tuple[str, int, int]]:
        """(tag, entries, bytes) for every tag, sorted by tag."""

@final
class FileStore:
    """One file per entry under `<root>/<tag>/<key hex>`; atomic writes. `root=None`: the default
    location, `<cache dir>/files-v1`. Tags with '/', '\\\\', NUL, '.', '..' or empty raise
    InvalidTagError (a ValueError)."""

    def __new__(cls, root: str | PathLike[str] | None = None) -> FileStore: ...
    @property
    def root(self) -> str: ...
    def __reduce__(self) -> tuple[type[FileStore], tuple[str]]:
        """Pickles as the root: unpickling opens the same folder."""
    def get(self, tag: str, key: bytes, codec: str | None = None) -> bytes | None: ...
    def get_many(
        self, tag: str, keys: Sequence[bytes], codec: str | None = None
    ) -> list[bytes | None]: ...
    def set(
        self, tag: str, key: bytes, payload: bytes, codec: str, ttl: float | None = None
    ) -> None: ...
    def set_many(
        self,
        tag: str,
        items: Sequence[tuple[bytes, bytes]],
        codec: str,
        ttl: float | None = None,
    ) -> None: ...
    def delete(self, tag: str, key: bytes) -> bool: ...
    def delete_tag(self, tag: str) -> int: ...
    def tags(self) -> list[tuple[str, int, int]]: ...

def hash_arguments(
    arguments: Sequence[tuple[str, Any]],
    batch: bool = False,
    fallback: Callable[[Any], Any] | None = None,
) -> bytes:
    """The 32-byte key of bound call arguments: (parameter name, value) pairs in signature order,
    skipped ones already removed. `batch=True` keys one element of a batched call (a different key
    domain, so it never collides with a plain call's key). `fallback(obj)` is asked for a surrogate
    value for objects of types the walker doesn't know (it returns NotImplemented to refuse);
    unsupported arguments raise TypeError naming the parameter, its type, and the ways out
    (skip_args, arg_hasher, __cache_key__)."""

def hash_values(
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    fallback: Callable[[Any], Any] | None = None,
) -> bytes:
    """The 32-byte key of positional and keyword values as given (kwargs order-insensitive); backs
    `default_raw_arg_hasher`."""

def raw_key(material: bytes, batch: bool = False) -> bytes:
    """The 32-byte key of raw key bytes a user's arg_hasher returned (any length); `batch=True`
    keys one element of a batched call, in a domain of its own."""

def validate_path_tag(tag: str) -> None:
    """Raises InvalidTagError (a ValueError) for a tag a file store cannot hold: empty, '.', '..',
    containing '/', '\\' or NUL, or longer than 255 bytes."""
