"""Test helpers: user-written storages as a 0.1.3 user would write them, broken ones for error
tests, and a call counter."""

from __future__ import annotations

from typing import Any

from miniperscache import AsyncStorage, Storage


class DictStorage(Storage):
    """A 0.1.3-style storage in a dict; records the keys it is given."""

    def __init__(self) -> None:
        self.data: dict[tuple[str, bytes], bytes] = {}
        self.keys: list[bytes] = []

    def get(self, tag: str, key: bytes) -> bytes | None:
        self.keys.append(key)
        return self.data.get((tag, key))

    def set(self, tag: str, key: bytes, value: bytes) -> None:
        self.keys.append(key)
        self.data[(tag, key)] = value

    def delete_with_tag(self, tag: str) -> None:
        for k in [k for k in self.data if k[0] == tag]:
            del self.data[k]


class DuckStorage:
    """A storage that doesn't subclass Storage, only has its methods."""

    def __init__(self) -> None:
        self.data: dict[tuple[str, bytes], bytes] = {}

    def get(self, tag: str, key: bytes) -> bytes | None:
        return self.data.get((tag, key))

    def set(self, tag: str, key: bytes, value: bytes) -> None:
        self.data[(tag, key)] = value

    def delete_with_tag(self, tag: str) -> None:
        self.data = {k: v for k, v in self.data.items() if k[0] != tag}


class AsyncDictStorage(AsyncStorage):
    """A 0.1.3-style async storage in a dict."""

    def __init__(self) -> None:
        self.inner = DictStorage()

    async def get(self, tag: str, key: bytes) -> bytes | None:
        return self.inner.get(tag, key)

    async def set(self, tag: str, key: bytes, value: bytes) -> None:
        self.inner.set(tag, key, value)

    async def delete_with_tag(self, tag: str) -> None:
        self.inner.delete_with_tag(tag)


class BrokenStorage(DictStorage):
    """Fails on reads and/or writes with OSError, like a full disk."""

    def __init__(self, *, reads: bool = False, writes: bool = True) -> None:
        super().__init__()
        self.fail_reads = reads
        self.fail_writes = writes

    def get(self, tag: str, key: bytes) -> bytes | None:
        if self.fail_reads:
            raise OSError("disk on fire")
        return super().get(tag, key)

    def set(self, tag: str, key: bytes, value: bytes) -> None:
        if self.fail_writes:
            raise OSError("disk full")
        super().set(tag, key, value)


class AsyncBrokenStorage(AsyncStorage):
    """BrokenStorage behind the async interface."""

    def __init__(self, *, reads: bool = False, writes: bool = True) -> None:
        self.inner = BrokenStorage(reads=reads, writes=writes)

    async def get(self, tag: str, key: bytes) -> bytes | None:
        return self.inner.get(tag, key)

    async def set(self, tag: str, key: bytes, value: bytes) -> None:
        self.inner.set(tag, key, value)

    async def delete_with_tag(self, tag: str) -> None:
        self.inner.delete_with_tag(tag)


class Calls:
    """Counts calls of a test function: `calls(x)` records x."""

    def __init__(self) -> None:
        self.args: list[Any] = []

    def __call__(self, *args: Any) -> None:
        self.args.append(args[0] if len(args) == 1 else args)

    @property
    def count(self) -> int:
        return len(self.args)
