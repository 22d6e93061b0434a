//! Used by the code `#[cached]` generates. Not public API: anything here may change in any release.

use std::convert::Infallible;
use std::fmt::Display;
use std::future::Future;
use std::sync::{Arc, OnceLock};

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::cache::{open, seal};
use crate::codec::Codec;
use crate::error::Result;
use crate::expiry::{Clock, SystemClock};
use crate::key::Key;
use crate::store::{AsyncStore, Store};

/// The key of a cached call's arguments (or of a key function's output).
pub fn key<A: Serialize + ?Sized>(args: &A) -> Result<Key> {
    Key::of(args)
}

/// A value a `store = ...` argument may have for a blocking fn: a store, or a `Result` of one (an
/// `Err` leaves the function uncached, with a warning).
pub trait IntoStore {
    /// The store, or why there is none.
    fn into_store(self) -> Result<Arc<dyn Store>, String>;
}

impl<S: Store + 'static> IntoStore for S {
    fn into_store(self) -> Result<Arc<dyn Store>, String> {
        Ok(Arc::new(self))
    }
}

impl<S: Store + 'static, E: Display> IntoStore for Result<S, E> {
    fn into_store(self) -> Result<Arc<dyn Store>, String> {
        self.map(|s| Arc::new(s) as Arc<dyn Store>)
            .map_err(|e| e.to_string())
    }
}

/// The async counterpart of [`IntoStore`].
pub trait IntoAsyncStore {
    /// The store, or why there is none.
    fn into_async_store(self) -> Result<Arc<dyn AsyncStore>, String>;
}

impl<S: AsyncStore + 'static> IntoAsyncStore for S {
    fn into_async_store(self) -> Result<Arc<dyn AsyncStore>, String> {
        Ok(Arc::new(self))
    }
}

impl<S: AsyncStore + 'static, E: Display> IntoAsyncStore for Result<S, E> {
    fn into_async_store(self) -> Result<Arc<dyn AsyncStore>, String> {
        self.map(|s| Arc::new(s) as Arc<dyn AsyncStore>)
            .map_err(|e| e.to_string())
    }
}

/// Evaluates a `store = ...` argument once, logging why it failed if it did.
pub fn init_store(tag: &str, store: impl IntoStore) -> Option<Arc<dyn Store>> {
    store
        .into_store()
        .inspect_err(|e| tracing::warn!(tag, error = %e, "miniperscache: store unavailable; the function runs uncached"))
        .ok()
}

/// Evaluates an async `store = ...` argument once, logging why it failed if it did.
pub fn init_async_store(tag: &str, store: impl IntoAsyncStore) -> Option<Arc<dyn AsyncStore>> {
    store
        .into_async_store()
        .inspect_err(|e| tracing::warn!(tag, error = %e, "miniperscache: store unavailable; the function runs uncached"))
        .ok()
}

#[cfg(feature = "sqlite")]
type DefaultStore = crate::SqliteStore;
#[cfg(not(feature = "sqlite"))]
type DefaultStore = crate::FileStore;

/// The process-wide default store, opened on first use; `None` (logged once) if it cannot be.
fn default_shared() -> Option<&'static DefaultStore> {
    static DEFAULT: OnceLock<Option<DefaultStore>> = OnceLock::new();
    DEFAULT
        .get_or_init(|| {
            DefaultStore::open_default()
                .inspect_err(|e| tracing::warn!(error = %e, "miniperscache: default store unavailable; cached functions run uncached"))
                .ok()
        })
        .as_ref()
}

/// The default store of a blocking `#[cached]` fn.
pub fn default_store() -> Option<Arc<dyn Store>> {
    default_shared().map(|s| Arc::new(s.clone()) as Arc<dyn Store>)
}

/// The default store of an async `#[cached]` fn.
#[cfg(feature = "sqlite")]
pub fn default_async_store() -> Option<Arc<dyn AsyncStore>> {
    default_shared().map(|s| Arc::new(s.clone()) as Arc<dyn AsyncStore>)
}

/// The default store of an async `#[cached]` fn.
#[cfg(all(not(feature = "sqlite"), feature = "async"))]
pub fn default_async_store() -> Option<Arc<dyn AsyncStore>> {
    init_async_store("default", crate::AsyncFileStore::open_default())
}

/// One blocking `#[cached]` fn: its tag and its store, opened on first call.
pub struct SyncSite {
    tag: &'static str,
    init: fn() -> Option<Arc<dyn Store>>,
    store: OnceLock<Option<Arc<dyn Store>>>,
}

impl SyncSite {
    /// A site whose store `init` opens.
    pub const fn new(tag: &'static str, init: fn() -> Option<Arc<dyn Store>>) -> Self {
        SyncSite {
            tag,
            init,
            store: OnceLock::new(),
        }
    }

    fn store(&self) -> Option<&Arc<dyn Store>> {
        self.store.get_or_init(self.init).as_ref()
    }
}

/// One async `#[cached]` fn.
pub struct AsyncSite {
    tag: &'static str,
    init: fn() -> Option<Arc<dyn AsyncStore>>,
    store: OnceLock<Option<Arc<dyn AsyncStore>>>,
}

impl AsyncSite {
    /// A site whose store `init` opens.
    pub const fn new(tag: &'static str, init: fn() -> Option<Arc<dyn AsyncStore>>) -> Self {
        AsyncSite {
            tag,
            init,
            store: OnceLock::new(),
        }
    }

    fn store(&self) -> Option<&Arc<dyn AsyncStore>> {
        self.store.get_or_init(self.init).as_ref()
    }
}

fn usable_key(tag: &str, key: Result<Key>) -> Option<Key> {
    key.inspect_err(|e| tracing::warn!(tag, error = %e, "miniperscache: running uncached"))
        .ok()
}

fn found<C: Codec, T: DeserializeOwned>(
    tag: &str,
    key: &Key,
    read: Result<Option<Vec<u8>>>,
) -> Option<T> {
    match read {
        Ok(Some(bytes)) => {
            let hit = open::<C, T>(tag, key, &bytes, SystemClock.now_millis());
            if hit.is_some() {
                tracing::debug!(tag, %key, "miniperscache: hit");
            }
            hit
        }
        Ok(None) => None,
        Err(e) => {
            tracing::warn!(tag, error = %e, "miniperscache: read failed; computing");
            None
        }
    }
}

fn sealed<C: Codec, T: Serialize>(tag: &str, value: &T) -> Option<(Vec<u8>, Option<i64>)> {
    seal::<C, T>(value, SystemClock.now_millis(), None)
        .inspect_err(|e| tracing::warn!(tag, error = %e, "miniperscache: value not stored"))
        .ok()
}

fn report_write(tag: &str, written: Result<()>) {
    if let Err(e) = written {
        tracing::warn!(tag, error = %e, "miniperscache: write failed; value not stored");
    }
}

/// The body of a blocking `#[cached]` fn.
pub fn call<C, T, F>(site: &'static SyncSite, key: Result<Key>, f: F) -> T
where
    C: Codec,
    T: Serialize + DeserializeOwned,
    F: FnOnce() -> T,
{
    match call_result::<C, T, Infallible, _>(site, key, || Ok(f())) {
        Ok(v) => v,
        Err(never) => match never {},
    }
}

/// The body of a blocking `#[cached]` fn returning `Result`: only `Ok` values are stored.
pub fn call_result<C, T, E, F>(site: &'static SyncSite, key: Result<Key>, f: F) -> Result<T, E>
where
    C: Codec,
    T: Serialize + DeserializeOwned,
    F: FnOnce() -> Result<T, E>,
{
    let tag = site.tag;
    let (Some(store), Some(key)) = (site.store(), usable_key(tag, key)) else {
        return f();
    };
    if let Some(hit) = found::<C, T>(tag, &key, store.get(tag, &key)) {
        return Ok(hit);
    }
    tracing::debug!(tag, %key, "miniperscache: miss");
    let value = f()?;
    if let Some((bytes, expires_at)) = sealed::<C, T>(tag, &value) {
        report_write(tag, store.set(tag, &key, &bytes, expires_at));
    }
    Ok(value)
}

/// The body of an async `#[cached]` fn.
pub async fn call_async<C, T, Fut>(site: &'static AsyncSite, key: Result<Key>, fut: Fut) -> T
where
    C: Codec,
    T: Serialize + DeserializeOwned,
    Fut: Future<Output = T>,
{
    match call_async_result::<C, T, Infallible, _>(site, key, async { Ok(fut.await) }).await {
        Ok(v) => v,
        Err(never) => match never {},
    }
}

/// The body of an async `#[cached]` fn returning `Result`: only `Ok` values are stored.
pub async fn call_async_result<C, T, E, Fut>(
    site: &'static AsyncSite,
    key: Result<Key>,
    fut: Fut,
) -> Result<T, E>
where
    C: Codec,
    T: Serialize + DeserializeOwned,
    Fut: Future<Output = Result<T, E>>,
{
    let tag = site.tag;
    let (Some(store), Some(key)) = (site.store(), usable_key(tag, key)) else {
        return fut.await;
    };
    if let Some(hit) = found::<C, T>(tag, &key, store.get(tag, &key).await) {
        return Ok(hit);
    }
    tracing::debug!(tag, %key, "miniperscache: miss");
    let value = fut.await?;
    if let Some((bytes, expires_at)) = sealed::<C, T>(tag, &value) {
        report_write(tag, store.set(tag, &key, bytes, expires_at).await);
    }
    Ok(value)
}
