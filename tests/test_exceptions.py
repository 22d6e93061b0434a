"""The exception tree, and that the engine raises its classes."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

import miniperscache
from _helpers import Calls
from miniperscache import (
    CacheError,
    CorruptEntryError,
    FileStorage,
    InvalidTagError,
    SerializationError,
    SqliteStorage,
    StorageError,
    cached,
    exceptions,
)


def test_tree() -> None:
    assert issubclass(StorageError, CacheError)
    assert issubclass(StorageError, OSError)
    assert issubclass(CorruptEntryError, CacheError)
    assert issubclass(SerializationError, CacheError)
    assert issubclass(InvalidTagError, CacheError)
    assert issubclass(InvalidTagError, ValueError)
    for name in exceptions.__all__:
        assert getattr(miniperscache, name) is getattr(exceptions, name)


def test_engine_raises_the_python_classes(tmp_path: Path) -> None:
    with pytest.raises(InvalidTagError) as info:
        FileStorage(tmp_path).set("../x", bytes(32), b"v")
    assert type(info.value) is exceptions.InvalidTagError
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(StorageError):
        SqliteStorage(blocker / "cache.db")
    with pytest.raises(StorageError):
        FileStorage(blocker / "files").set("t", bytes(32), b"v")


def broken_file_storage(tmp_path: Path) -> FileStorage:
    """A FileStorage whose folder is replaced by a file after it opened."""
    root = tmp_path / "files"
    storage = FileStorage(root)
    shutil.rmtree(root, ignore_errors=True)
    root.write_text("in the way")
    return storage


def test_builtin_storage_error_is_logged_and_the_result_returned(
    tmp_path: Path, calls: Calls, caplog: pytest.LogCaptureFixture
) -> None:
    @cached(tag="t", storage=broken_file_storage(tmp_path))
    def f(x: int) -> int:
        calls(x)
        return x * 2

    with caplog.at_level(logging.WARNING, logger="miniperscache"):
        assert f(2) == 4
    assert calls.count == 1
    assert "StorageError" in caplog.text


def test_builtin_storage_error_propagates_when_strict(tmp_path: Path) -> None:
    @cached(tag="t", storage=broken_file_storage(tmp_path), strict=True)
    def f(x: int) -> int:
        return x

    with pytest.raises(StorageError):
        f(1)


def test_damaged_entry_is_a_miss_even_when_strict(tmp_path: Path, calls: Calls) -> None:
    storage = FileStorage(tmp_path)

    @cached(tag="t", storage=storage, strict=True)
    def f(x: int) -> int:
        calls(x)
        return x

    f(1)
    (entry,) = (tmp_path / "t").iterdir()
    entry.write_bytes(b"garbage" * 10)
    assert f(1) == 1
    assert calls.count == 2
    assert f(1) == 1
    assert calls.count == 2
