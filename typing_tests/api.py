"""Type checks of the public API (mypy --strict; never executed).

Decorated functions must keep their exact parameters and return types, sync and async.
"""

from __future__ import annotations

import json
from collections.abc import Coroutine
from typing import Any

from typing_extensions import Protocol, assert_type

from miniperscache import (
    AsyncBatchCachedFunction,
    AsyncCachedFunction,
    AsyncFileStorage,
    BatchCachedFunction,
    CachedFunction,
    DefaultArgHasher,
    DillSerializer,
    FileStorage,
    JsonSerializer,
    PickleSerializer,
    SqliteStorage,
    batch_cached,
    batch_cached_async,
    cached,
    cached_async,
    default_raw_arg_hasher,
    mk_cached,
    mk_cached_async,
)


@cached(tag="sync")
def add(x: int, y: int = 2, *, label: str = "") -> float:
    return x + y


class AddSignature(Protocol):
    def __call__(self, x: int, y: int = 2, *, label: str = "") -> float: ...


exact_add: AddSignature = add
as_cached: CachedFunction[..., float] = add
assert_type(add(1), float)
assert_type(add(1, 2, label="a"), float)
assert_type(add.cache_key(1, y=3), bytes)
assert_type(add.cache_clear(), None)
assert_type(add.__wrapped__(1), float)
add("1")  # type: ignore[arg-type]
add(1, z=2)  # type: ignore[call-arg]


@cached_async(tag="async", storage=AsyncFileStorage(), value_serializer=JsonSerializer())
async def fetch(url: str, retries: int = 3) -> dict[str, Any]:
    return {}


class FetchSignature(Protocol):
    def __call__(self, url: str, retries: int = 3) -> Coroutine[Any, Any, dict[str, Any]]: ...


exact_fetch: FetchSignature = fetch
as_async_cached: AsyncCachedFunction[..., dict[str, Any]] = fetch
fetch_call = fetch("u")
checked_fetch_call = assert_type(fetch_call, Coroutine[Any, Any, dict[str, Any]])
assert_type(fetch.cache_key("u"), bytes)
clear_call = fetch.cache_clear()
checked_clear_call = assert_type(clear_call, Coroutine[Any, Any, None])
bad_call = fetch(1)  # type: ignore[arg-type]


async def use_fetch() -> None:
    assert_type(await fetch("u", retries=1), dict[str, Any])


@cached(
    tag="options",
    arg_hasher=DefaultArgHasher(skip_args=["client"]),
    value_serializer=PickleSerializer(),
    storage=FileStorage(),
    force_tag_nonunique=True,
    strict=True,
)
def with_options(client: object, prompt: str) -> list[str]:
    return [prompt]


assert_type(with_options(None, "p"), list[str])


def raw_hasher(x: int) -> bytes:
    return default_raw_arg_hasher(x)


@cached(tag="raw", arg_hasher=raw_hasher, value_serializer=json, storage=SqliteStorage())
def with_raw_hasher(x: int) -> int:
    return x


assert_type(with_raw_hasher(1), int)

cached(tag="bad_serializer", value_serializer=object())  # type: ignore[arg-type]
cached(tag="bad_storage", storage=AsyncFileStorage())  # type: ignore[arg-type]


@batch_cached(tag="batch", batch_argument_names=["texts"])
def embed(model: str, texts: list[str]) -> list[list[float]]:
    return [[0.0] for _ in texts]


class EmbedSignature(Protocol):
    def __call__(self, model: str, texts: list[str]) -> list[list[float]]: ...


exact_embed: EmbedSignature = embed
as_batch: BatchCachedFunction[..., list[float]] = embed
assert_type(embed("m", ["a"]), list[list[float]])
assert_type(embed.cache_keys("m", ["a"]), list[bytes])


@batch_cached_async(tag="batch_async", batch_argument_names=["xs"])
async def double(xs: list[int]) -> list[int]:
    return [x * 2 for x in xs]


as_async_batch: AsyncBatchCachedFunction[..., int] = double
double_call = double([1])
checked_double_call = assert_type(double_call, Coroutine[Any, Any, list[int]])
double_bad = double(["a"])  # type: ignore[list-item]


def plain(x: str) -> str:
    return x


async def plain_async(x: str) -> bytes:
    return x.encode()


mk_plain = mk_cached(plain, "mk", value_serializer=DillSerializer())
assert_type(mk_plain("x"), str)
mk_plain(1)  # type: ignore[arg-type]
mk_plain_async = mk_cached_async(plain_async, "mk_async")
mk_async_call = mk_plain_async("x")
checked_mk_async_call = assert_type(mk_async_call, Coroutine[Any, Any, bytes])


class Model:
    """Decorated methods bind like functions: the call's result keeps its type."""

    def __cache_key__(self) -> str:
        return "model"

    @cached(tag="typing.method")
    def predict(self, x: int) -> int:
        return x

    @cached_async(tag="typing.amethod")
    async def apredict(self, x: int) -> str:
        return str(x)


async def use_methods() -> None:
    assert_type(Model().predict(2), int)
    assert_type(await Model().apredict(2), str)
