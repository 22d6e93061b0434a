"""`batch_cached` and `batch_cached_async`: per-element caching of functions over lists."""

from __future__ import annotations

from typing import Any, Union

import pytest

import miniperscache
from _helpers import AsyncDictStorage, Calls, DictStorage
from miniperscache import (
    FileStorage,
    JsonSerializer,
    SqliteStorage,
    _backends,
    async_batch_cached,
    batch_cached,
    batch_cached_async,
    cached,
)

Store = Union[SqliteStorage, FileStorage]


def test_only_missing_elements_reach_the_function(storage: Store, calls: Calls) -> None:
    @batch_cached(tag="t", batch_argument_names=["xs"], storage=storage)
    def double(xs: list[int]) -> list[int]:
        calls(list(xs))
        return [x * 2 for x in xs]

    assert double([1, 2, 3]) == [2, 4, 6]
    assert double([4, 2, 5, 3]) == [8, 4, 10, 6]
    assert calls.args == [[1, 2, 3], [4, 5]]


def test_fully_cached_batch_does_not_call_the_function(storage: Store, calls: Calls) -> None:
    @batch_cached(tag="t", batch_argument_names=["xs"], storage=storage)
    def double(xs: list[int]) -> list[int]:
        calls(list(xs))
        return [x * 2 for x in xs]

    double([1, 2])
    assert double([2, 1, 2]) == [4, 2, 4]
    assert double([]) == []
    assert calls.args == [[1, 2]]


def test_duplicates_are_computed_once(storage: Store, calls: Calls) -> None:
    @batch_cached(tag="t", batch_argument_names=["xs"], storage=storage)
    def double(xs: list[int]) -> list[int]:
        calls(list(xs))
        return [x * 2 for x in xs]

    assert double([1, 1, 2, 1]) == [2, 2, 4, 2]
    assert calls.args == [[1, 2]]


def test_other_arguments_are_part_of_each_key(storage: Store, calls: Calls) -> None:
    @batch_cached(tag="t", batch_argument_names=["texts"], storage=storage)
    def embed(model: str, texts: list[str], *, suffix: str = "") -> list[str]:
        calls(list(texts))
        return [f"{model}:{t}{suffix}" for t in texts]

    assert embed("m1", ["a", "b"]) == ["m1:a", "m1:b"]
    assert embed("m2", ["a"]) == ["m2:a"]
    assert embed(texts=["b", "a"], model="m1") == ["m1:b", "m1:a"]
    assert embed("m1", ["a"], suffix="!") == ["m1:a!"]
    assert calls.args == [["a", "b"], ["a"], ["a"]]


def test_several_batch_arguments(storage: Store, calls: Calls) -> None:
    @batch_cached(tag="t", batch_argument_names=["xs", "ys"], storage=storage)
    def add(xs: list[int], ys: tuple[int, ...]) -> list[int]:
        calls((list(xs), ys))
        return [x + y for x, y in zip(xs, ys)]

    assert add([1, 2], (10, 20)) == [11, 22]
    assert add([1, 2, 3], (10, 30, 30)) == [11, 32, 33]
    assert calls.args == [([1, 2], (10, 20)), ([2, 3], (30, 30))]
    with pytest.raises(ValueError, match="same length"):
        add([1, 2], (1,))


def test_positional_only_batch_parameter(storage: Store, calls: Calls) -> None:
    @batch_cached(tag="t", batch_argument_names=["xs"], storage=storage)
    def f(xs: list[int], /, scale: int = 1) -> list[int]:
        calls(list(xs))
        return [x * scale for x in xs]

    assert f([1, 2]) == [1, 2]
    assert f([2, 3], 1) == [2, 3]
    assert f([2], scale=5) == [10]
    assert calls.args == [[1, 2], [3], [2]]


def test_numpy_array_batch(storage: Store, calls: Calls) -> None:
    np = pytest.importorskip("numpy")

    @batch_cached(tag="t", batch_argument_names=["xs"], storage=storage)
    def square(xs: Any) -> Any:
        calls(xs)
        return xs * xs

    assert square(np.array([1, 2, 3])) == [1, 4, 9]
    assert square(np.array([3, 4, 1])) == [9, 16, 1]
    assert isinstance(calls.args[1], np.ndarray)
    assert calls.args[1].tolist() == [4]
    rows = np.arange(6).reshape(3, 2)

    @batch_cached(tag="rows", batch_argument_names=["m"], storage=storage)
    def row_sums(m: Any) -> list[int]:
        calls(m)
        return [int(r.sum()) for r in m]

    assert row_sums(rows) == [1, 5, 9]
    assert row_sums(rows[::-1]) == [9, 5, 1]
    assert calls.count == 3


def test_pandas_batch(storage: Store, calls: Calls) -> None:
    pd = pytest.importorskip("pandas")

    @batch_cached(tag="t", batch_argument_names=["s"], storage=storage)
    def double(s: Any) -> Any:
        calls(s)
        return s * 2

    assert double(pd.Series([1, 2], index=[10, 20])) == [2, 4]
    assert double(pd.Series([2, 3], index=[1, 0])) == [4, 6]
    assert isinstance(calls.args[1], pd.Series)
    assert calls.args[1].tolist() == [3]


def test_keys_never_collide_with_plain_cached_keys(storage: Store) -> None:
    @cached(tag="t", storage=storage)
    def plain(x: int) -> str:
        return "plain"

    @batch_cached(tag="t", batch_argument_names=["x"], storage=storage, force_tag_nonunique=True)
    def batched(x: list[int]) -> list[str]:
        return ["batched" for _ in x]

    assert plain(1) == "plain"
    assert batched([1]) == ["batched"]
    assert plain(1) == "plain"
    assert batched.cache_keys([1, 2]) != [plain.cache_key(1), plain.cache_key(2)]


def test_wrong_result_length_raises(storage: Store) -> None:
    @batch_cached(tag="t", batch_argument_names=["xs"], storage=storage)
    def broken(xs: list[int]) -> list[int]:
        return [1]

    with pytest.raises(ValueError, match="returned 1 results for 2 inputs"):
        broken([1, 2])
    assert broken([5]) == [1]


def test_bad_batch_argument_names() -> None:
    def f(xs: list[int], *rest: int) -> list[int]:
        return xs

    with pytest.raises(ValueError, match="'ys' is not a named parameter"):
        batch_cached(tag="t", batch_argument_names=["ys"])(f)
    with pytest.raises(ValueError, match="'rest' is not a named parameter"):
        batch_cached(tag="t", batch_argument_names=["rest"])(f)
    with pytest.raises(ValueError, match="at least one"):
        batch_cached(tag="t")(f)
    with pytest.raises(ValueError, match="must be a sequence"):
        batch_cached(tag="t", batch_argument_names=["xs"])(f)(3)  # type: ignore[arg-type]


class CountingStore:
    """Stands in front of a Rust store and counts the calls that reach it."""

    def __init__(self, inner: Any, counts: dict[str, int]) -> None:
        self.inner = inner
        self.counts = counts

    def __getattr__(self, name: str) -> Any:
        self.counts[name] = self.counts.get(name, 0) + 1
        return getattr(self.inner, name)


def test_one_storage_transaction_per_batch(storage: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    counts: dict[str, int] = {}
    real_init = _backends._RustBackend.__init__

    def init(self: Any, store: Any, tag: str, codec: str) -> None:
        real_init(self, CountingStore(store, counts), tag, codec)

    monkeypatch.setattr(_backends._RustBackend, "__init__", init)

    @batch_cached(tag="t", batch_argument_names=["xs"], storage=storage)
    def double(xs: list[int]) -> list[int]:
        return [x * 2 for x in xs]

    double(list(range(50)))
    assert counts == {"get_many": 1, "set_many": 1}
    double(list(range(100)))
    assert counts == {"get_many": 2, "set_many": 2}
    assert double(list(range(100))) == [x * 2 for x in range(100)]
    assert counts == {"get_many": 3, "set_many": 2}


def test_user_storage_and_user_hasher(calls: Calls) -> None:
    store = DictStorage()

    @batch_cached(
        tag="t",
        batch_argument_names=["words"],
        storage=store,
        arg_hasher=lambda words: words.lower().encode(),
    )
    def upper(words: list[str]) -> list[str]:
        calls(list(words))
        return [w.upper() for w in words]

    assert upper(["a", "b"]) == ["A", "B"]
    assert upper(["B", "c"]) == ["B", "C"]
    assert calls.args == [["a", "b"], ["c"]]
    assert {len(k) for k in store.keys} == {32}
    upper.cache_clear()
    assert store.data == {}


def test_unserializable_elements_are_returned_not_stored(storage: Store, calls: Calls) -> None:
    @batch_cached(
        tag="t", batch_argument_names=["xs"], storage=storage, value_serializer=JsonSerializer()
    )
    def f(xs: list[int]) -> list[object]:
        calls(list(xs))
        return [{x} if x % 2 else x for x in xs]

    assert f([1, 2]) == [{1}, 2]
    assert f([1, 2]) == [{1}, 2]
    assert calls.args == [[1, 2], [1]]


def test_wrapper_metadata_and_aliases() -> None:
    @batch_cached(tag="t", batch_argument_names=["xs"])
    def f(xs: list[int]) -> list[int]:
        """Docs."""
        return xs

    assert f.__name__ == "f"
    assert f.__doc__ == "Docs."
    assert f.__wrapped__([1]) == [1]
    assert async_batch_cached is batch_cached_async
    from miniperscache.batched_cache import async_batch_cached as old_async
    from miniperscache.batched_cache import batch_cached as old_sync

    assert old_sync is miniperscache.batch_cached
    assert old_async is batch_cached_async


def test_sync_decorator_rejects_async_function() -> None:
    with pytest.raises(ValueError, match="batch_cached_async"):

        @batch_cached(tag="t", batch_argument_names=["xs"])
        async def f(xs: list[int]) -> list[int]:
            return xs


# --- async ---------------------------------------------------------------------------------------


async def test_async_only_missing_elements_reach_the_function(calls: Calls) -> None:
    for store in (SqliteStorage(), AsyncDictStorage()):
        calls.args.clear()

        @batch_cached_async(
            tag="t", batch_argument_names=["xs"], storage=store, force_tag_nonunique=True
        )
        async def double(xs: list[int]) -> list[int]:
            calls(list(xs))
            return [x * 2 for x in xs]

        assert await double([1, 2, 3]) == [2, 4, 6]
        assert await double([4, 2, 4, 3]) == [8, 4, 8, 6]
        assert await double([3, 2]) == [6, 4]
        assert await double([]) == []
        assert calls.args == [[1, 2, 3], [4]]


async def test_async_wrong_result_length_raises() -> None:
    @batch_cached_async(tag="t", batch_argument_names=["xs"])
    async def broken(xs: list[int]) -> list[int]:
        return []

    with pytest.raises(ValueError, match="returned 0 results for 1 inputs"):
        await broken([1])


async def test_async_decorator_rejects_sync_function() -> None:
    with pytest.raises(ValueError, match="use batch_cached for regular functions"):

        @batch_cached_async(tag="t", batch_argument_names=["xs"])  # type: ignore[arg-type]
        def f(xs: list[int]) -> list[int]:
            return xs


async def test_async_cache_clear(calls: Calls) -> None:
    @batch_cached_async(tag="t", batch_argument_names=["xs"])
    async def double(xs: list[int]) -> list[int]:
        calls(list(xs))
        return [x * 2 for x in xs]

    await double([1])
    await double.cache_clear()
    await double([1])
    assert calls.count == 2


def test_user_hasher_batch_keys_never_collide_with_plain_keys(storage: Store) -> None:
    def hasher(x: Any) -> bytes:
        return repr(x).encode()

    @cached(tag="t", storage=storage, arg_hasher=hasher)
    def plain(x: int) -> list[str]:
        return ["plain"]

    @batch_cached(
        tag="t",
        batch_argument_names=["x"],
        storage=storage,
        arg_hasher=hasher,
        force_tag_nonunique=True,
    )
    def batched(x: list[int]) -> list[str]:
        return ["batched" for _ in x]

    assert plain(5) == ["plain"]
    assert batched([5]) == ["batched"]
    assert batched.cache_keys([5]) != [plain.cache_key(5)]
