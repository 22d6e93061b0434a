"""The built-in storages: 0.1.3's methods, locations, permissions, threads, tags, old databases."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import stat
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Union

import pytest

from _helpers import Calls
from miniperscache import (
    AsyncFileStorage,
    FileStorage,
    InvalidTagError,
    SqliteStorage,
    Storage,
    cached,
    cached_async,
)

Store = Union[SqliteStorage, FileStorage]
KEY = bytes(range(32))


def test_get_set_delete(storage: Store) -> None:
    assert isinstance(storage, Storage)
    assert storage.get("t", KEY) is None
    storage.set("t", KEY, b"value")
    storage.set("u", KEY, b"other")
    assert storage.get("t", KEY) == b"value"
    storage.set("t", KEY, b"new")
    assert storage.get("t", KEY) == b"new"
    assert storage.delete_with_tag("t") is None
    assert storage.get("t", KEY) is None
    assert storage.get("u", KEY) == b"other"


def test_delete_tag_returns_the_count(storage: Store) -> None:
    for i in range(3):
        storage.set("t", bytes([i]) * 32, b"v")
    assert storage.delete_tag("t") == 3
    assert storage.delete_tag("t") == 0


def test_keys_of_any_length(storage: Store) -> None:
    long_key = b"k" * 5000
    storage.set("t", long_key, b"long")
    storage.set("t", b"short", b"short")
    storage.set("t", b"", b"empty")
    assert storage.get("t", long_key) == b"long"
    assert storage.get("t", b"short") == b"short"
    assert storage.get("t", b"") == b"empty"
    assert storage.get("t", b"k" * 4999) is None


def test_delete_with_tag_is_literal(storage: Store) -> None:
    for tag in ["x*", "xa", "x?", "x"]:
        storage.set(tag, KEY, tag.encode())
    storage.delete_with_tag("x*")
    assert storage.get("x*", KEY) is None
    assert [storage.get(t, KEY) for t in ["xa", "x?", "x"]] == [b"xa", b"x?", b"x"]


@pytest.mark.parametrize("tag", ["../x", "a/b", "", ".", "..", "a\\b", "a\0b", "t" * 256])
def test_file_storage_rejects_tags_that_are_not_folder_names(tmp_path: Path, tag: str) -> None:
    storage = FileStorage(tmp_path / "files")
    with pytest.raises(InvalidTagError):
        storage.set(tag, KEY, b"v")
    with pytest.raises(ValueError):
        storage.get(tag, KEY)
    with pytest.raises(InvalidTagError):
        cached(tag=tag, storage=storage)(lambda: 1)
    with pytest.raises(InvalidTagError):
        cached_async(tag=tag, storage=AsyncFileStorage(tmp_path / "files"))(asyncio.sleep)
    assert not (tmp_path / "x").exists()


def test_default_locations(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert SqliteStorage().db_path == isolated / "miniperscache.db"
    assert FileStorage().path == isolated / "files-v1"
    monkeypatch.delenv("MINIPERSCACHE_DIR")
    assert SqliteStorage().db_path == Path.cwd() / ".miniperscache" / "miniperscache.db"
    assert FileStorage().path == Path.cwd() / ".miniperscache" / "files-v1"


def test_constructor_parameter_names_of_0_1_3(tmp_path: Path) -> None:
    assert SqliteStorage(db_path=tmp_path / "a.db").db_path == tmp_path / "a.db"
    assert SqliteStorage(db_path=str(tmp_path / "b.db")).db_path == tmp_path / "b.db"
    assert FileStorage(path=tmp_path / "f").path == tmp_path / "f"
    assert AsyncFileStorage(path=tmp_path / "g").path == tmp_path / "g"


def test_new_cache_folder_and_database_are_private(isolated: Path) -> None:
    storage = SqliteStorage()
    storage.set("t", KEY, b"v")
    assert stat.S_IMODE(os.stat(isolated).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(storage.db_path).st_mode) == 0o600
    files = FileStorage()
    files.set("t", KEY, b"v")
    assert stat.S_IMODE(os.stat(files.path).st_mode) == 0o700
    entry = next((files.path / "t").iterdir())
    assert stat.S_IMODE(os.stat(entry).st_mode) == 0o600


def test_sqlite_storage_works_from_any_thread(tmp_path: Path) -> None:
    storage = SqliteStorage(tmp_path / "c.db")
    storage.set("t", KEY, b"main")
    seen: list[Any] = []

    def worker(i: int) -> None:
        try:
            seen.append(storage.get("t", KEY))
            storage.set("t", bytes([i]) * 32, b"thread")
        except Exception as exc:  # pragma: no cover - the failure being tested for
            seen.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == [b"main"] * 4
    assert all(storage.get("t", bytes([i]) * 32) == b"thread" for i in range(4))


async def test_cached_default_storage_from_to_thread(calls: Calls) -> None:
    @cached(tag="t")
    def f(x: int) -> int:
        calls(x)
        return x

    assert f(1) == 1
    assert await asyncio.to_thread(SqliteStorage().get, "t", f.cache_key(1)) is not None
    assert await asyncio.to_thread(f, 1) == 1
    assert await asyncio.to_thread(f, 2) == 2
    assert f(2) == 2
    assert calls.args == [1, 2]


async def test_async_file_storage(tmp_path: Path) -> None:
    storage = AsyncFileStorage(tmp_path)
    assert await storage.get("t", KEY) is None
    await storage.set("t", KEY, b"v")
    assert await storage.get("t", KEY) == b"v"
    assert await storage.delete_tag("t") == 1
    await storage.set("t", KEY, b"v")
    await storage.delete_with_tag("t")
    assert await storage.get("t", KEY) is None


def test_two_instances_share_one_file(tmp_path: Path) -> None:
    a, b = SqliteStorage(tmp_path / "s.db"), SqliteStorage(tmp_path / "s.db")
    a.set("t", KEY, b"from a")
    assert b.get("t", KEY) == b"from a"


def test_subclass_overriding_get_is_respected(storage: Store, calls: Calls) -> None:
    class Spy(type(storage)):  # type: ignore[misc]
        def get(self, tag: str, key: bytes) -> bytes | None:
            calls(key)
            return super().get(tag, key)

    spy = Spy(storage.db_path if isinstance(storage, SqliteStorage) else storage.path)

    @cached(tag="t", storage=spy)
    def f(x: int) -> int:
        return x

    f(1)
    f(1)
    assert calls.args == [f.cache_key(1)] * 2


def test_a_0_1_3_database_is_left_untouched(monkeypatch: pytest.MonkeyPatch, calls: Calls) -> None:
    monkeypatch.delenv("MINIPERSCACHE_DIR")
    path = Path(".miniperscache/miniperscache.db")
    path.parent.mkdir()
    rows = [("expensive_calculation", b"\x01" * 16, b"old value"), ("other", b"k", b"\x80\x04N.")]
    with sqlite3.connect(path) as conn:  # exactly what 0.1.3's SqliteStorage created
        conn.execute("CREATE TABLE IF NOT EXISTS cache (tag TEXT, key BLOB, value BLOB)")
        conn.execute("CREATE UNIQUE INDEX IF NOT EXISTS cache_tag_key_idx ON cache (tag, key)")
        conn.executemany("INSERT INTO cache VALUES (?, ?, ?)", rows)
    conn.close()

    storage = SqliteStorage()
    assert storage.db_path.resolve() == path.resolve()
    storage.set("expensive_calculation", KEY, b"new")
    assert storage.get("expensive_calculation", KEY) == b"new"

    @cached(tag="expensive_calculation")
    def f(x: int) -> int:
        calls(x)
        return x

    assert f(1) == f(1) == 1
    assert calls.count == 1
    assert storage.delete_tag("expensive_calculation") == 2

    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT tag, key, value FROM cache ORDER BY tag").fetchall() == rows
        schema = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'cache'").fetchone()
    conn.close()
    assert schema == ("CREATE TABLE cache (tag TEXT, key BLOB, value BLOB)",)


def test_relative_sqlite_path_survives_a_change_of_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    monkeypatch.chdir(first)
    storage = SqliteStorage("rel.db")
    storage.set("t", b"k", b"v")
    monkeypatch.chdir(second)
    # Concurrent reads make the store open more connections, after the chdir.
    with ThreadPoolExecutor(6) as pool:
        found = list(pool.map(lambda _: storage.get("t", b"k"), range(24)))
    assert found == [b"v"] * 24
    assert not (second / "rel.db").exists()


@pytest.mark.skipif(not hasattr(os, "fork") or not Path("/proc/self/fd").exists(), reason="fork")
def test_a_forked_child_opens_its_own_sqlite_connection(tmp_path: Path) -> None:
    storage = SqliteStorage(tmp_path / "c.db")
    storage.set("t", b"k", b"parent")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads, on 3.12+
        pid = os.fork()
    if pid == 0:  # the child: SQLite connections must not cross a fork
        code = 3
        try:
            before = len(os.listdir("/proc/self/fd"))
            ok = storage.get("t", b"k") == b"parent"
            storage.set("t", b"child", b"child")
            opened = len(os.listdir("/proc/self/fd")) > before
            code = 0 if ok and opened else 1
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert storage.get("t", b"child") == b"child"
    assert storage.get("t", b"k") == b"parent"


@pytest.mark.parametrize("make", [SqliteStorage, FileStorage, AsyncFileStorage])
def test_storages_pickle_as_their_location(make: Any, tmp_path: Path) -> None:
    import pickle

    storage = make(tmp_path / "store")
    copy = pickle.loads(pickle.dumps(storage))
    assert type(copy) is type(storage)
    assert repr(copy) == repr(storage)
    inner = getattr(storage, "storage", storage)
    inner.set("t", b"k", b"v")
    assert getattr(copy, "storage", copy).get("t", b"k") == b"v"


def test_text_keys_and_values_get_a_clear_error(storage: Any) -> None:
    with pytest.raises(TypeError, match=r"key must be bytes, not str; encode text first"):
        storage.get("t", "k")
    with pytest.raises(TypeError, match=r"value must be bytes, not str"):
        storage.set("t", b"k", "v")
