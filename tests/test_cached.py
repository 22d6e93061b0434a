"""`cached` on blocking functions. test_cached_async.py mirrors this file test for test."""

from __future__ import annotations

import inspect
import logging
import pickle
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from _helpers import BrokenStorage, Calls, DictStorage, DuckStorage
from miniperscache import (
    AsyncFileStorage,
    DefaultArgHasher,
    FileStorage,
    JsonSerializer,
    PickleSerializer,
    SerializationError,
    SqliteStorage,
    cached,
    default_raw_arg_hasher,
    mk_cached,
)


@cached(tag="test_cached.module_level")
def module_level(x: int, y: int = 2) -> int:
    """Adds."""
    return x + y


def test_caches_result(storage: SqliteStorage | FileStorage, calls: Calls) -> None:
    @cached(tag="t", storage=storage)
    def f(x: int) -> list[int]:
        calls(x)
        return [x, x]

    assert f(3) == [3, 3]
    assert f(3) == [3, 3]
    assert calls.count == 1


def test_different_arguments_are_different_entries(
    storage: SqliteStorage | FileStorage, calls: Calls
) -> None:
    @cached(tag="t", storage=storage)
    def f(x: object) -> str:
        calls(x)
        return repr(x)

    for x in [1, 2, 1.0, True, "1", b"1", (1,), [1], None]:
        assert f(x) == repr(x)
    assert calls.count == 9
    assert [f(x) for x in [1, 1.0, True]] == ["1", "1.0", "True"]
    assert calls.count == 9


def test_call_spellings_share_an_entry(storage: SqliteStorage | FileStorage, calls: Calls) -> None:
    @cached(tag="t", storage=storage)
    def f(x: int, y: int = 2) -> int:
        calls(x)
        return x * y

    assert f(1, 2) == f(1, y=2) == f(x=1, y=2) == f(y=2, x=1) == f(1) == 2
    assert calls.count == 1
    assert f(1, 3) == 3
    assert calls.count == 2


def test_none_result_is_cached(storage: SqliteStorage | FileStorage, calls: Calls) -> None:
    @cached(tag="t", storage=storage)
    def f(x: int) -> None:
        calls(x)

    assert f(1) is None
    assert f(1) is None
    assert calls.count == 1


def test_skip_args(storage: SqliteStorage | FileStorage, calls: Calls) -> None:
    @cached(tag="t", storage=storage, arg_hasher=DefaultArgHasher(skip_args=["client"]))
    def f(client: object, prompt: str) -> str:
        calls(prompt)
        return prompt.upper()

    assert f(object(), "hi") == "HI"
    assert f(object(), "hi") == "HI"
    assert calls.count == 1
    assert f(object(), "ho") == "HO"
    assert calls.count == 2


def test_custom_arg_hasher(storage: SqliteStorage | FileStorage, calls: Calls) -> None:
    def by_model(client: dict[str, str], prompt: str) -> bytes:
        return default_raw_arg_hasher(client["model"], prompt)

    @cached(tag="t", storage=storage, arg_hasher=by_model)
    def f(client: dict[str, str], prompt: str) -> str:
        calls(prompt)
        return client["model"] + prompt

    assert f({"model": "a", "x": "1"}, "p") == "ap"
    assert f({"model": "a", "x": "2"}, "p") == "ap"
    assert calls.count == 1
    assert f({"model": "b"}, "p") == "bp"
    assert calls.count == 2


def test_custom_arg_hasher_bytes_become_a_32_byte_key(calls: Calls) -> None:
    store = DictStorage()

    @cached(tag="t", storage=store, arg_hasher=lambda x: str(x).encode() * 100)
    def f(x: int) -> int:
        calls(x)
        return x

    assert f(5) == f(5) == 5
    assert calls.count == 1
    assert {len(k) for k in store.keys} == {32}
    assert f.cache_key(5) == store.keys[0]


def test_arg_hasher_must_return_bytes() -> None:
    @cached(tag="t", arg_hasher=lambda x: x)
    def f(x: int) -> int:
        return x

    with pytest.raises(TypeError, match="must return bytes"):
        f(1)


def test_user_storage(calls: Calls) -> None:
    store = DictStorage()

    @cached(tag="t", storage=store)
    def f(x: int) -> dict[str, int]:
        calls(x)
        return {"x": x}

    assert f(1) == f(1) == {"x": 1}
    assert calls.count == 1
    assert list(store.data) == [("t", f.cache_key(1))]
    f.cache_clear()
    assert store.data == {}


def test_duck_typed_user_storage(calls: Calls) -> None:
    store = DuckStorage()

    @cached(tag="t", storage=store, value_serializer=JsonSerializer())
    def f(x: int) -> list[int]:
        calls(x)
        return [x]

    assert f(1) == f(1) == [1]
    assert calls.count == 1
    assert list(store.data.values()) == [b"[1]"]


def test_async_storage(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="async storage"):

        @cached(tag="t", storage=AsyncFileStorage(tmp_path))  # type: ignore[arg-type]
        def f(x: int) -> int:
            return x


def test_wrong_kind_of_function() -> None:
    with pytest.raises(ValueError, match="cached_async"):

        @cached(tag="t")
        async def f(x: int) -> int:
            return x


def test_wrapper_metadata() -> None:
    @cached(tag="t")
    def f(x: int, *, y: str = "a") -> str:
        """Docs of f."""
        return y * x

    assert f.__name__ == "f"
    assert f.__qualname__.endswith("test_wrapper_metadata.<locals>.f")
    assert f.__doc__ == "Docs of f."
    assert f.__module__ == __name__
    assert f.__wrapped__(2, y="b") == "bb"
    assert str(inspect.signature(f)) == "(x: 'int', *, y: 'str' = 'a') -> 'str'"
    assert not inspect.iscoroutinefunction(f)


def test_pickles_by_reference() -> None:
    assert pickle.loads(pickle.dumps(module_level)) is module_level
    assert module_level(1) == 3


def test_cache_key(storage: SqliteStorage | FileStorage) -> None:
    @cached(tag="t", storage=storage)
    def f(x: int, y: int = 2) -> int:
        return x * y

    key = f.cache_key(1)
    assert isinstance(key, bytes)
    assert len(key) == 32
    assert key == f.cache_key(1, 2) == f.cache_key(x=1, y=2)
    assert key != f.cache_key(1, 3)
    f(1)
    assert storage.get("t", key) is not None
    assert storage.get("t", f.cache_key(1, 3)) is None


def test_cache_clear(storage: SqliteStorage | FileStorage, calls: Calls) -> None:
    @cached(tag="t", storage=storage)
    def f(x: int) -> int:
        calls(x)
        return x

    @cached(tag="other", storage=storage)
    def g(x: int) -> int:
        calls(x)
        return x

    f(1), f(2), g(1)
    assert f.cache_clear() is None
    f(1), f(2), g(1)
    assert calls.count == 5


def test_tag_is_required() -> None:
    with pytest.raises(TypeError, match=r'write @cached\(tag="..."\)'):

        @cached  # type: ignore[arg-type]
        def f(x: int) -> int:
            return x


def test_duplicate_tag() -> None:
    @cached(tag="t")
    def f(x: int) -> int:
        return x

    with pytest.raises(ValueError, match="tag 't' is already used"):

        @cached(tag="t")
        def g(x: int) -> int:
            return x


def test_redecorating_the_same_function_is_fine() -> None:
    def f(x: int) -> int:
        return x

    cached(tag="t")(f)
    assert cached(tag="t")(f)(3) == 3


def test_force_tag_nonunique(calls: Calls) -> None:
    @cached(tag="t")
    def f(x: int) -> int:
        calls(x)
        return x

    @cached(tag="t", force_tag_nonunique=True)
    def g(x: int) -> int:
        calls(x)
        return x

    assert f(1) == g(1) == 1
    assert calls.count == 1  # same tag, same arguments: one entry


def test_failed_decoration_does_not_reserve_the_tag() -> None:
    def f(x: int) -> int:
        return x

    with pytest.raises(ValueError, match="nope"):
        cached(tag="t", arg_hasher=DefaultArgHasher(skip_args=["nope"]))(f)

    @cached(tag="t")
    def g(x: int) -> int:
        return x

    assert g(2) == 2


def test_storage_write_error_returns_the_result(
    calls: Calls, caplog: pytest.LogCaptureFixture
) -> None:
    @cached(tag="t", storage=BrokenStorage(writes=True))
    def f(x: int) -> int:
        calls(x)
        return x + 1

    with caplog.at_level(logging.WARNING, logger="miniperscache"):
        assert f(1) == 2
    assert calls.count == 1
    assert "disk full" in caplog.text


def test_storage_read_error_runs_uncached(calls: Calls, caplog: pytest.LogCaptureFixture) -> None:
    @cached(tag="t", storage=BrokenStorage(reads=True, writes=False))
    def f(x: int) -> int:
        calls(x)
        return x + 1

    with caplog.at_level(logging.WARNING, logger="miniperscache"):
        assert f(1) == f(1) == 2
    assert calls.count == 2
    assert "disk on fire" in caplog.text


def test_unopenable_default_storage_runs_uncached(
    calls: Calls,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The cache folder is a regular file, so the default SQLite database cannot be created.
    blocker = tmp_path / "not-a-folder"
    blocker.write_bytes(b"")
    monkeypatch.setenv("MINIPERSCACHE_DIR", str(blocker))

    @cached(tag="t")
    def f(x: int) -> int:
        calls(x)
        return x + 1

    with caplog.at_level(logging.WARNING, logger="miniperscache"):
        assert f(1) == f(1) == 2
    assert calls.count == 2
    assert "opening the default storage" in caplog.text

    @cached(tag="u", strict=True)
    def g(x: int) -> int:
        return x

    with pytest.raises(OSError):
        g(1)


def test_strict_propagates_storage_errors(calls: Calls) -> None:
    @cached(tag="t", storage=BrokenStorage(writes=True), strict=True)
    def f(x: int) -> int:
        calls(x)
        return x

    with pytest.raises(OSError, match="disk full"):
        f(1)

    @cached(tag="u", storage=BrokenStorage(reads=True), strict=True)
    def g(x: int) -> int:
        calls(x)
        return x

    with pytest.raises(OSError, match="disk on fire"):
        g(1)
    assert calls.count == 1


def test_unserializable_result(
    storage: SqliteStorage | FileStorage, calls: Calls, caplog: pytest.LogCaptureFixture
) -> None:
    @cached(tag="t", storage=storage, value_serializer=JsonSerializer())
    def f(x: int) -> object:
        calls(x)
        return {x}  # a set is not JSON

    with caplog.at_level(logging.WARNING, logger="miniperscache"):
        assert f(1) == {1}
        assert f(1) == {1}
    assert calls.count == 2
    assert "serializing" in caplog.text

    @cached(tag="u", storage=storage, value_serializer=JsonSerializer(), strict=True)
    def g(x: int) -> object:
        return {x}

    with pytest.raises(SerializationError):
        g(1)


def test_damaged_entry_is_a_miss(calls: Calls, caplog: pytest.LogCaptureFixture) -> None:
    store = DictStorage()

    @cached(tag="t", storage=store, value_serializer=PickleSerializer())
    def f(x: int) -> int:
        calls(x)
        return x

    store.data[("t", f.cache_key(1))] = b"not a pickle"
    with caplog.at_level(logging.WARNING, logger="miniperscache"):
        assert f(1) == 1
    assert calls.count == 1
    assert f(1) == 1
    assert calls.count == 1  # the recomputed value replaced the damaged one


def test_other_serializers_entries_are_misses(
    storage: SqliteStorage | FileStorage, calls: Calls
) -> None:
    @cached(tag="t", storage=storage, value_serializer=JsonSerializer())
    def f(x: int) -> list[int]:
        calls(x)
        return [x]

    @cached(tag="t", storage=storage, value_serializer=PickleSerializer(), force_tag_nonunique=True)
    def g(x: int) -> list[int]:
        calls(x)
        return [x]

    assert f(1) == g(1) == [1]
    assert calls.count == 2


def test_logs_hits_and_misses(caplog: pytest.LogCaptureFixture) -> None:
    @cached(tag="t")
    def f(x: int) -> int:
        return x

    with caplog.at_level(logging.DEBUG, logger="miniperscache"):
        f(1)
        f(1)
    messages = [r.getMessage() for r in caplog.records if r.name == "miniperscache"]
    assert messages[0].startswith("Cache miss for t with key ")
    assert messages[1].startswith("Cache hit for t with key ")
    assert f.cache_key(1).hex() in messages[1]


def test_default_storage_opens_on_first_call(isolated: Path) -> None:
    @cached(tag="t")
    def f(x: int) -> int:
        return x

    assert not (isolated / "miniperscache.db").exists()
    f(1)
    assert (isolated / "miniperscache.db").exists()
    assert SqliteStorage().get("t", f.cache_key(1)) is not None


def test_unsupported_argument_type() -> None:
    @cached(tag="t")
    def f(client: object) -> int:
        return 1

    with pytest.raises(TypeError, match="client") as info:
        f(threading.Lock())
    assert "skip_args" in str(info.value)


def test_bad_call_raises_the_usual_type_error() -> None:
    @cached(tag="t")
    def f(x: int) -> int:
        return x

    with pytest.raises(TypeError, match="missing a required argument: 'x'"):
        f()  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="unexpected keyword argument 'z'"):
        f(1, z=2)  # type: ignore[call-arg]


def test_concurrent_calls(storage: SqliteStorage | FileStorage, calls: Calls) -> None:
    @cached(tag="t", storage=storage)
    def f(x: int) -> int:
        calls(x)
        return x * 2

    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(f, range(20))) == [x * 2 for x in range(20)]
        assert list(pool.map(f, range(20))) == [x * 2 for x in range(20)]
    assert sorted(calls.args) == list(range(20))


def test_mk_form(calls: Calls) -> None:
    def f(x: int) -> int:
        calls(x)
        return x

    g = mk_cached(f, "t", None, PickleSerializer(), SqliteStorage(), False)
    assert g(1) == g(1) == 1
    assert calls.count == 1


def test_closures_lambdas_and_bound_methods_never_share_a_tag_by_name(calls: Calls) -> None:
    def make(k: int) -> Any:
        @cached(tag="closure")
        def times(x: int) -> int:
            return x * k

        return times

    assert make(2)(3) == 6
    assert make(2)(3) == 6  # the same code capturing the same value: the same function
    with pytest.raises(ValueError, match="lambda, closure or bound method"):
        make(10)
    cached(tag="lambda")(lambda x: x + 1)
    with pytest.raises(ValueError, match="already used"):
        cached(tag="lambda")(lambda x: x * 2)

    class Model:
        def __init__(self, k: int) -> None:
            self.k = k

        def predict(self, x: int) -> int:
            return x * self.k

    model = Model(2)
    cached(tag="method")(model.predict)
    cached(tag="method")(model.predict)  # the same instance's method again
    with pytest.raises(ValueError, match="already used"):
        cached(tag="method")(Model(3).predict)


def test_serializer_classes_are_refused_and_codec_attributes_honoured(
    storage: SqliteStorage | FileStorage,
) -> None:
    with pytest.raises(
        TypeError, match=r"pass an instance, e.g. value_serializer=JsonSerializer\(\)"
    ):

        @cached(tag="cls", value_serializer=JsonSerializer)  # type: ignore[arg-type]
        def h(x: int) -> int:
            return x

    class Text:
        """One class, two configurations: only `codec` tells their entries apart."""

        def __init__(self, codec: str, suffix: str) -> None:
            self.codec = codec
            self.suffix = suffix

        def serialize(self, value: Any) -> bytes:
            return (str(value) + self.suffix).encode()

        def deserialize(self, value: bytes) -> Any:
            return value.decode()

    @cached(tag="t", storage=storage, value_serializer=Text("text-a", "a"))
    def f(x: int) -> Any:
        return x

    @cached(
        tag="t", storage=storage, value_serializer=Text("text-b", "b"), force_tag_nonunique=True
    )
    def g(x: int) -> Any:
        return x

    assert f(1) == 1
    assert f(1) == "1a"  # its own entry, read back through its own serializer
    assert g(1) == 1  # not f's entry: another codec
    assert g(1) == "1b"
