//! The stores Python sees: bytes in, bytes out.
//!
//! Each class wraps one of the engine's [`Store`]s behind a trait object and adds the entry envelope
//! ([`Entry`]): `set` stamps the payload with its codec, creation time and expiry, `get` checks them
//! and returns the bare payload. Python serializers run in Python, so no Python object is ever held
//! across I/O: every call detaches from the interpreter (releases the GIL) while SQLite or the
//! file system works, and the stores can be shared by any number of Python threads.

use std::ffi::OsStr;
use std::path::PathBuf;

use miniperscache::entry::Entry;
use miniperscache::expiry::{Clock, SystemClock};
use miniperscache::{Error, FileStore, Key, SqliteStore, Store};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::pybacked::{PyBackedBytes, PyBackedStr};
use pyo3::types::{PyBytes, PyType};

use crate::errors::PyCacheError;

/// What the two Python store classes share: an engine store and the envelope logic.
struct Backend {
    store: Box<dyn Store>,
}

/// A payload found by a read: the stored bytes and where the payload starts in them (the payload is
/// always the envelope's tail), so it can be copied into a Python `bytes` once re-attached.
type Found = Option<(Vec<u8>, usize)>;

impl Backend {
    fn new(store: impl Store + 'static) -> Backend {
        Backend {
            store: Box::new(store),
        }
    }

    fn get<'py>(
        &self,
        py: Python<'py>,
        tag: &str,
        key: &[u8],
        codec: Option<&str>,
    ) -> PyResult<Option<Bound<'py, PyBytes>>> {
        let key = parse_key(key)?;
        let found = py
            .detach(|| -> Result<Found, Error> {
                let raw = self.store.get(tag, &key)?;
                let now = SystemClock.now_millis();
                Ok(raw.and_then(|raw| open_entry(raw, tag, &key, codec, now)))
            })
            .map_err(PyCacheError)?;
        Ok(found.map(|(raw, start)| PyBytes::new(py, &raw[start..])))
    }

    fn get_many<'py>(
        &self,
        py: Python<'py>,
        tag: &str,
        keys: &[PyBackedBytes],
        codec: Option<&str>,
    ) -> PyResult<Vec<Option<Bound<'py, PyBytes>>>> {
        let keys = keys
            .iter()
            .map(|k| parse_key(k))
            .collect::<PyResult<Vec<Key>>>()?;
        let found = py
            .detach(|| -> Result<Vec<Found>, Error> {
                let raws = self.store.get_many(tag, &keys)?;
                let now = SystemClock.now_millis();
                Ok(raws
                    .into_iter()
                    .zip(&keys)
                    .map(|(raw, key)| raw.and_then(|raw| open_entry(raw, tag, key, codec, now)))
                    .collect())
            })
            .map_err(PyCacheError)?;
        Ok(found
            .into_iter()
            .map(|f| f.map(|(raw, start)| PyBytes::new(py, &raw[start..])))
            .collect())
    }

    fn set(
        &self,
        py: Python<'_>,
        tag: &str,
        key: &[u8],
        payload: &[u8],
        codec: &str,
        ttl: Option<f64>,
    ) -> PyResult<()> {
        let key = parse_key(key)?;
        let ttl_ms = ttl_millis(ttl)?;
        py.detach(|| -> Result<(), Error> {
            let now = SystemClock.now_millis();
            let expires_at = ttl_ms.map(|ms| now.saturating_add(ms));
            let entry = Entry::new(codec, payload, now, expires_at).encode(tag, &key)?;
            self.store.set(tag, &key, &entry, expires_at)
        })
        .map_err(PyCacheError)?;
        Ok(())
    }

    fn set_many(
        &self,
        py: Python<'_>,
        tag: &str,
        items: &[(PyBackedBytes, PyBackedBytes)],
        codec: &str,
        ttl: Option<f64>,
    ) -> PyResult<()> {
        let keys = items
            .iter()
            .map(|(k, _)| parse_key(k))
            .collect::<PyResult<Vec<Key>>>()?;
        let ttl_ms = ttl_millis(ttl)?;
        py.detach(|| -> Result<(), Error> {
            let now = SystemClock.now_millis();
            let expires_at = ttl_ms.map(|ms| now.saturating_add(ms));
            let entries = keys
                .into_iter()
                .zip(items)
                .map(|(key, (_, payload))| {
                    let entry = Entry::new(codec, &payload[..], now, expires_at);
                    Ok((key, entry.encode(tag, &key)?))
                })
                .collect::<Result<Vec<_>, Error>>()?;
            self.store.set_many(tag, &entries, expires_at)
        })
        .map_err(PyCacheError)?;
        Ok(())
    }

    fn delete(&self, py: Python<'_>, tag: &str, key: &[u8]) -> PyResult<bool> {
        let key = parse_key(key)?;
        Ok(py
            .detach(|| self.store.delete(tag, &key))
            .map_err(PyCacheError)?)
    }

    fn delete_tag(&self, py: Python<'_>, tag: &str) -> PyResult<u64> {
        Ok(py
            .detach(|| self.store.delete_tag(tag))
            .map_err(PyCacheError)?)
    }

    fn tags(&self, py: Python<'_>) -> PyResult<Vec<(String, u64, u64)>> {
        let tags = py.detach(|| self.store.tags()).map_err(PyCacheError)?;
        Ok(tags
            .into_iter()
            .map(|t| (t.tag, t.entries, t.bytes))
            .collect())
    }
}

/// Checks a key that crossed from Python: exactly the 32 bytes `hash_arguments` & co. return.
fn parse_key(key: &[u8]) -> PyResult<Key> {
    Key::from_slice(key).ok_or_else(|| {
        PyValueError::new_err(format!(
            "key must be 32 bytes (got {}); use raw_key() for other key material",
            key.len()
        ))
    })
}

/// A TTL in seconds as whole milliseconds; `None` for no expiry.
fn ttl_millis(ttl: Option<f64>) -> PyResult<Option<i64>> {
    match ttl {
        None => Ok(None),
        Some(s) if s.is_finite() && s >= 0.0 => {
            // `as` saturates: a TTL of centuries simply never expires in practice.
            let ms = (s * 1000.0).round() as i64;
            Ok(Some(ms))
        }
        Some(s) => Err(PyValueError::new_err(format!(
            "ttl must be a finite number of seconds >= 0 (got {s})"
        ))),
    }
}

/// The payload of stored bytes, if they hold a valid, live entry written by `codec` (any codec when
/// `None`). Damaged entries, expired ones and other codecs' read as misses: the caller recomputes
/// and overwrites them.
fn open_entry(raw: Vec<u8>, tag: &str, key: &Key, codec: Option<&str>, now_ms: i64) -> Found {
    let entry = Entry::decode(&raw, tag, key).ok()?;
    if entry.is_expired(now_ms) || codec.is_some_and(|c| c != entry.codec) {
        return None;
    }
    let start = raw.len() - entry.payload.len();
    Some((raw, start))
}

/// The methods both store classes share, with the signatures of `_rust.pyi`; `$extra` holds the
/// class's own constructor and location property.
macro_rules! store_methods {
    ($class:ident { $($extra:tt)* }) => {
        #[pymethods]
        impl $class {
            $($extra)*

            /// The payload stored under (tag, key), or None when absent, expired, damaged, or
            /// written by another codec (`codec=None` accepts any codec). `key` must be 32 bytes.
            #[pyo3(signature = (tag, key, codec = None))]
            fn get<'py>(
                &self,
                py: Python<'py>,
                tag: PyBackedStr,
                key: &[u8],
                codec: Option<PyBackedStr>,
            ) -> PyResult<Option<Bound<'py, PyBytes>>> {
                self.backend.get(py, &tag, key, codec.as_deref())
            }

            /// Like `get` for many keys, in one transaction.
            #[pyo3(signature = (tag, keys, codec = None))]
            fn get_many<'py>(
                &self,
                py: Python<'py>,
                tag: PyBackedStr,
                keys: Vec<PyBackedBytes>,
                codec: Option<PyBackedStr>,
            ) -> PyResult<Vec<Option<Bound<'py, PyBytes>>>> {
                self.backend.get_many(py, &tag, &keys, codec.as_deref())
            }

            /// Stores `payload` in an entry envelope stamped with `codec`; `ttl` in seconds.
            #[pyo3(signature = (tag, key, payload, codec, ttl = None))]
            fn set(
                &self,
                py: Python<'_>,
                tag: PyBackedStr,
                key: &[u8],
                payload: &[u8],
                codec: PyBackedStr,
                ttl: Option<f64>,
            ) -> PyResult<()> {
                self.backend.set(py, &tag, key, payload, &codec, ttl)
            }

            /// Stores many (key, payload) pairs in one transaction.
            #[pyo3(signature = (tag, items, codec, ttl = None))]
            fn set_many(
                &self,
                py: Python<'_>,
                tag: PyBackedStr,
                items: Vec<(PyBackedBytes, PyBackedBytes)>,
                codec: PyBackedStr,
                ttl: Option<f64>,
            ) -> PyResult<()> {
                self.backend.set_many(py, &tag, &items, &codec, ttl)
            }

            /// Removes one entry; whether there was one.
            fn delete(&self, py: Python<'_>, tag: PyBackedStr, key: &[u8]) -> PyResult<bool> {
                self.backend.delete(py, &tag, key)
            }

            /// Removes every entry of `tag`; returns how many there were.
            fn delete_tag(&self, py: Python<'_>, tag: PyBackedStr) -> PyResult<u64> {
                self.backend.delete_tag(py, &tag)
            }

            /// (tag, entries, bytes) for every tag, sorted by tag.
            fn tags(&self, py: Python<'_>) -> PyResult<Vec<(String, u64, u64)>> {
                self.backend.tags(py)
            }
        }
    };
}

/// The embedded SQLite store (WAL, busy timeout, 0600 file). `path=None`: the default location,
/// `$MINIPERSCACHE_DIR/miniperscache.db` or `.miniperscache/miniperscache.db` under the cwd.
#[pyclass(name = "SqliteStore", module = "miniperscache._rust", frozen)]
pub(crate) struct PySqliteStore {
    path: PathBuf,
    backend: Backend,
}

store_methods!(PySqliteStore {
    #[new]
    #[pyo3(signature = (path = None))]
    fn new(py: Python<'_>, path: Option<PathBuf>) -> PyResult<Self> {
        let store = py
            .detach(|| match path {
                Some(path) => SqliteStore::open(path),
                None => SqliteStore::open_default(),
            })
            .map_err(PyCacheError)?;
        Ok(PySqliteStore {
            path: store.path().to_path_buf(),
            backend: Backend::new(store),
        })
    }

    /// The database file.
    #[getter]
    fn path(&self) -> &OsStr {
        self.path.as_os_str()
    }

    fn __repr__(&self) -> String {
        format!("SqliteStore({:?})", self.path.display().to_string())
    }

    /// Pickles as its location: unpickling (in this process or another) opens the same store.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> (Bound<'py, PyType>, (PathBuf,)) {
        (slf.get_type(), (slf.get().path.clone(),))
    }
});

/// One file per entry under `<root>/<tag>/<key hex>`; atomic writes. `root=None`: the default
/// location, `<cache dir>/files-v1`. Tags with '/', '\\', NUL, '.', '..' or empty raise
/// InvalidTagError (a ValueError).
#[pyclass(name = "FileStore", module = "miniperscache._rust", frozen)]
pub(crate) struct PyFileStore {
    root: PathBuf,
    backend: Backend,
}

store_methods!(PyFileStore {
    #[new]
    #[pyo3(signature = (root = None))]
    fn new(py: Python<'_>, root: Option<PathBuf>) -> PyResult<Self> {
        let store = py
            .detach(|| match root {
                Some(root) => Ok(FileStore::new(root)),
                None => FileStore::open_default(),
            })
            .map_err(PyCacheError)?;
        Ok(PyFileStore {
            root: store.root().to_path_buf(),
            backend: Backend::new(store),
        })
    }

    /// The root folder.
    #[getter]
    fn root(&self) -> &OsStr {
        self.root.as_os_str()
    }

    fn __repr__(&self) -> String {
        format!("FileStore({:?})", self.root.display().to_string())
    }

    /// Pickles as its location: unpickling (in this process or another) opens the same store.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> (Bound<'py, PyType>, (PathBuf,)) {
        (slf.get_type(), (slf.get().root.clone(),))
    }
});

/// Raises `InvalidTagError` (a `ValueError`) for a tag a file store cannot hold: the engine's rule,
/// so Python can refuse a tag when a function is decorated rather than at its first call.
#[pyfunction]
pub(crate) fn validate_path_tag(tag: &str) -> PyResult<()> {
    miniperscache::store::validate_path_tag(tag).map_err(|e| PyCacheError(e).into())
}
