"""`cached_async` on async functions. Mirrors test_cached.py test for test."""

from __future__ import annotations

import asyncio
import inspect
import logging
import pickle
import threading
from pathlib import Path
from typing import Union

import pytest

from _helpers import AsyncBrokenStorage, AsyncDictStorage, BrokenStorage, Calls, DictStorage
from miniperscache import (
    AsyncFileStorage,
    DefaultArgHasher,
    FileStorage,
    JsonSerializer,
    PickleSerializer,
    SerializationError,
    SqliteStorage,
    cached_async,
    default_raw_arg_hasher,
    mk_cached_async,
)

AnyStorage = Union[SqliteStorage, FileStorage, AsyncFileStorage]


@cached_async(tag="test_cached_async.module_level")
async def module_level(x: int, y: int = 2) -> int:
    """Adds."""
    return x + y


async def test_caches_result(any_storage: AnyStorage, calls: Calls) -> None:
    @cached_async(tag="t", storage=any_storage)
    async def f(x: int) -> list[int]:
        calls(x)
        return [x, x]

    assert await f(3) == [3, 3]
    assert await f(3) == [3, 3]
    assert calls.count == 1


async def test_different_arguments_are_different_entries(
    any_storage: AnyStorage, calls: Calls
) -> None:
    @cached_async(tag="t", storage=any_storage)
    async def f(x: object) -> str:
        calls(x)
        return repr(x)

    for x in [1, 2, 1.0, True, "1", b"1", (1,), [1], None]:
        assert await f(x) == repr(x)
    assert calls.count == 9
    assert [await f(x) for x in [1, 1.0, True]] == ["1", "1.0", "True"]
    assert calls.count == 9


async def test_call_spellings_share_an_entry(any_storage: AnyStorage, calls: Calls) -> None:
    @cached_async(tag="t", storage=any_storage)
    async def f(x: int, y: int = 2) -> int:
        calls(x)
        return x * y

    results = [await f(1, 2), await f(1, y=2), await f(x=1, y=2), await f(y=2, x=1), await f(1)]
    assert results == [2] * 5
    assert calls.count == 1
    assert await f(1, 3) == 3
    assert calls.count == 2


async def test_none_result_is_cached(any_storage: AnyStorage, calls: Calls) -> None:
    @cached_async(tag="t", storage=any_storage)
    async def f(x: int) -> None:
        calls(x)

    assert await f(1) is None
    assert await f(1) is None
    assert calls.count == 1


async def test_skip_args(any_storage: AnyStorage, calls: Calls) -> None:
    @cached_async(tag="t", storage=any_storage, arg_hasher=DefaultArgHasher(skip_args=["client"]))
    async def f(client: object, prompt: str) -> str:
        calls(prompt)
        return prompt.upper()

    assert await f(object(), "hi") == "HI"
    assert await f(object(), "hi") == "HI"
    assert calls.count == 1
    assert await f(object(), "ho") == "HO"
    assert calls.count == 2


async def test_custom_arg_hasher(any_storage: AnyStorage, calls: Calls) -> None:
    def by_model(client: dict[str, str], prompt: str) -> bytes:
        return default_raw_arg_hasher(client["model"], prompt)

    @cached_async(tag="t", storage=any_storage, arg_hasher=by_model)
    async def f(client: dict[str, str], prompt: str) -> str:
        calls(prompt)
        return client["model"] + prompt

    assert await f({"model": "a", "x": "1"}, "p") == "ap"
    assert await f({"model": "a", "x": "2"}, "p") == "ap"
    assert calls.count == 1
    assert await f({"model": "b"}, "p") == "bp"
    assert calls.count == 2


async def test_custom_arg_hasher_bytes_become_a_32_byte_key(calls: Calls) -> None:
    store = AsyncDictStorage()

    @cached_async(tag="t", storage=store, arg_hasher=lambda x: str(x).encode() * 100)
    async def f(x: int) -> int:
        calls(x)
        return x

    assert await f(5) == await f(5) == 5
    assert calls.count == 1
    assert {len(k) for k in store.inner.keys} == {32}
    assert f.cache_key(5) == store.inner.keys[0]


async def test_arg_hasher_must_return_bytes() -> None:
    @cached_async(tag="t", arg_hasher=lambda x: x)
    async def f(x: int) -> int:
        return x

    with pytest.raises(TypeError, match="must return bytes"):
        await f(1)


async def test_user_storage(calls: Calls) -> None:
    for store in (DictStorage(), AsyncDictStorage()):
        calls.args.clear()

        @cached_async(tag="t", storage=store, force_tag_nonunique=True)
        async def f(x: int) -> dict[str, int]:
            calls(x)
            return {"x": x}

        assert await f(1) == await f(1) == {"x": 1}
        assert calls.count == 1
        data = store.data if isinstance(store, DictStorage) else store.inner.data
        assert list(data) == [("t", f.cache_key(1))]
        await f.cache_clear()
        assert data == {}


async def test_duck_typed_user_storage(calls: Calls) -> None:
    class AsyncDuck:
        def __init__(self) -> None:
            self.data: dict[tuple[str, bytes], bytes] = {}

        async def get(self, tag: str, key: bytes) -> bytes | None:
            return self.data.get((tag, key))

        async def set(self, tag: str, key: bytes, value: bytes) -> None:
            self.data[(tag, key)] = value

        async def delete_with_tag(self, tag: str) -> None:
            self.data.clear()

    store = AsyncDuck()

    @cached_async(tag="t", storage=store, value_serializer=JsonSerializer())  # type: ignore[arg-type]
    async def f(x: int) -> list[int]:
        calls(x)
        return [x]

    assert await f(1) == await f(1) == [1]
    assert calls.count == 1
    assert list(store.data.values()) == [b"[1]"]


async def test_async_storage(tmp_path: Path, calls: Calls) -> None:
    storage = AsyncFileStorage(tmp_path)

    @cached_async(tag="t", storage=storage)
    async def f(x: int) -> int:
        calls(x)
        return x

    assert await f(1) == await f(1) == 1
    assert calls.count == 1
    assert await storage.get("t", f.cache_key(1)) is not None
    assert FileStorage(tmp_path).get("t", f.cache_key(1)) is not None


async def test_wrong_kind_of_function() -> None:
    with pytest.raises(ValueError, match="use cached for regular functions"):

        @cached_async(tag="t")  # type: ignore[arg-type]
        def f(x: int) -> int:
            return x


async def test_wrapper_metadata() -> None:
    @cached_async(tag="t")
    async def f(x: int, *, y: str = "a") -> str:
        """Docs of f."""
        return y * x

    assert f.__name__ == "f"
    assert f.__qualname__.endswith("test_wrapper_metadata.<locals>.f")
    assert f.__doc__ == "Docs of f."
    assert f.__module__ == __name__
    assert await f.__wrapped__(2, y="b") == "bb"
    assert str(inspect.signature(f)) == "(x: 'int', *, y: 'str' = 'a') -> 'str'"
    assert inspect.iscoroutinefunction(f)


async def test_pickles_by_reference() -> None:
    assert pickle.loads(pickle.dumps(module_level)) is module_level
    assert await module_level(1) == 3


async def test_cache_key(any_storage: AnyStorage) -> None:
    @cached_async(tag="t", storage=any_storage)
    async def f(x: int, y: int = 2) -> int:
        return x * y

    key = f.cache_key(1)
    assert isinstance(key, bytes)
    assert len(key) == 32
    assert key == f.cache_key(1, 2) == f.cache_key(x=1, y=2)
    assert key != f.cache_key(1, 3)
    await f(1)
    if isinstance(any_storage, AsyncFileStorage):
        assert await any_storage.get("t", key) is not None
        assert await any_storage.get("t", f.cache_key(1, 3)) is None
    else:
        assert any_storage.get("t", key) is not None
        assert any_storage.get("t", f.cache_key(1, 3)) is None


async def test_cache_clear(any_storage: AnyStorage, calls: Calls) -> None:
    @cached_async(tag="t", storage=any_storage)
    async def f(x: int) -> int:
        calls(x)
        return x

    @cached_async(tag="other", storage=any_storage)
    async def g(x: int) -> int:
        calls(x)
        return x

    await f(1), await f(2), await g(1)
    assert await f.cache_clear() is None
    await f(1), await f(2), await g(1)
    assert calls.count == 5


async def test_tag_is_required() -> None:
    with pytest.raises(TypeError, match=r'write @cached_async\(tag="..."\)'):

        @cached_async  # type: ignore[arg-type]
        async def f(x: int) -> int:
            return x


async def test_duplicate_tag() -> None:
    @cached_async(tag="t")
    async def f(x: int) -> int:
        return x

    with pytest.raises(ValueError, match="tag 't' is already used"):

        @cached_async(tag="t")
        async def g(x: int) -> int:
            return x


async def test_redecorating_the_same_function_is_fine() -> None:
    async def f(x: int) -> int:
        return x

    cached_async(tag="t")(f)
    assert await cached_async(tag="t")(f)(3) == 3


async def test_force_tag_nonunique(calls: Calls) -> None:
    @cached_async(tag="t")
    async def f(x: int) -> int:
        calls(x)
        return x

    @cached_async(tag="t", force_tag_nonunique=True)
    async def g(x: int) -> int:
        calls(x)
        return x

    assert await f(1) == await g(1) == 1
    assert calls.count == 1


async def test_failed_decoration_does_not_reserve_the_tag() -> None:
    async def f(x: int) -> int:
        return x

    with pytest.raises(ValueError, match="nope"):
        cached_async(tag="t", arg_hasher=DefaultArgHasher(skip_args=["nope"]))(f)

    @cached_async(tag="t")
    async def g(x: int) -> int:
        return x

    assert await g(2) == 2


async def test_storage_write_error_returns_the_result(
    calls: Calls, caplog: pytest.LogCaptureFixture
) -> None:
    for store in (BrokenStorage(writes=True), AsyncBrokenStorage(writes=True)):

        @cached_async(tag="t", storage=store, force_tag_nonunique=True)
        async def f(x: int) -> int:
            calls(x)
            return x + 1

        with caplog.at_level(logging.WARNING, logger="miniperscache"):
            assert await f(1) == 2
    assert calls.count == 2
    assert "disk full" in caplog.text


async def test_storage_read_error_runs_uncached(
    calls: Calls, caplog: pytest.LogCaptureFixture
) -> None:
    @cached_async(tag="t", storage=AsyncBrokenStorage(reads=True, writes=False))
    async def f(x: int) -> int:
        calls(x)
        return x + 1

    with caplog.at_level(logging.WARNING, logger="miniperscache"):
        assert await f(1) == await f(1) == 2
    assert calls.count == 2
    assert "disk on fire" in caplog.text


async def test_unopenable_default_storage_runs_uncached(
    calls: Calls,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The cache folder is a regular file, so the default SQLite database cannot be created.
    blocker = tmp_path / "not-a-folder"
    blocker.write_bytes(b"")
    monkeypatch.setenv("MINIPERSCACHE_DIR", str(blocker))

    @cached_async(tag="t")
    async def f(x: int) -> int:
        calls(x)
        return x + 1

    with caplog.at_level(logging.WARNING, logger="miniperscache"):
        assert await f(1) == await f(1) == 2
    assert calls.count == 2
    assert "opening the default storage" in caplog.text

    @cached_async(tag="u", strict=True)
    async def g(x: int) -> int:
        return x

    with pytest.raises(OSError):
        await g(1)


async def test_strict_propagates_storage_errors(calls: Calls) -> None:
    @cached_async(tag="t", storage=AsyncBrokenStorage(writes=True), strict=True)
    async def f(x: int) -> int:
        calls(x)
        return x

    with pytest.raises(OSError, match="disk full"):
        await f(1)

    @cached_async(tag="u", storage=BrokenStorage(reads=True), strict=True)
    async def g(x: int) -> int:
        calls(x)
        return x

    with pytest.raises(OSError, match="disk on fire"):
        await g(1)
    assert calls.count == 1


async def test_unserializable_result(
    any_storage: AnyStorage, calls: Calls, caplog: pytest.LogCaptureFixture
) -> None:
    @cached_async(tag="t", storage=any_storage, value_serializer=JsonSerializer())
    async def f(x: int) -> object:
        calls(x)
        return {x}

    with caplog.at_level(logging.WARNING, logger="miniperscache"):
        assert await f(1) == {1}
        assert await f(1) == {1}
    assert calls.count == 2
    assert "serializing" in caplog.text

    @cached_async(tag="u", storage=any_storage, value_serializer=JsonSerializer(), strict=True)
    async def g(x: int) -> object:
        return {x}

    with pytest.raises(SerializationError):
        await g(1)


async def test_damaged_entry_is_a_miss(calls: Calls, caplog: pytest.LogCaptureFixture) -> None:
    store = AsyncDictStorage()

    @cached_async(tag="t", storage=store, value_serializer=PickleSerializer())
    async def f(x: int) -> int:
        calls(x)
        return x

    store.inner.data[("t", f.cache_key(1))] = b"not a pickle"
    with caplog.at_level(logging.WARNING, logger="miniperscache"):
        assert await f(1) == 1
    assert calls.count == 1
    assert await f(1) == 1
    assert calls.count == 1


async def test_other_serializers_entries_are_misses(any_storage: AnyStorage, calls: Calls) -> None:
    @cached_async(tag="t", storage=any_storage, value_serializer=JsonSerializer())
    async def f(x: int) -> list[int]:
        calls(x)
        return [x]

    @cached_async(
        tag="t", storage=any_storage, value_serializer=PickleSerializer(), force_tag_nonunique=True
    )
    async def g(x: int) -> list[int]:
        calls(x)
        return [x]

    assert await f(1) == await g(1) == [1]
    assert calls.count == 2


async def test_logs_hits_and_misses(caplog: pytest.LogCaptureFixture) -> None:
    @cached_async(tag="t")
    async def f(x: int) -> int:
        return x

    with caplog.at_level(logging.DEBUG, logger="miniperscache"):
        await f(1)
        await f(1)
    messages = [r.getMessage() for r in caplog.records if r.name == "miniperscache"]
    assert messages[0].startswith("Cache miss for t with key ")
    assert messages[1].startswith("Cache hit for t with key ")
    assert f.cache_key(1).hex() in messages[1]


async def test_default_storage_opens_on_first_call(isolated: Path) -> None:
    @cached_async(tag="t")
    async def f(x: int) -> int:
        return x

    assert not (isolated / "miniperscache.db").exists()
    await f(1)
    assert (isolated / "miniperscache.db").exists()
    assert SqliteStorage().get("t", f.cache_key(1)) is not None


async def test_unsupported_argument_type() -> None:
    @cached_async(tag="t")
    async def f(client: object) -> int:
        return 1

    with pytest.raises(TypeError, match="client") as info:
        await f(threading.Lock())
    assert "skip_args" in str(info.value)


async def test_bad_call_raises_the_usual_type_error() -> None:
    @cached_async(tag="t")
    async def f(x: int) -> int:
        return x

    with pytest.raises(TypeError, match="missing a required argument: 'x'"):
        await f()  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="unexpected keyword argument 'z'"):
        await f(1, z=2)  # type: ignore[call-arg]


async def test_concurrent_calls(any_storage: AnyStorage, calls: Calls) -> None:
    @cached_async(tag="t", storage=any_storage)
    async def f(x: int) -> int:
        calls(x)
        await asyncio.sleep(0)
        return x * 2

    expected = [x * 2 for x in range(20)]
    assert await asyncio.gather(*(f(x) for x in range(20))) == expected
    assert await asyncio.gather(*(f(x) for x in range(20))) == expected
    # and from worker threads, each running its own event loop
    in_threads = await asyncio.gather(*(asyncio.to_thread(asyncio.run, f(x)) for x in range(20)))
    assert in_threads == expected
    assert sorted(calls.args) == list(range(20))


async def test_mk_form(calls: Calls) -> None:
    async def f(x: int) -> int:
        calls(x)
        return x

    g = mk_cached_async(f, "t", None, PickleSerializer(), SqliteStorage(), False)
    assert await g(1) == await g(1) == 1
    assert calls.count == 1


async def test_a_users_blocking_storage_is_kept_off_the_event_loop() -> None:
    class ThreadRecordingStorage(DictStorage):
        def __init__(self) -> None:
            super().__init__()
            self.threads: set[int] = set()

        def get(self, tag: str, key: bytes) -> bytes | None:
            self.threads.add(threading.get_ident())
            return super().get(tag, key)

        def set(self, tag: str, key: bytes, value: bytes) -> None:
            self.threads.add(threading.get_ident())
            super().set(tag, key, value)

    storage = ThreadRecordingStorage()

    @cached_async(tag="t", storage=storage)
    async def f(x: int) -> int:
        return x + 1

    assert await f(1) == 2
    assert await f(1) == 2
    assert storage.threads
    assert threading.get_ident() not in storage.threads
