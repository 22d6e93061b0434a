//! Storage backends: the one seam every backend implements.
//!
//! A store keeps opaque entry bytes (see [`entry`](crate::entry)) under a *tag* (a namespace,
//! usually one per cached function) and a [`Key`]. It knows nothing of codecs or Rust types, so the
//! same stores serve the Rust API and the Python bindings.
//!
//! | store | trait | where |
//! |---|---|---|
//! | [`SqliteStore`] (default) | [`Store`], [`AsyncStore`] | one SQLite file, WAL mode, shared by processes |
//! | [`FileStore`] | [`Store`] | one file per entry under `<root>/<tag>/<key>` |
//! | [`AsyncFileStore`] | [`AsyncStore`] | the same files, I/O on tokio's blocking pool |
//! | [`MemoryStore`] | [`Store`], [`AsyncStore`] | a map in this process (tests, reference) |

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::error::Result;
use crate::key::Key;

#[cfg(feature = "async")]
mod async_files;
mod files;
mod fs;
mod memory;
#[cfg(feature = "sqlite")]
mod sqlite;

#[cfg(feature = "async")]
pub use async_files::AsyncFileStore;
pub use files::{validate_path_tag, FileStore};
pub use fs::default_dir;
pub use memory::MemoryStore;
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteStore;

/// What a store holds under one tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagInfo {
    /// The tag.
    pub tag: String,
    /// How many entries it has.
    pub entries: u64,
    /// How many bytes its entries take (entry bytes, not counting the store's own overhead).
    pub bytes: u64,
}

/// A blocking storage backend.
///
/// `expires_at` arguments are unix milliseconds (see [`expiry`](crate::expiry)); the entry carries
/// the same time in its header, so a store may ignore it or use it to purge.
pub trait Store: Send + Sync {
    /// The stored bytes under `tag` and `key`, if any.
    fn get(&self, tag: &str, key: &Key) -> Result<Option<Vec<u8>>>;

    /// Stores `value` under `tag` and `key`, replacing what was there.
    fn set(&self, tag: &str, key: &Key, value: &[u8], expires_at: Option<i64>) -> Result<()>;

    /// Removes one entry; whether there was one.
    fn delete(&self, tag: &str, key: &Key) -> Result<bool>;

    /// Removes every entry of `tag`; how many there were.
    fn delete_tag(&self, tag: &str) -> Result<u64>;

    /// Every tag with its entry count and size, sorted by tag.
    fn tags(&self) -> Result<Vec<TagInfo>>;

    /// Many lookups at once; stores override this to use one transaction.
    fn get_many(&self, tag: &str, keys: &[Key]) -> Result<Vec<Option<Vec<u8>>>> {
        keys.iter().map(|k| self.get(tag, k)).collect()
    }

    /// Many writes at once; stores override this to use one transaction.
    fn set_many(
        &self,
        tag: &str,
        entries: &[(Key, Vec<u8>)],
        expires_at: Option<i64>,
    ) -> Result<()> {
        entries
            .iter()
            .try_for_each(|(k, v)| self.set(tag, k, v, expires_at))
    }

    /// Where the store keeps its data, for messages (a path or an address).
    fn location(&self) -> String;
}

/// A boxed, `Send` future, as [`AsyncStore`] methods return (so the trait can be a `dyn` object).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A storage backend for async code. Its futures must not block the executor for longer than a
/// short local read or write.
///
/// Implementations return `Box::pin(async move { ... })`.
pub trait AsyncStore: Send + Sync {
    /// The stored bytes under `tag` and `key`, if any.
    fn get<'a>(&'a self, tag: &'a str, key: &'a Key) -> BoxFuture<'a, Result<Option<Vec<u8>>>>;
    /// Stores `value` under `tag` and `key`, replacing what was there.
    fn set<'a>(
        &'a self,
        tag: &'a str,
        key: &'a Key,
        value: Vec<u8>,
        expires_at: Option<i64>,
    ) -> BoxFuture<'a, Result<()>>;
    /// Removes one entry; whether there was one.
    fn delete<'a>(&'a self, tag: &'a str, key: &'a Key) -> BoxFuture<'a, Result<bool>>;
    /// Removes every entry of `tag`; how many there were.
    fn delete_tag<'a>(&'a self, tag: &'a str) -> BoxFuture<'a, Result<u64>>;
    /// Every tag with its entry count and size, sorted by tag.
    fn tags(&self) -> BoxFuture<'_, Result<Vec<TagInfo>>>;
    /// Where the store keeps its data, for messages.
    fn location(&self) -> String;
}

macro_rules! forward_store {
    ($($ty:ty),*) => {$(
        impl<S: Store + ?Sized> Store for $ty {
            fn get(&self, tag: &str, key: &Key) -> Result<Option<Vec<u8>>> {
                (**self).get(tag, key)
            }
            fn set(&self, tag: &str, key: &Key, value: &[u8], expires_at: Option<i64>) -> Result<()> {
                (**self).set(tag, key, value, expires_at)
            }
            fn delete(&self, tag: &str, key: &Key) -> Result<bool> {
                (**self).delete(tag, key)
            }
            fn delete_tag(&self, tag: &str) -> Result<u64> {
                (**self).delete_tag(tag)
            }
            fn tags(&self) -> Result<Vec<TagInfo>> {
                (**self).tags()
            }
            fn get_many(&self, tag: &str, keys: &[Key]) -> Result<Vec<Option<Vec<u8>>>> {
                (**self).get_many(tag, keys)
            }
            fn set_many(&self, tag: &str, entries: &[(Key, Vec<u8>)], expires_at: Option<i64>) -> Result<()> {
                (**self).set_many(tag, entries, expires_at)
            }
            fn location(&self) -> String {
                (**self).location()
            }
        }
    )*};
}

forward_store!(Arc<S>, Box<S>, &S);
