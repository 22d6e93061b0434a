"""Serializers: round trips, the dill fallback, codec ids, and stdlib-style dumps/loads objects."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from typing import Any

import pytest

from _helpers import Calls
from miniperscache import (
    DillSerializer,
    JsonSerializer,
    PickleSerializer,
    Serializer,
    SqliteStorage,
    cached,
)
from miniperscache.serializers import as_serializer, codec_id

VALUES: list[Any] = [None, 1, 2.5, "s", b"b", [1, "a"], {"k": [1, 2]}, (1, 2), {1, 2}]


@pytest.mark.parametrize("serializer", [PickleSerializer(), DillSerializer()])
def test_pickle_like_round_trips(serializer: Serializer) -> None:
    for value in VALUES:
        assert serializer.deserialize(serializer.serialize(value)) == value


def test_json_round_trips() -> None:
    s = JsonSerializer()
    assert s.serialize({"a": [1, None]}) == b'{"a": [1, null]}'
    assert s.deserialize(s.serialize({"a": [1, None], "b": "é"})) == {"a": [1, None], "b": "é"}


def test_dill_serializer_uses_pickle_when_it_can() -> None:
    data = DillSerializer().serialize({"a": 1})
    assert data == pickle.dumps({"a": 1}, protocol=pickle.HIGHEST_PROTOCOL)


def test_dill_serializer_falls_back_to_dill_for_lambdas() -> None:
    s = DillSerializer()
    data = s.serialize(lambda x: x + 1)
    assert s.deserialize(data)(1) == 2

    def local(x: int) -> int:
        return x * 3

    assert s.deserialize(s.serialize(local))(2) == 6
    with pytest.raises((pickle.PicklingError, AttributeError, TypeError)):
        PickleSerializer().serialize(lambda x: x)


def test_cached_lambda_result_round_trips(calls: Calls) -> None:
    @cached(tag="t")
    def make_adder(n: int) -> Any:
        calls(n)
        return lambda x: x + n

    assert make_adder(2)(1) == 3
    assert make_adder(2)(5) == 7
    assert calls.count == 1


def test_import_does_not_import_dill() -> None:
    code = "import miniperscache, sys; assert 'dill' not in sys.modules, 'dill imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_dill_payloads_load_in_a_fresh_process(tmp_path: Any) -> None:
    """pickle.loads imports dill by itself when a payload needs it."""
    path = str(tmp_path / "payload")
    write = (
        "from miniperscache import DillSerializer\n"
        f"open({path!r}, 'wb').write(DillSerializer().serialize(lambda: 42))\n"
    )
    read = (
        "import sys\n"
        "from miniperscache import DillSerializer\n"
        "assert 'dill' not in sys.modules\n"
        f"f = DillSerializer().deserialize(open({path!r}, 'rb').read())\n"
        "assert f() == 42\n"
        "assert 'dill' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", write], check=True)
    subprocess.run([sys.executable, "-c", read], check=True)


def test_dumps_loads_objects_are_accepted(calls: Calls) -> None:
    @cached(tag="t", value_serializer=json)
    def f(x: int) -> dict[str, int]:
        calls(x)
        return {"x": x}

    assert f(1) == f(1) == {"x": 1}
    assert calls.count == 1
    assert SqliteStorage().get("t", f.cache_key(1)) == b'{"x": 1}'


def test_user_serializer(calls: Calls) -> None:
    class Reversed:
        def serialize(self, value: Any) -> bytes:
            return str(value).encode()[::-1]

        def deserialize(self, value: bytes) -> Any:
            return int(value[::-1])

    @cached(tag="t", value_serializer=Reversed())
    def f(x: int) -> int:
        calls(x)
        return x * 10

    assert f(12) == f(12) == 120
    assert calls.count == 1
    assert SqliteStorage().get("t", f.cache_key(12)) == b"021"


def test_not_a_serializer() -> None:
    with pytest.raises(TypeError, match="serialize"):
        as_serializer(object())


def test_codec_ids() -> None:
    class Mine:
        def serialize(self, value: Any) -> bytes:
            return b""

        def deserialize(self, value: bytes) -> Any:
            return None

    assert codec_id(DillSerializer()) == "py:dill"
    assert codec_id(PickleSerializer()) == "py:pickle"
    assert codec_id(JsonSerializer()) == "py:json"
    assert codec_id(as_serializer(pickle)) == "py:pickle"
    assert codec_id(as_serializer(json)) == "py:json"
    assert codec_id(Mine()) == f"py:{__name__}.test_codec_ids.<locals>.Mine"
    long = type("L" * 400, (Mine,), {})()
    assert len(codec_id(long).encode()) == 255
