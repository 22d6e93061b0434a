//! `AsyncFileStore`: [`FileStore`]'s files, with the I/O on tokio's blocking pool.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{AsyncStore, BoxFuture, FileStore, Store, TagInfo};
use crate::error::{Error, Result};
use crate::key::Key;

/// The async face of [`FileStore`]: the same layout and files, each operation run on tokio's
/// blocking thread pool so the executor never waits on the disk.
#[derive(Debug, Clone)]
pub struct AsyncFileStore {
    inner: Arc<FileStore>,
}

impl AsyncFileStore {
    /// A store rooted at `root`.
    pub fn new(root: impl Into<PathBuf>) -> AsyncFileStore {
        AsyncFileStore {
            inner: Arc::new(FileStore::new(root)),
        }
    }

    /// A store under the default cache folder, like [`FileStore::open_default`].
    ///
    /// # Errors
    /// When the working directory cannot be read.
    pub fn open_default() -> Result<AsyncFileStore> {
        Ok(AsyncFileStore {
            inner: Arc::new(FileStore::open_default()?),
        })
    }

    /// The root folder.
    pub fn root(&self) -> &Path {
        self.inner.root()
    }

    /// Runs `f` on tokio's blocking pool, or inline when no tokio runtime is running (e.g. under
    /// another executor), where there is no pool to use.
    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&FileStore) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        if tokio::runtime::Handle::try_current().is_err() {
            return f(&self.inner);
        }
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || f(&inner))
            .await
            .map_err(|e| Error::Storage {
                backend: "files",
                location: self.inner.location(),
                source: Box::new(e),
            })?
    }
}

impl AsyncStore for AsyncFileStore {
    fn get<'a>(&'a self, tag: &'a str, key: &'a Key) -> BoxFuture<'a, Result<Option<Vec<u8>>>> {
        let (tag, key) = (tag.to_owned(), *key);
        Box::pin(self.blocking(move |s| s.get(&tag, &key)))
    }
    fn set<'a>(
        &'a self,
        tag: &'a str,
        key: &'a Key,
        value: Vec<u8>,
        expires_at: Option<i64>,
    ) -> BoxFuture<'a, Result<()>> {
        let (tag, key) = (tag.to_owned(), *key);
        Box::pin(self.blocking(move |s| s.set(&tag, &key, &value, expires_at)))
    }
    fn delete<'a>(&'a self, tag: &'a str, key: &'a Key) -> BoxFuture<'a, Result<bool>> {
        let (tag, key) = (tag.to_owned(), *key);
        Box::pin(self.blocking(move |s| s.delete(&tag, &key)))
    }
    fn delete_tag<'a>(&'a self, tag: &'a str) -> BoxFuture<'a, Result<u64>> {
        let tag = tag.to_owned();
        Box::pin(self.blocking(move |s| s.delete_tag(&tag)))
    }
    fn tags(&self) -> BoxFuture<'_, Result<Vec<TagInfo>>> {
        Box::pin(self.blocking(|s| s.tags()))
    }
    fn location(&self) -> String {
        self.inner.location()
    }
}
