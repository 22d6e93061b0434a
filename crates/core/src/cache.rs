//! `Cache`: the blocking programmatic API, for code that cannot use `#[cached]`.

use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::codec::{Codec, MsgPack};
use crate::entry::Entry;
use crate::error::{Error, Result};
use crate::expiry::{duration_millis, Clock, SystemClock};
use crate::key::Key;
use crate::store::{Store, TagInfo};

/// A persistent cache over a [`Store`], with values encoded by the codec `C`.
///
/// Values are looked up by a *tag* (a namespace, e.g. one per function) and the key of some
/// serializable arguments (see [`Key::of`]).
///
/// By default a storage failure never breaks the caller: [`get_or_compute`](Cache::get_or_compute)
/// logs a warning through `tracing` and returns the computed value. With
/// [`strict(true)`](Cache::strict) storage and codec failures are returned as errors instead. A
/// damaged or foreign entry is always a miss, never an error.
///
/// # Example
/// ```
/// use miniperscache::Cache;
/// # let dir = tempfile::tempdir().unwrap();
/// let cache = Cache::open(dir.path().join("cache.db"))?;
/// let area = cache.get_or_compute("area", &(3, 4), || 3 * 4)?;
/// assert_eq!(area, 12);
/// // The second call finds the stored value and does not run the closure.
/// let again: i32 = cache.get_or_compute("area", &(3, 4), || unreachable!())?;
/// assert_eq!(again, 12);
/// cache.delete_tag("area")?;
/// # Ok::<(), miniperscache::Error>(())
/// ```
pub struct Cache<C: Codec = MsgPack> {
    store: Arc<dyn Store>,
    strict: bool,
    time_to_live: Option<Duration>,
    clock: Arc<dyn Clock>,
    codec: PhantomData<fn() -> C>,
}

impl<C: Codec> Clone for Cache<C> {
    fn clone(&self) -> Self {
        Cache {
            store: Arc::clone(&self.store),
            strict: self.strict,
            time_to_live: self.time_to_live,
            clock: Arc::clone(&self.clock),
            codec: PhantomData,
        }
    }
}

impl<C: Codec> std::fmt::Debug for Cache<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cache")
            .field("store", &self.store.location())
            .field("codec", &C::ID)
            .field("strict", &self.strict)
            .field("time_to_live", &self.time_to_live)
            .finish()
    }
}

impl Cache<MsgPack> {
    /// A cache over any store, with the default codec ([`MsgPack`]).
    pub fn new(store: impl Store + 'static) -> Self {
        Cache::from_arc(Arc::new(store))
    }

    /// A cache over a shared store.
    pub fn from_arc(store: Arc<dyn Store>) -> Self {
        Cache {
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
        Ok(Cache::new(crate::SqliteStore::open(path)?))
    }

    /// A cache in the default SQLite database, `.miniperscache/miniperscache.db` under the working
    /// directory or `$MINIPERSCACHE_DIR/miniperscache.db`.
    ///
    /// # Errors
    /// As [`SqliteStore::open`](crate::SqliteStore::open).
    #[cfg(feature = "sqlite")]
    pub fn open_default() -> Result<Self> {
        Ok(Cache::new(crate::SqliteStore::open_default()?))
    }
}

impl<C: Codec> Cache<C> {
    /// The same cache with values encoded by another codec.
    pub fn with_codec<C2: Codec>(self) -> Cache<C2> {
        Cache {
            store: self.store,
            strict: self.strict,
            time_to_live: self.time_to_live,
            clock: self.clock,
            codec: PhantomData,
        }
    }

    /// Whether storage and codec failures are returned as errors (`true`) or logged while the
    /// computed value is returned (`false`, the default).
    pub fn strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }

    /// Entries written from now on expire after `ttl`; an expired entry is a miss.
    pub fn time_to_live(mut self, ttl: Duration) -> Self {
        self.time_to_live = Some(ttl);
        self
    }

    /// Reads time from `clock` instead of the system clock (for tests of expiry).
    pub fn with_clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The underlying store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The stored value for `args` under `tag`, if there is a valid one.
    ///
    /// # Errors
    /// When the key cannot be built or the store fails. A damaged, expired or foreign entry is
    /// `Ok(None)`.
    pub fn get<T: DeserializeOwned, A: Serialize + ?Sized>(
        &self,
        tag: &str,
        args: &A,
    ) -> Result<Option<T>> {
        self.get_by_key(tag, &Key::of(args)?)
    }

    /// [`get`](Cache::get) with a key already built.
    ///
    /// # Errors
    /// When the store fails.
    pub fn get_by_key<T: DeserializeOwned>(&self, tag: &str, key: &Key) -> Result<Option<T>> {
        let bytes = self.store.get(tag, key)?;
        Ok(bytes.and_then(|b| open::<C, T>(tag, key, &b, self.clock.now_millis())))
    }

    /// Stores `value` for `args` under `tag`.
    ///
    /// # Errors
    /// When the key cannot be built, the value cannot be encoded, or the store fails.
    pub fn insert<T: Serialize + ?Sized, A: Serialize + ?Sized>(
        &self,
        tag: &str,
        args: &A,
        value: &T,
    ) -> Result<()> {
        self.insert_by_key(tag, &Key::of(args)?, value)
    }

    /// [`insert`](Cache::insert) with a key already built.
    ///
    /// # Errors
    /// When the value cannot be encoded or the store fails.
    pub fn insert_by_key<T: Serialize + ?Sized>(
        &self,
        tag: &str,
        key: &Key,
        value: &T,
    ) -> Result<()> {
        let (bytes, expires_at) =
            seal::<C, T>(tag, key, value, self.clock.now_millis(), self.time_to_live)?;
        self.store.set(tag, key, &bytes, expires_at)
    }

    /// The stored value for `args`, or else `compute()`'s value, stored on the way out.
    ///
    /// # Errors
    /// Only in [strict](Cache::strict) mode: when the key cannot be built, the store fails or the
    /// value cannot be encoded. Otherwise such failures are logged and the computed value returned.
    pub fn get_or_compute<T, A, F>(&self, tag: &str, args: &A, compute: F) -> Result<T>
    where
        T: Serialize + DeserializeOwned,
        A: Serialize + ?Sized,
        F: FnOnce() -> T,
    {
        self.try_get_or_compute(tag, args, || Ok::<T, Error>(compute()))
    }

    /// Like [`get_or_compute`](Cache::get_or_compute) for a computation that can fail: an `Err` is
    /// returned and not stored.
    ///
    /// # Errors
    /// `compute`'s error, or (in strict mode) a cache failure converted into `E`.
    pub fn try_get_or_compute<T, E, A, F>(&self, tag: &str, args: &A, compute: F) -> Result<T, E>
    where
        T: Serialize + DeserializeOwned,
        E: From<Error>,
        A: Serialize + ?Sized,
        F: FnOnce() -> Result<T, E>,
    {
        let key = match tolerate(self.strict, tag, "building the key", Key::of(args))? {
            Some(key) => key,
            None => return compute(),
        };
        if let Some(Some(hit)) = tolerate(self.strict, tag, "reading", self.get_by_key(tag, &key))?
        {
            return Ok(hit);
        }
        let value = compute()?;
        tolerate(
            self.strict,
            tag,
            "writing",
            self.insert_by_key(tag, &key, &value),
        )?;
        Ok(value)
    }

    /// Removes the entry for `args` under `tag`; whether there was one.
    ///
    /// # Errors
    /// When the key cannot be built or the store fails.
    pub fn invalidate<A: Serialize + ?Sized>(&self, tag: &str, args: &A) -> Result<bool> {
        self.store.delete(tag, &Key::of(args)?)
    }

    /// Removes every entry under `tag` (the seed's deletion by tag); how many there were.
    ///
    /// # Errors
    /// When the store fails.
    pub fn delete_tag(&self, tag: &str) -> Result<u64> {
        self.store.delete_tag(tag)
    }

    /// Every tag with its entry count and size.
    ///
    /// # Errors
    /// When the store fails.
    pub fn tags(&self) -> Result<Vec<TagInfo>> {
        self.store.tags()
    }
}

/// In strict mode, passes errors on; otherwise logs them and carries on without the cache.
pub(crate) fn tolerate<T, E: From<Error>>(
    strict: bool,
    tag: &str,
    what: &str,
    r: Result<T>,
) -> Result<Option<T>, E> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if strict => Err(E::from(e)),
        Err(e) => {
            tracing::warn!(tag, error = %e, "miniperscache: {what} failed; running uncached");
            Ok(None)
        }
    }
}

/// Encodes a value into the entry for `tag` and `key`, stamped `now`, expiring after `ttl`.
pub(crate) fn seal<C: Codec, T: Serialize + ?Sized>(
    tag: &str,
    key: &Key,
    value: &T,
    now: i64,
    ttl: Option<Duration>,
) -> Result<(Vec<u8>, Option<i64>)> {
    let payload = C::encode(value)?;
    let expires_at = ttl.map(|t| now.saturating_add(duration_millis(t).max(1)));
    Ok((
        Entry::new(C::ID, &payload, now, expires_at).encode(tag, key)?,
        expires_at,
    ))
}

/// Decodes a stored entry into a value, or `None` (logged) when it is damaged, expired, written by
/// another codec or not a `T`.
pub(crate) fn open<C: Codec, T: DeserializeOwned>(
    tag: &str,
    key: &Key,
    bytes: &[u8],
    now: i64,
) -> Option<T> {
    let entry = match Entry::decode(bytes, tag, key) {
        Ok(e) => e,
        Err(e) => {
            tracing::warn!(tag, %key, error = %e, "miniperscache: ignoring a damaged entry");
            return None;
        }
    };
    if entry.is_expired(now) {
        tracing::debug!(tag, %key, "miniperscache: entry expired");
        return None;
    }
    if entry.codec != C::ID {
        tracing::debug!(tag, %key, stored = entry.codec, wanted = C::ID, "miniperscache: entry has another codec");
        return None;
    }
    match C::decode(entry.payload) {
        Ok(v) => Some(v),
        Err(e) => {
            tracing::warn!(tag, %key, error = %e, "miniperscache: stored value does not decode; recomputing");
            None
        }
    }
}
