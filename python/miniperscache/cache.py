"""0.1.3's module path `miniperscache.cache`, kept so old imports work; import from
`miniperscache`."""

from ._decorators import cached, cached_async, mk_cached, mk_cached_async

__all__ = ["cached", "cached_async", "mk_cached", "mk_cached_async"]
