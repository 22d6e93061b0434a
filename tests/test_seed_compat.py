"""Drop-in compatibility with miniperscache 0.1.3, and the 0.1.3 bugs this version fixes."""

from __future__ import annotations

import importlib
import inspect
from typing import Any, Callable

import pytest

import miniperscache
from _helpers import Calls
from miniperscache import MkArgHasherType, cached, default_raw_arg_hasher

# miniperscache 0.1.3's `__all__`.
NAMES_0_1_3 = [
    "cached",
    "cached_async",
    "SqliteStorage",
    "FileStorage",
    "AsyncFileStorage",
    "JsonSerializer",
    "PickleSerializer",
    "DillSerializer",
    "DefaultArgHasher",
    "default_raw_arg_hasher",
]

# Modules of 0.1.3 that users imported from, and what they held.
MODULES_0_1_3 = {
    "miniperscache.cache": ["cached", "cached_async", "mk_cached", "mk_cached_async"],
    "miniperscache.storage": ["Storage", "AsyncStorage", "SqliteStorage", "FileStorage"],
    "miniperscache.serializer": ["Serializer", "PickleSerializer", "DillSerializer"],
    "miniperscache.arg_hasher": ["DefaultArgHasher", "MkArgHasherType", "default_raw_arg_hasher"],
    "miniperscache.batched_cache": ["batch_cached", "async_batch_cached", "mk_batch_cached"],
}


def test_public_names() -> None:
    for name in NAMES_0_1_3:
        assert name in miniperscache.__all__
        assert getattr(miniperscache, name).__module__ == "miniperscache"
    assert isinstance(miniperscache.__version__, str)
    assert miniperscache.__version__ == miniperscache._rust.__version__


def test_old_module_paths() -> None:
    for module, names in MODULES_0_1_3.items():
        mod = importlib.import_module(module)
        for name in names:
            assert getattr(mod, name) is getattr(miniperscache, name), (module, name)


def test_keyword_names_and_order() -> None:
    options = ["tag", "arg_hasher", "value_serializer", "storage", "force_tag_nonunique"]
    for decorator in (miniperscache.cached, miniperscache.cached_async):
        params = list(inspect.signature(decorator).parameters)
        assert params == [*options, "strict"]
    for maker in (miniperscache.mk_cached, miniperscache.mk_cached_async):
        assert list(inspect.signature(maker).parameters) == ["func", *options, "strict"]
    batch = ["tag", "batch_argument_names", *options[1:], "strict"]
    assert list(inspect.signature(miniperscache.batch_cached).parameters) == batch
    assert list(inspect.signature(miniperscache.async_batch_cached).parameters) == batch


def test_custom_mk_arg_hasher(calls: Calls) -> None:
    class FirstArgOnly(MkArgHasherType):
        def __call__(self, func: Callable[..., Any]) -> Callable[..., bytes]:
            return lambda first, *rest, **kw: default_raw_arg_hasher(first)

    @cached(tag="t", arg_hasher=FirstArgOnly())
    def f(a: int, b: int) -> int:
        calls(a)
        return a + b

    assert f(1, 2) == f(1, 3) == 3
    assert calls.count == 1


# --- 0.1.3 gave every numpy array, numpy scalar and DataFrame argument the same key on 3.11+ ---


def test_numpy_array_arguments_get_their_own_entries(calls: Calls) -> None:
    np = pytest.importorskip("numpy")

    @cached(tag="t")
    def total(a: Any) -> int:
        calls(a)
        return int(a.sum())

    assert total(np.array([1, 2])) == 3
    assert total(np.array([3, 4])) == 7
    assert total(np.array([1.0, 2.0])) == 3
    assert total(np.array([1, 2])) == 3
    assert calls.count == 3


def test_numpy_scalar_arguments_get_their_own_entries(calls: Calls) -> None:
    np = pytest.importorskip("numpy")

    @cached(tag="t")
    def twice(x: Any) -> float:
        calls(x)
        return float(x) * 2

    assert [twice(np.float64(1.5)), twice(np.float64(2.5)), twice(np.int64(3))] == [3, 5, 6]
    assert twice(np.float64(1.5)) == 3
    assert calls.count == 3


def test_dataframe_arguments_get_their_own_entries(calls: Calls) -> None:
    pd = pytest.importorskip("pandas")

    @cached(tag="t")
    def total(df: Any) -> int:
        calls(df)
        return int(df["a"].sum())

    assert total(pd.DataFrame({"a": [1, 2]})) == 3
    assert total(pd.DataFrame({"a": [5, 2]})) == 7
    assert total(pd.DataFrame({"a": [1, 2]})) == 3
    assert calls.count == 2
