//! The compiled module `miniperscache._rust`: a thin PyO3 adapter over the `miniperscache` engine.
//!
//! Nothing here makes sense without Python: the stores, the entry envelope, the key encoder and the
//! errors live in the engine; this crate converts arguments, walks Python objects into the engine's
//! key encoder, maps errors to Python exceptions and releases the GIL around I/O.
//! The whole Python-visible surface is the `#[pymodule]` below; `python/miniperscache/_rust.pyi`
//! describes it, and `python -m mypy.stubtest miniperscache._rust` checks that the two agree.
//!
//! - `storage.rs`: `SqliteStore` and `FileStore`, bytes in and bytes out, in the entry envelope.
//! - `keys.rs`: `hash_arguments`, `hash_values`, `raw_key`: the object walker and its persisted
//!   encoding.
//! - `errors.rs`: engine errors as the classes of `miniperscache.exceptions`.

mod errors;
mod keys;
mod storage;

use pyo3::prelude::*;

/// The compiled engine (crates/python). Private: use the public classes in `miniperscache`.
// Every exported object is thread-safe: the stores are frozen classes over `Send + Sync` engine
// stores, and the key functions keep no state between calls except import caches (`PyOnceLock`).
#[pymodule(gil_used = false)]
mod _rust {
    #[pymodule_export]
    use crate::storage::{validate_path_tag, PyFileStore, PySqliteStore};

    #[pymodule_export]
    use crate::keys::{hash_arguments, hash_values, raw_key};

    /// The version of the Rust crates this module was built from.
    #[pymodule_export]
    #[allow(non_upper_case_globals, reason = "Python's module attribute name")]
    const __version__: &str = env!("CARGO_PKG_VERSION");

    /// The version of the key encoding, hashed into every key.
    #[pymodule_export]
    const KEY_FORMAT_VERSION: u8 = miniperscache::key::KEY_FORMAT_VERSION;
}
