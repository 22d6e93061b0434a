"""0.1.3's module path `miniperscache.batched_cache`, kept so old imports work; import from
`miniperscache`."""

from ._batch import async_batch_cached, batch_cached, mk_async_batch_cached, mk_batch_cached

__all__ = ["async_batch_cached", "batch_cached", "mk_async_batch_cached", "mk_batch_cached"]
