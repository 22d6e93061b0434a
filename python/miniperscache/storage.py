"""0.1.3's module path `miniperscache.storage`, kept so old imports work; import from
`miniperscache`."""

from .storages import AsyncFileStorage, AsyncStorage, FileStorage, SqliteStorage, Storage

__all__ = ["AsyncFileStorage", "AsyncStorage", "FileStorage", "SqliteStorage", "Storage"]
