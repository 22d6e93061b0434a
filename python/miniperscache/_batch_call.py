"""One call of a batched function: element keys, which elements hit, what to compute, results.

`_batch.py` holds the decorators; this module holds the per-call algorithm they share, so the sync
and async wrappers differ only in their awaits.
"""

from __future__ import annotations

import logging
from typing import Any, Callable

from . import _rust
from ._keys import ArgumentBinder, Bound, key_fallback
from ._setup import Setup, logger

__all__ = ["Batch", "BatchCall"]


def _positional(column: Any) -> Any:
    """What `[i]` indexes by position: a pandas object's `.iloc`, else the column itself."""
    if type(column).__module__.startswith("pandas") and hasattr(column, "iloc"):
        return column.iloc
    return column


def _subset(column: Any, indices: list[int]) -> Any:
    """The elements of `column` at `indices`, keeping lists, tuples, numpy arrays and pandas
    objects as such (anything else becomes a list)."""
    if isinstance(column, tuple):
        return tuple(column[i] for i in indices)
    module = type(column).__module__
    if module == "numpy" and hasattr(column, "take"):
        return column.take(indices, axis=0)
    if module.startswith("pandas") and hasattr(column, "iloc"):
        return column.iloc[indices]
    return [column[i] for i in indices]


class Batch:
    """Decoration-time plan of a batched function; `start()` begins one call."""

    def __init__(self, setup: Setup, func: Callable[..., Any], names: list[str] | None) -> None:
        self.setup = setup
        self.binder = setup.binder or ArgumentBinder(func)
        self.names = self._check_names(func, names)
        self.func = func
        pairs_names = [n for n in self.binder.named if n not in self.binder.skip]
        self.key_slots = [(pairs_names.index(n), n) for n in self.names]

    def _check_names(self, func: Callable[..., Any], names: list[str] | None) -> list[str]:
        if isinstance(names, str):
            names = [names]
        names = list(names or [])
        label = getattr(func, "__qualname__", repr(func))
        if not names:
            raise ValueError(f"batch_argument_names must name at least one parameter of {label}")
        for name in names:
            if name not in self.binder.named:
                raise ValueError(
                    f"batch argument {name!r} is not a named parameter of "
                    f"{label}{self.binder.signature}"
                )
            if name in self.binder.skip:
                raise ValueError(f"batch argument {name!r} cannot also be in skip_args")
        return list(dict.fromkeys(names))

    def keys(self, bound: Bound, columns: list[Any], size: int) -> list[bytes]:
        """The key of every element."""
        columns = [_positional(column) for column in columns]
        if self.setup.binder is None:  # a user's arg_hasher: call it on each element's call
            keys = []
            for i in range(size):
                values = dict(bound[0])
                values.update((name, col[i]) for name, col in zip(self.names, columns))
                args, kwargs = self.binder.call_args((values, bound[1], bound[2]))
                keys.append(self.setup.key_of(args, kwargs))
            return keys
        pairs = self.binder.key_pairs(bound)
        hash_arguments = _rust.hash_arguments
        keys = []
        for i in range(size):
            element = list(pairs)
            for (slot, name), col in zip(self.key_slots, columns):
                element[slot] = (name, col[i])
            keys.append(hash_arguments(element, True, key_fallback))
        return keys

    def start(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> BatchCall:
        bound = self.binder.bind(args, kwargs)
        columns = [bound[0][name] for name in self.names]
        lengths = []
        for name, column in zip(self.names, columns):
            try:
                lengths.append(len(column))
            except TypeError:
                raise ValueError(
                    f"batch argument {name!r} must be a sequence, got {type(column).__qualname__}"
                ) from None
        if len(set(lengths)) > 1:
            raise ValueError(
                f"all batch arguments must have the same length, got "
                f"{dict(zip(self.names, lengths))}"
            )
        return BatchCall(self, args, kwargs, bound, columns, self.keys(bound, columns, lengths[0]))


class BatchCall:
    """One call of a batched function: which elements hit, what to compute, the results."""

    def __init__(
        self,
        batch: Batch,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        bound: Bound,
        columns: list[Any],
        keys: list[bytes],
    ) -> None:
        self.batch, self.args, self.kwargs = batch, args, kwargs
        self.bound, self.columns, self.keys = bound, columns, keys
        self.unique = list(dict.fromkeys(keys))
        self.found: dict[bytes, Any] = {}
        self.missing: list[bytes] = []

    def take(self, payloads: list[bytes | None]) -> tuple[tuple[Any, ...], dict[str, Any]] | None:
        """Records the hits; returns the arguments computing the misses, or None if none."""
        for key, payload in zip(self.unique, payloads):
            hit, value = self.batch.setup.load(payload, key)
            if hit:
                self.found[key] = value
            else:
                self.missing.append(key)
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "Batch for %s: %d elements, %d cached, %d to compute",
                self.batch.setup.tag,
                len(self.keys),
                len(self.found),
                len(self.missing),
            )
        if not self.missing:
            return None
        if len(self.missing) == len(self.keys):  # no hits, no duplicates: the call as made
            return self.args, self.kwargs
        first = {key: i for i, key in reversed(list(enumerate(self.keys)))}
        indices = [first[key] for key in self.missing]
        values = dict(self.bound[0])
        for name, column in zip(self.batch.names, self.columns):
            values[name] = _subset(column, indices)
        return self.batch.binder.call_args((values, self.bound[1], self.bound[2]))

    def give(self, result: Any) -> list[tuple[bytes, bytes]]:
        """Records the computed results; returns the (key, payload) pairs to store."""
        try:
            results = list(result)
        except TypeError:
            raise TypeError(
                f"{self._label()} must return a sequence of results, "
                f"got {type(result).__qualname__}"
            ) from None
        if len(results) != len(self.missing):
            raise ValueError(
                f"{self._label()} returned {len(results)} results for {len(self.missing)} "
                "inputs; a batch_cached function must return one result per element, in order"
            )
        items = []
        for key, value in zip(self.missing, results):
            self.found[key] = value
            data = self.batch.setup.dump(value)
            if data is not None:
                items.append((key, data))
        return items

    def results(self) -> list[Any]:
        return [self.found[key] for key in self.keys]

    def _label(self) -> str:
        return str(getattr(self.batch.func, "__qualname__", self.batch.func))
