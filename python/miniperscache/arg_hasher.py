"""0.1.3's module path `miniperscache.arg_hasher`, kept so old imports work; import from
`miniperscache`."""

from ._keys import DefaultArgHasher, MkArgHasherType, default_raw_arg_hasher

__all__ = ["DefaultArgHasher", "MkArgHasherType", "default_raw_arg_hasher"]
