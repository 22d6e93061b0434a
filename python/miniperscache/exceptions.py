"""Exceptions raised by miniperscache.

    Exception
    └── CacheError                  anything miniperscache raises on its own behalf
        ├── StorageError (OSError)  a store failed: SQLite, the file system, Redis
        ├── CorruptEntryError       a stored entry is damaged (normally read as a miss, never raised
        │                           to a decorated function's caller)
        ├── SerializationError      a value could not be serialized or deserialized
        └── InvalidTagError (ValueError)  a tag a store cannot use (e.g. '../x' for FileStorage)

Argument hashing failures raise the builtin TypeError, naming the parameter and its type.
A decorated function never raises these because of a cache problem unless `strict=True`: the
function runs uncached and a warning is logged under the `miniperscache` logger.
"""

from __future__ import annotations

__all__ = [
    "CacheError",
    "CorruptEntryError",
    "InvalidTagError",
    "SerializationError",
    "StorageError",
]


class CacheError(Exception):
    """Base class of every error miniperscache raises on its own behalf."""


class StorageError(CacheError, OSError):
    """A storage backend failed."""


class CorruptEntryError(CacheError):
    """A stored entry is damaged or was written by something else."""


class SerializationError(CacheError):
    """A value could not be serialized or deserialized."""


class InvalidTagError(CacheError, ValueError):
    """A tag that a store cannot use."""
