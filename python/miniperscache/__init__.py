"""miniperscache: persistent caching of function results, sync and async, on a Rust engine.

A drop-in for miniperscache 0.1.3:

```python
from miniperscache import cached

@cached(tag="expensive_calculation")
def expensive_calculation(x: int, y: int) -> float:
    return x * y
```

Logging goes to the `miniperscache` logger: hits and misses at DEBUG, cache problems the call
survived at WARNING.
"""

from __future__ import annotations

from . import _rust
from ._batch import (
    AsyncBatchCachedFunction,
    BatchCachedFunction,
    async_batch_cached,
    batch_cached,
    batch_cached_async,
    mk_async_batch_cached,
    mk_batch_cached,
    mk_batch_cached_async,
)
from ._decorators import (
    AsyncCachedFunction,
    CachedFunction,
    cached,
    cached_async,
    mk_cached,
    mk_cached_async,
)
from ._keys import DefaultArgHasher, MkArgHasherType, default_raw_arg_hasher
from .exceptions import (
    CacheError,
    CorruptEntryError,
    InvalidTagError,
    SerializationError,
    StorageError,
)
from .serializers import DillSerializer, DumpsLoads, JsonSerializer, PickleSerializer, Serializer
from .storages import AsyncFileStorage, AsyncStorage, FileStorage, SqliteStorage, Storage

__version__: str = _rust.__version__

__all__ = [
    "AsyncBatchCachedFunction",
    "AsyncCachedFunction",
    "AsyncFileStorage",
    "AsyncStorage",
    "BatchCachedFunction",
    "CacheError",
    "CachedFunction",
    "CorruptEntryError",
    "DefaultArgHasher",
    "DillSerializer",
    "DumpsLoads",
    "FileStorage",
    "InvalidTagError",
    "JsonSerializer",
    "MkArgHasherType",
    "PickleSerializer",
    "SerializationError",
    "Serializer",
    "SqliteStorage",
    "Storage",
    "StorageError",
    "__version__",
    "async_batch_cached",
    "batch_cached",
    "batch_cached_async",
    "cached",
    "cached_async",
    "default_raw_arg_hasher",
    "mk_async_batch_cached",
    "mk_batch_cached",
    "mk_batch_cached_async",
    "mk_cached",
    "mk_cached_async",
]

# Public objects say they come from `miniperscache`, where users import them from (reprs, docs,
# pickles of the storage and serializer classes). The exceptions keep `miniperscache.exceptions`,
# which Rust imports them from.
for _name in __all__:
    _obj = globals()[_name]
    if getattr(_obj, "__module__", "").startswith("miniperscache.") and not _name.endswith("Error"):
        try:
            _obj.__module__ = __name__
        except (AttributeError, TypeError):  # pragma: no cover - e.g. a builtin alias
            pass
del _name, _obj
