//! `AsyncCache`: the async mirror of [`Cache`](crate::Cache), with the same method names.

use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::cache::{open, seal, tolerate};
use crate::codec::{Codec, MsgPack};
use crate::error::{Error, Result};
use crate::expiry::{Clock, SystemClock};
use crate::key::Key;
use crate::store::{AsyncStore, TagInfo};

/// A persistent cache over an [`AsyncStore`]; see [`Cache`](crate::Cache) for the semantics.
///
/// # Example
/// ```
/// use miniperscache::{AsyncCache, AsyncFileStore};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), miniperscache::Error> {
/// # let dir = tempfile::tempdir().unwrap();
/// let cache = AsyncCache::new(AsyncFileStore::new(dir.path()));
/// let v = cache.get_or_compute("double", &21, async { 42 }).await?;
/// assert_eq!(v, 42);
/// let again: i32 = cache.get_or_compute("double", &21, async { unreachable!() }).await?;
/// assert_eq!(again, 42);
/// # Ok(())
/// # }
/// ```
pub struct AsyncCache<C: Codec = MsgPack> {
    store: Arc<dyn AsyncStore>,
    strict: bool,
    time_to_live: Option<Duration>,
    clock: Arc<dyn Clock>,
    codec: PhantomData<fn() -> C>,
}

impl<C: Codec> Clone for AsyncCache<C> {
    fn clone(&self) -> Self {
        AsyncCache {
            store: Arc::clone(&self.store),
            strict: self.strict,
            time_to_live: self.time_to_live,
            clock: Arc::clone(&self.clock),
            codec: PhantomData,
        }
    }
}

impl AsyncCache<MsgPack> {
    /// A cache over any async store, with the default codec.
    pub fn new(store: impl AsyncStore + 'static) -> Self {
        AsyncCache::from_arc(Arc::new(store))
    }

    /// A cache over a shared async store.
    pub fn from_arc(store: Arc<dyn AsyncStore>) -> Self {
        AsyncCache {
            store,
            strict: false,
            time_to_live: None,
            clock: Arc::new(SystemClock),
            codec: PhantomData,
        }
    }

    /// A cache in the SQLite database at `path`.
    ///
    /// # Errors
    /// As [`SqliteStore::open`](crate::SqliteStore::open).
    #[cfg(feature = "sqlite")]
    pub fn open(path: impl AsRef<std::path::Path>) -> Result<Self> {
        Ok(AsyncCache::new(crate::SqliteStore::open(path)?))
    }

    /// A cache in the default SQLite database.
    ///
    /// # Errors
    /// As [`SqliteStore::open`](crate::SqliteStore::open).
    #[cfg(feature = "sqlite")]
    pub fn open_default() -> Result<Self> {
        Ok(AsyncCache::new(crate::SqliteStore::open_default()?))
    }
}

impl<C: Codec> AsyncCache<C> {
    /// The same cache with values encoded by another codec.
    pub fn with_codec<C2: Codec>(self) -> AsyncCache<C2> {
        AsyncCache {
            store: self.store,
            strict: self.strict,
            time_to_live: self.time_to_live,
            clock: self.clock,
            codec: PhantomData,
        }
    }

    /// See [`Cache::strict`](crate::Cache::strict).
    pub fn strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }

    /// See [`Cache::time_to_live`](crate::Cache::time_to_live).
    pub fn time_to_live(mut self, ttl: Duration) -> Self {
        self.time_to_live = Some(ttl);
        self
    }

    /// See [`Cache::with_clock`](crate::Cache::with_clock).
    pub fn with_clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The underlying store.
    pub fn store(&self) -> &Arc<dyn AsyncStore> {
        &self.store
    }

    /// See [`Cache::get`](crate::Cache::get).
    ///
    /// # Errors
    /// When the key cannot be built or the store fails.
    pub async fn get<T: DeserializeOwned, A: Serialize + ?Sized>(
        &self,
        tag: &str,
        args: &A,
    ) -> Result<Option<T>> {
        self.get_by_key(tag, &Key::of(args)?).await
    }

    /// See [`Cache::get_by_key`](crate::Cache::get_by_key).
    ///
    /// # Errors
    /// When the store fails.
    pub async fn get_by_key<T: DeserializeOwned>(&self, tag: &str, key: &Key) -> Result<Option<T>> {
        let bytes = self.store.get(tag, key).await?;
        Ok(bytes.and_then(|b| open::<C, T>(tag, key, &b, self.clock.now_millis())))
    }

    /// See [`Cache::insert`](crate::Cache::insert).
    ///
    /// # Errors
    /// When the key cannot be built, the value cannot be encoded, or the store fails.
    pub async fn insert<T: Serialize + ?Sized, A: Serialize + ?Sized>(
        &self,
        tag: &str,
        args: &A,
        value: &T,
    ) -> Result<()> {
        self.insert_by_key(tag, &Key::of(args)?, value).await
    }

    /// See [`Cache::insert_by_key`](crate::Cache::insert_by_key).
    ///
    /// # Errors
    /// When the value cannot be encoded or the store fails.
    pub async fn insert_by_key<T: Serialize + ?Sized>(
        &self,
        tag: &str,
        key: &Key,
        value: &T,
    ) -> Result<()> {
        let (bytes, expires_at) =
            seal::<C, T>(tag, key, value, self.clock.now_millis(), self.time_to_live)?;
        self.store.set(tag, key, bytes, expires_at).await
    }

    /// See [`Cache::get_or_compute`](crate::Cache::get_or_compute); `compute` is awaited only on a
    /// miss.
    ///
    /// # Errors
    /// Only in strict mode, as for the blocking cache.
    pub async fn get_or_compute<T, A, Fut>(&self, tag: &str, args: &A, compute: Fut) -> Result<T>
    where
        T: Serialize + DeserializeOwned,
        A: Serialize + ?Sized,
        Fut: Future<Output = T>,
    {
        self.try_get_or_compute(tag, args, async { Ok::<T, Error>(compute.await) })
            .await
    }

    /// See [`Cache::try_get_or_compute`](crate::Cache::try_get_or_compute).
    ///
    /// # Errors
    /// `compute`'s error, or (in strict mode) a cache failure converted into `E`.
    pub async fn try_get_or_compute<T, E, A, Fut>(
        &self,
        tag: &str,
        args: &A,
        compute: Fut,
    ) -> Result<T, E>
    where
        T: Serialize + DeserializeOwned,
        E: From<Error>,
        A: Serialize + ?Sized,
        Fut: Future<Output = Result<T, E>>,
    {
        let key = match tolerate(self.strict, tag, "building the key", Key::of(args))? {
            Some(key) => key,
            None => return compute.await,
        };
        if let Some(Some(hit)) = tolerate(
            self.strict,
            tag,
            "reading",
            self.get_by_key(tag, &key).await,
        )? {
            return Ok(hit);
        }
        let value = compute.await?;
        let stored = self.insert_by_key(tag, &key, &value).await;
        tolerate(self.strict, tag, "writing", stored)?;
        Ok(value)
    }

    /// See [`Cache::invalidate`](crate::Cache::invalidate).
    ///
    /// # Errors
    /// When the key cannot be built or the store fails.
    pub async fn invalidate<A: Serialize + ?Sized>(&self, tag: &str, args: &A) -> Result<bool> {
        self.store.delete(tag, &Key::of(args)?).await
    }

    /// See [`Cache::delete_tag`](crate::Cache::delete_tag).
    ///
    /// # Errors
    /// When the store fails.
    pub async fn delete_tag(&self, tag: &str) -> Result<u64> {
        self.store.delete_tag(tag).await
    }

    /// See [`Cache::tags`](crate::Cache::tags).
    ///
    /// # Errors
    /// When the store fails.
    pub async fn tags(&self) -> Result<Vec<TagInfo>> {
        self.store.tags().await
    }
}
