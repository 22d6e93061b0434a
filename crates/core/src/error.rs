//! The one error type of the programmatic API.

use std::path::PathBuf;

/// A boxed error from a backend or codec, kept as the `source` of an [`Error`].
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything that can go wrong in miniperscache.
///
/// Each variant says what failed and where. Inside a `#[cached]` function none of these reach the
/// caller: the function runs uncached and a warning goes to `tracing`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file or folder operation failed.
    #[error("{op} {path}: {source}")]
    Io {
        /// What was being done, e.g. "creating cache folder".
        op: &'static str,
        /// The file or folder concerned.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// A storage backend failed (SQLite, Redis, a user-written store...).
    #[error("{backend} store at {location}: {source}")]
    Storage {
        /// The backend's name, e.g. "sqlite".
        backend: &'static str,
        /// Where the backend stores its data (a path or an address).
        location: String,
        /// The backend's own error.
        #[source]
        source: BoxError,
    },
    /// A stored entry is damaged or was written by something else; it is never returned.
    #[error("corrupt cache entry: {reason}")]
    Corrupt {
        /// What was wrong with the bytes.
        reason: String,
    },
    /// A value could not be encoded or decoded by its codec.
    #[error("codec {codec}: {source}")]
    Codec {
        /// The codec's id, e.g. "msgpack".
        codec: &'static str,
        /// The codec's own error.
        #[source]
        source: BoxError,
    },
    /// An argument could not be turned into key bytes.
    #[error("cannot build a cache key: {0}")]
    Key(String),
    /// A tag that a store cannot use (e.g. one that would escape a file store's root).
    #[error("invalid tag {tag:?}: {reason}")]
    InvalidTag {
        /// The tag as given.
        tag: String,
        /// Why it was refused and what to do instead.
        reason: &'static str,
    },
    /// A configuration value is unusable.
    #[error("invalid configuration: {0}")]
    Config(String),
}

/// `Result` with miniperscache's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Attaches a path and an operation to an `io::Error`.
pub(crate) trait IoResultExt<T> {
    /// Turns an `io::Error` into [`Error::Io`] with `op` and `path`.
    fn at(self, op: &'static str, path: impl Into<PathBuf>) -> Result<T>;
}

impl<T> IoResultExt<T> for std::io::Result<T> {
    fn at(self, op: &'static str, path: impl Into<PathBuf>) -> Result<T> {
        self.map_err(|source| Error::Io {
            op,
            path: path.into(),
            source,
        })
    }
}
