"""Serializers turn a function's result into bytes and back; they run in Python.

The protocol is 0.1.3's: `serialize(value) -> bytes` and `deserialize(data) -> value`. Objects with
the stdlib's `dumps`/`loads` (the `pickle` and `dill` modules themselves, say) are accepted too.

Each serializer has a codec id stored with every entry ("py:dill", "py:pickle", "py:json", or
"py:<module>.<qualname>" of a user's serializer class), so an entry written by one serializer is a
miss, not garbage, for a function that reads with another.

WARNING: pickle and dill payloads can run arbitrary code when loaded. Only read caches you trust.
"""

from __future__ import annotations

import importlib
import json
import pickle
import types
from typing import Any, Protocol, cast, runtime_checkable

__all__ = [
    "DillSerializer",
    "DumpsLoads",
    "JsonSerializer",
    "PickleSerializer",
    "Serializer",
    "as_serializer",
    "codec_id",
]

_MAX_CODEC_BYTES = 255


@runtime_checkable
class Serializer(Protocol):
    """What `value_serializer=` takes: bytes out, bytes in."""

    def serialize(self, value: Any) -> bytes: ...

    def deserialize(self, value: bytes) -> Any: ...


@runtime_checkable
class DumpsLoads(Protocol):
    """The stdlib's serializer shape (`pickle`, `dill`, `json` modules), also accepted."""

    def dumps(self, obj: Any, /) -> Any: ...

    def loads(self, data: bytes, /) -> Any: ...


class PickleSerializer(Serializer):
    """The stdlib's C pickle at its highest protocol.

    (0.1.3 used cloudpickle here; the stdlib pickle is faster and reads everything cloudpickle's
    output needed, except values pickled by value such as lambdas: use DillSerializer for those.)
    """

    codec = "py:pickle"

    def serialize(self, value: Any) -> bytes:
        return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)

    def deserialize(self, value: bytes) -> Any:
        return pickle.loads(value)


class DillSerializer(Serializer):
    """The default: the stdlib pickle, falling back to dill for what pickle can't handle.

    Most values (numbers, strings, containers, numpy arrays, dataclasses) pickle directly, which is
    much faster than dill. Lambdas, local functions and classes, and other values pickle refuses,
    go through `dill.dumps`. Reading is `pickle.loads`, which imports dill by itself when a payload
    needs it (and `dill.loads` for the few dill payloads only dill's unpickler reads, such as
    functions defined in `__main__`), so `import miniperscache` never imports dill.
    """

    codec = "py:dill"

    def serialize(self, value: Any) -> bytes:
        try:
            return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, AttributeError, TypeError):
            dill: Any = importlib.import_module("dill")  # ~100 ms: only when pickle gave up
            data: bytes = dill.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
            return data

    def deserialize(self, value: bytes) -> Any:
        try:
            return pickle.loads(value)
        except Exception:
            # Payloads of functions defined in `__main__` name it in a way only dill's unpickler
            # understands ("__builtin__ __main__"); anything else failing here fails in dill too.
            if b"dill" not in value:
                raise
            dill: Any = importlib.import_module("dill")
            return dill.loads(value)


class JsonSerializer(Serializer):
    """JSON (UTF-8). Tuples come back as lists, as with any JSON round trip."""

    codec = "py:json"

    def serialize(self, value: Any) -> bytes:
        return json.dumps(value).encode("utf-8")

    def deserialize(self, value: bytes) -> Any:
        return json.loads(value.decode("utf-8"))


class _DumpsLoads:
    """Adapts a stdlib-style `dumps`/`loads` object to the Serializer protocol."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def serialize(self, value: Any) -> bytes:
        data = self.inner.dumps(value)
        if isinstance(data, str):
            data = data.encode("utf-8")
        return bytes(data)

    def deserialize(self, value: bytes) -> Any:
        return self.inner.loads(value)


def as_serializer(obj: Serializer | DumpsLoads | object) -> Serializer:
    """`obj` as a Serializer; TypeError if it has neither serialize/deserialize nor dumps/loads."""
    if isinstance(obj, type):
        raise TypeError(
            f"value_serializer must be a serializer object, got the class {obj.__qualname__}: "
            f"pass an instance, e.g. value_serializer={obj.__qualname__}()"
        )
    if callable(getattr(obj, "serialize", None)) and callable(getattr(obj, "deserialize", None)):
        return cast(Serializer, obj)
    if callable(getattr(obj, "dumps", None)) and callable(getattr(obj, "loads", None)):
        return _DumpsLoads(obj)
    raise TypeError(
        f"value_serializer must have serialize()/deserialize() or dumps()/loads(), "
        f"got {type(obj).__qualname__}"
    )


def codec_id(obj: Any) -> str:
    """The codec id stored with entries `obj` wrote (at most 255 UTF-8 bytes): an entry written by
    another serializer reads as a miss.

    The built-in serializers have fixed ids. A user's serializer may name its format with a str
    `codec` attribute (e.g. `codec = "zstd-json-v2"`, which also tells apart two configurations
    of one class); otherwise its class's (or module's) qualified name is used.
    """
    if isinstance(obj, _DumpsLoads):
        obj = obj.inner
    builtin = (PickleSerializer, DillSerializer, JsonSerializer)
    own = getattr(obj, "codec", None)
    if type(obj) in builtin:
        name = str(own)
    elif isinstance(own, str) and own and own not in {cls.codec for cls in builtin}:
        name = own if own.startswith("py:") else f"py:{own}"
    elif isinstance(obj, types.ModuleType):
        name = f"py:{obj.__name__}"
    else:
        cls = type(obj)
        name = f"py:{cls.__module__}.{cls.__qualname__}"
    return name.encode("utf-8")[:_MAX_CODEC_BYTES].decode("utf-8", "ignore")
