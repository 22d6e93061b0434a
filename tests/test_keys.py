"""Keys: which calls share an entry and which don't."""

from __future__ import annotations

import dataclasses
import datetime
import enum
import os
import subprocess
import sys
import threading
import uuid
from decimal import Decimal
from pathlib import Path, PurePosixPath
from typing import Any, NamedTuple

import pytest

from miniperscache import DefaultArgHasher, _rust, default_raw_arg_hasher
from miniperscache._keys import ArgumentBinder


def value_key(value: Any) -> bytes:
    """The key of `f(value)` for a one-parameter function."""

    def f(x: Any) -> None: ...

    return DefaultArgHasher()(f)(value)


def assert_all_different(*values: Any) -> None:
    keys = [value_key(v) for v in values]
    assert len(set(keys)) == len(keys), values


# --- binding: spellings of one call --------------------------------------------------------------


def test_positional_keyword_and_default_spellings_agree() -> None:
    def f(x: int, y: int = 2) -> None: ...

    h = DefaultArgHasher()(f)
    assert h(1, 2) == h(1, y=2) == h(x=1, y=2) == h(y=2, x=1) == h(1)
    assert h(1, 3) != h(1)


def test_keyword_only_and_positional_only() -> None:
    def f(a: int, /, b: int, *, c: int = 3) -> None: ...

    h = DefaultArgHasher()(f)
    assert h(1, 2) == h(1, b=2) == h(1, 2, c=3)
    assert h(1, 2, c=4) != h(1, 2)


def test_var_args_and_kwargs() -> None:
    def f(a: int, *args: int, **kwargs: int) -> None: ...

    h = DefaultArgHasher()(f)
    assert h(1, 2, 3) != h(1, 2) != h(1)
    assert h(1, 2, 3) != h(1, 3, 2)
    assert h(1, x=1, y=2) == h(1, y=2, x=1)
    assert h(1, x=1) != h(1, x=2) != h(1)
    assert h(1, 2) != h(1, b=2)


def test_positional_only_name_can_also_be_a_kwarg() -> None:
    def f(a: int, /, **kwargs: int) -> None: ...

    h = DefaultArgHasher()(f)
    assert h(1, a=2) != h(1)
    assert h(1, a=2) != h(2, a=1)


def test_fast_binder_agrees_with_python() -> None:
    def f(a: int, b: int = 2, /, c: int = 3, *args: int, d: int, e: int = 5, **kw: int) -> Any:
        return {"a": a, "b": b, "c": c, "d": d, "e": e}, args, kw  # what Python bound

    binder = ArgumentBinder(f)
    calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
        ((1,), {"d": 4}),
        ((1, 2), {"d": 4}),
        ((1, 2, 3, 7, 8), {"d": 4, "z": 9}),
        ((1,), {"c": 3, "d": 4, "e": 6}),
        ((1,), {"d": 4, "a": 10, "b": 11}),  # positional-only names land in **kw
    ]
    for args, kwargs in calls:
        bound = binder.bind(args, kwargs)
        assert bound == f(*args, **kwargs), (args, kwargs)
        again_args, again_kwargs = binder.call_args(bound)
        assert f(*again_args, **again_kwargs) == bound


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [((), {}), ((1, 2, 3), {}), ((1,), {"x": 1, "y": 2}), ((1,), {"z": 3})],
)
def test_bad_calls_raise_the_usual_type_error(
    args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    def f(x: int, y: int = 2) -> None: ...

    with pytest.raises(TypeError) as expected:
        inspect_signature_bind(f, args, kwargs)
    with pytest.raises(TypeError) as got:
        DefaultArgHasher()(f)(*args, **kwargs)
    assert str(got.value) == str(expected.value)


def inspect_signature_bind(f: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    import inspect

    inspect.signature(f).bind(*args, **kwargs)


# --- skip_args -----------------------------------------------------------------------------------


def test_skip_args() -> None:
    def f(client: object, prompt: str, *, temperature: float = 0.0) -> None: ...

    h = DefaultArgHasher(skip_args=["client", "temperature"])(f)
    assert h(object(), "p") == h(threading.Lock(), "p", temperature=1.0)
    assert h(object(), "p") != h(object(), "q")


def test_skip_args_unknown_name_raises_at_decoration() -> None:
    def f(client: object, prompt: str) -> None: ...

    with pytest.raises(ValueError, match="'clinet'"):
        DefaultArgHasher(skip_args=["clinet"])(f)


def test_skip_args_can_name_a_kwarg_when_the_function_takes_kwargs() -> None:
    def f(prompt: str, **options: object) -> None: ...

    h = DefaultArgHasher(skip_args=["client"])(f)
    assert h("p", client=object(), n=1) == h("p", client=threading.Lock(), n=1)
    assert h("p", n=1) == h("p", client=1, n=1)
    assert h("p", n=1) != h("p", n=2)


# --- values --------------------------------------------------------------------------------------


def test_scalars_of_different_types_differ() -> None:
    assert_all_different(True, 1, 1.0, "1", b"1", None, 0, False, "", b"", Decimal(1))
    assert_all_different("a", b"a", bytearray(b"b"))


def test_containers() -> None:
    assert_all_different((1,), [1], (1, 2), [2, 1], {1: 2}, {1}, [[1]], ())
    assert value_key({"a": 1, "b": 2}) == value_key({"b": 2, "a": 1})
    assert value_key({3, 1, 2}) == value_key({1, 2, 3})
    assert value_key(frozenset({"x", "y"})) == value_key(frozenset({"y", "x"}))
    assert value_key([1, [2, 3]]) != value_key([1, [2, 4]])
    assert value_key({"a": [1]}) != value_key({"a": [2]})


def test_big_ints() -> None:
    assert_all_different(2**63, 2**64, 2**64 + 1, -(2**64), 2**200, 2**200 + 1, -(2**200))
    assert value_key(2**200) == value_key(2**200)


class Color(enum.Enum):
    RED = 1
    BLUE = 2


class Shade(enum.Enum):
    RED = 1


def test_enum() -> None:
    assert_all_different(Color.RED, Color.BLUE, Shade.RED)
    assert value_key(Color.RED) == value_key(Color(1))


def test_dates_and_times() -> None:
    utc = datetime.timezone.utc
    assert_all_different(
        datetime.datetime(2024, 1, 1),
        datetime.datetime(2024, 1, 2),
        datetime.datetime(2024, 1, 1, tzinfo=utc),
        datetime.date(2024, 1, 1),
        datetime.date(2024, 1, 2),
        datetime.time(12, 0),
        datetime.time(12, 1),
        datetime.timedelta(days=1),
        datetime.timedelta(days=2),
    )
    assert value_key(datetime.datetime(2024, 1, 1)) == value_key(datetime.datetime(2024, 1, 1))


def test_decimal_uuid_path() -> None:
    u = uuid.UUID(int=1)
    assert_all_different(Decimal("1.5"), Decimal("2.5"), u, uuid.UUID(int=2), str(u))
    assert_all_different(Path("a/b"), Path("a/c"), "a/b")
    assert value_key(Path("a/b")) == value_key(Path("a") / "b")
    assert value_key(PurePosixPath("x")) == value_key(PurePosixPath("x"))


@dataclasses.dataclass
class Point:
    x: int
    y: int


@dataclasses.dataclass
class Other:
    x: int
    y: int


class Pair(NamedTuple):
    a: int
    b: str


def test_dataclass_and_namedtuple() -> None:
    assert value_key(Point(1, 2)) == value_key(Point(1, 2))
    assert_all_different(Point(1, 2), Point(1, 3), Other(1, 2))
    assert value_key(Pair(1, "x")) == value_key(Pair(1, "x"))
    assert_all_different(Pair(1, "x"), Pair(1, "y"), Pair(2, "x"))


def test_pydantic_model() -> None:
    pydantic = pytest.importorskip("pydantic")

    class Model(pydantic.BaseModel):  # type: ignore[misc]
        a: int
        b: list[str] = pydantic.Field(default_factory=list)

    assert value_key(Model(a=1)) == value_key(Model(a=1, b=[]))
    assert_all_different(Model(a=1), Model(a=2), Model(a=1, b=["x"]))

    class Secret(pydantic.BaseModel):  # type: ignore[misc]
        a: int
        secret: str = pydantic.Field(exclude=True)

    # A field left out of model_dump() still tells two arguments apart.
    assert_all_different(Secret(a=1, secret="x"), Secret(a=1, secret="y"))

    class Extra(pydantic.BaseModel, extra="allow"):  # type: ignore[misc, call-arg]
        a: int

    assert_all_different(Extra(a=1), Extra(a=1, z=1), Extra(a=1, z=2))


class Client:
    def __init__(self, model: str) -> None:
        self.model = model
        self.connection = threading.Lock()

    def __cache_key__(self) -> str:
        return self.model


def test_cache_key_method() -> None:
    assert value_key(Client("a")) == value_key(Client("a"))
    assert value_key(Client("a")) != value_key(Client("b"))


def test_numpy_arrays() -> None:
    np = pytest.importorskip("numpy")
    a = np.arange(12, dtype=np.int64)
    assert value_key(a) == value_key(a.copy())
    assert_all_different(
        a, a + 1, a[:-1], a.astype(np.int32), a.astype(np.float64), a.reshape(3, 4), a.reshape(4, 3)
    )
    # a non-contiguous view hashes as its contents
    view = a[::2]
    assert not view.flags["C_CONTIGUOUS"]
    assert value_key(view) == value_key(np.ascontiguousarray(view))
    assert value_key(view) != value_key(a[1::2])
    m = a.reshape(3, 4)
    assert value_key(np.asfortranarray(m)) == value_key(m)
    assert value_key(m.T) != value_key(m)


def test_numpy_scalars() -> None:
    np = pytest.importorskip("numpy")
    assert value_key(np.float64(1.5)) == value_key(np.float64(1.5))
    assert_all_different(np.float64(1.5), np.float64(2.5), np.int64(1), np.int64(2), np.int32(2))


def test_pandas_objects() -> None:
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    assert value_key(df) == value_key(df.copy())
    assert_all_different(
        df,
        pd.DataFrame({"a": [1, 3], "b": ["x", "y"]}),
        pd.DataFrame({"a": [1, 2], "c": ["x", "y"]}),
        pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}, index=[5, 6]),
        df["a"],
        df["b"],
        df.index,
    )
    assert value_key(pd.Series([1, 2])) != value_key(pd.Series([1.0, 2.0]))


def test_pandas_objects_that_hash_alike_row_by_row() -> None:
    pd = pytest.importorskip("pandas")
    # Object columns: pandas' row hashes go through str(), so 1 and "1" would collide.
    assert_all_different(
        pd.DataFrame({"a": pd.Series([1, 2], dtype=object)}),
        pd.DataFrame({"a": pd.Series(["1", "2"], dtype=object)}),
        pd.DataFrame({"a": pd.Series([(1,), (2,)], dtype=object)}),
    )
    df = pd.DataFrame({"a": [1, 2]}, index=pd.Index([0, 1], name="i"))
    renamed = df.rename_axis("j")
    columns_named = df.rename_axis("c", axis="columns")
    instants = pd.date_range("2024-01-01", periods=1, tz="UTC")
    assert_all_different(
        df,
        renamed,
        columns_named,
        pd.Series([1], index=instants),
        pd.Series([1], index=instants.tz_convert("Asia/Tokyo")),
        pd.DataFrame({"a": [1, 2]}, index=pd.MultiIndex.from_tuples([(0, 0), (1, 1)])),
        pd.DataFrame(
            {"a": [1, 2]},
            index=pd.MultiIndex.from_tuples([(0, 0), (1, 1)], names=["x", "y"]),
        ),
    )


def test_unsupported_type_error_names_the_way_out() -> None:
    def f(prompt: str, client: object) -> None: ...

    with pytest.raises(TypeError) as info:
        DefaultArgHasher()(f)("p", threading.Lock())
    message = str(info.value)
    assert message.startswith("cannot hash argument 'client' of type _thread.lock"), message
    for needle in ("skip_args=['client']", "arg_hasher", "__cache_key__"):
        assert needle in message, (needle, message)
    with pytest.raises(TypeError, match=r"client\['a'\]\[0\] is of type _thread.lock"):
        DefaultArgHasher()(f)("p", {"a": [threading.Lock()]})


# --- raw hashers and key domains -----------------------------------------------------------------


def test_default_raw_arg_hasher() -> None:
    key = default_raw_arg_hasher(1, "a", x=1, y=2)
    assert isinstance(key, bytes)
    assert len(key) == 32
    assert key == default_raw_arg_hasher(1, "a", y=2, x=1)
    assert key != default_raw_arg_hasher("a", 1, x=1, y=2)
    assert key != default_raw_arg_hasher(1, "a", x=1, y=3)


def test_batch_and_raw_keys_are_separate_domains() -> None:
    pairs = [("x", 1)]
    plain = _rust.hash_arguments(pairs)
    assert plain != _rust.hash_arguments(pairs, batch=True)
    assert plain != _rust.raw_key(plain)
    assert len(_rust.raw_key(b"x" * 10_000)) == 32


def test_keys_are_stable_across_processes() -> None:
    here = value_key({"s": "text", "n": [1, 2.5, None], "b": b"\x00"})
    code = (
        "from miniperscache import DefaultArgHasher\n"
        "def f(x): pass\n"
        "print(DefaultArgHasher()(f)({'b': b'\\x00', 'n': [1, 2.5, None], 's': 'text'}).hex())"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.strip() == here.hex()


def test_keys_are_pinned() -> None:
    """Golden keys: if these change, every stored Python cache is invalidated (bump
    KEY_FORMAT_VERSION on purpose). The first two and the raw key were computed independently,
    with the `blake3` package over bytes built by hand from docs/formats.md and crates/python."""
    np = pytest.importorskip("numpy")
    assert _rust.KEY_FORMAT_VERSION == 1
    assert (
        _rust.hash_arguments([("x", 1), ("s", "hi")]).hex()
        == "b8f8d76a440534c4fca23a194720f4fa922cfefbff5e2e05339cde18b17e15dd"
    )
    assert (
        _rust.hash_arguments([("a", np.arange(3, dtype="<i8"))]).hex()
        == "1c20a90920b01350255e57f76e4cadf57763e76852511d3036b800e9776002ef"
    )
    assert (
        _rust.hash_arguments([("x", 1)], batch=True).hex()
        == "3328d09c9da7636f3460d019185e0ff570dc7e44781ade973a2b3942afd06902"
    )
    assert (
        _rust.hash_values((1, "a"), {"k": [1.5, None]}).hex()
        == "7fe718a1c8def753ee19176c9f4037dd4230fca21aafd1b46b6ea73a5f7660f2"
    )
    # The same raw-key derivation as the Rust engine's `Key::from_material(b"abc")`.
    assert (
        _rust.raw_key(b"abc").hex()
        == "30fc0cf25b0f6183502730ae393fed6af077d5ab905e9bf8b558b3270c2a9d54"
    )


def test_keywords_named_like_var_args_reach_the_key() -> None:
    def f(*args: Any, **kwargs: Any) -> None: ...

    def g(x: int, **params: Any) -> None: ...

    key_f = DefaultArgHasher()(f)
    assert key_f(args=1) != key_f(args=2)
    assert key_f(args=1) != key_f()
    key_g = DefaultArgHasher()(g)
    assert key_g(1, params={"a": 1}) != key_g(1, params={"a": 2})

    def h(x: int, *args: Any) -> None: ...

    with pytest.raises(TypeError):
        DefaultArgHasher()(h)(1, args=5)


def test_pandas_categoricals_and_signed_zeros() -> None:
    pd = pytest.importorskip("pandas")
    assert_all_different(
        pd.Series(pd.Categorical(["a", "b"])),
        pd.Series(pd.Categorical(["a", "b"], categories=["a", "b", "c"])),
        pd.Series(pd.Categorical(["a", "b"], ordered=True)),
        pd.Series(pd.Categorical(["b", "a"], categories=["b", "a"])),
    )
    assert value_key(pd.Series(pd.Categorical(["a", "b"]))) == value_key(
        pd.Series(pd.Categorical(["a", "b"]))
    )
    assert_all_different(pd.Series([0.0]), pd.Series([-0.0]))
