//! Engine errors in the caller's world: the Python classes of `miniperscache.exceptions`.
//!
//! | engine [`Error`] variant | Python exception |
//! |---|---|
//! | `Storage`, `Io` | `StorageError` (an `OSError`; `errno` set when the OS gave one) |
//! | `Corrupt` | `CorruptEntryError` |
//! | `Codec` | `SerializationError` |
//! | `InvalidTag` | `InvalidTagError` (a `ValueError`) |
//! | `Key` | `TypeError` |
//! | `Config` | `ValueError` |
//! | anything newer | `CacheError` |
//!
//! The classes are written in Python (`python/miniperscache/exceptions.py`) and imported here, so
//! that Python code defines, documents and subclasses them like any other exception.

use miniperscache::Error;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::PyErr;

pyo3::import_exception!(miniperscache.exceptions, CacheError);
pyo3::import_exception!(miniperscache.exceptions, StorageError);
pyo3::import_exception!(miniperscache.exceptions, CorruptEntryError);
pyo3::import_exception!(miniperscache.exceptions, SerializationError);
pyo3::import_exception!(miniperscache.exceptions, InvalidTagError);

/// An engine error on its way to Python. The wrapper exists because `From<Error> for PyErr` would
/// implement a foreign trait for a foreign type; with it, `store.get(..).map_err(PyCacheError)?`
/// converts through the one mapping below.
pub(crate) struct PyCacheError(pub(crate) Error);

impl From<PyCacheError> for PyErr {
    fn from(PyCacheError(err): PyCacheError) -> PyErr {
        let message = err.to_string();
        match err {
            Error::Io { source, .. } => match source.raw_os_error() {
                // OSError(errno, strerror) sets `errno` and `strerror`, so callers can test them.
                Some(errno) => StorageError::new_err((errno, message)),
                None => StorageError::new_err(message),
            },
            Error::Storage { .. } => StorageError::new_err(message),
            Error::Corrupt { .. } => CorruptEntryError::new_err(message),
            Error::Codec { .. } => SerializationError::new_err(message),
            Error::InvalidTag { .. } => InvalidTagError::new_err(message),
            Error::Key(_) => PyTypeError::new_err(message),
            Error::Config(_) => PyValueError::new_err(message),
            // `Error` is non-exhaustive: a variant added later is still a CacheError.
            _ => CacheError::new_err(message),
        }
    }
}
