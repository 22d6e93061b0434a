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

/// The key of a cached call's arguments made in a context whose closures have the type name
/// `closure`: the generic arguments spelled in it (the fn's own, `impl Trait` arguments, an
/// enclosing `impl`'s) join the key. Outside any generic context the key is `Key::of(args)`.
pub fn key_in<A: Serialize + ?Sized>(args: &A, closure: &'static str) -> Result<Key> {
    let generics = generic_args(closure);
    if generics.is_empty() {
        Key::of(args)
    } else {
        Key::of(&(args, generics))
    }
}

/// The top-level `<...>` groups of a type name, e.g. `["<u8>", "<i16>"]` for
/// `app::W<u8>::m<i16>::{{closure}}`.
fn generic_args(type_name: &str) -> Vec<&str> {
    let mut groups = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (i, c) in type_name.char_indices() {
        match c {
            '<' => {
                if depth == 0 {
                    start = i;
                }
                depth += 1;
            }
            '>' if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    groups.push(&type_name[start..=i]);
                }
            }
            _ => {}
        }
    }
    groups
}

/// The default tag of a `#[cached]` fn from the type name of an item `__mpc_tag` nested in it:
/// the fn's path, without the item's name and the `{{closure}}` segments of an `async fn`.
pub fn tag_of(nested_item: &'static str) -> &'static str {
    let mut tag = nested_item
        .strip_suffix("::__mpc_tag")
        .unwrap_or(nested_item);
    while let Some(rest) = tag.strip_suffix("::{{closure}}") {
        tag = rest;
    }
    tag
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

/// One `#[cached]` fn: its tag and its store (a blocking or an async one), both found on first
/// call.
pub struct Site<S: ?Sized> {
    tag: fn() -> &'static str,
    init: fn() -> Option<Arc<S>>,
    resolved: OnceLock<(&'static str, Option<Arc<S>>)>,
}

/// The site of a blocking `#[cached]` fn.
pub type SyncSite = Site<dyn Store>;
/// The site of an async `#[cached]` fn.
pub type AsyncSite = Site<dyn AsyncStore>;

impl<S: ?Sized> Site<S> {
    /// A site whose tag `tag` gives and whose store `init` opens.
    pub const fn new(tag: fn() -> &'static str, init: fn() -> Option<Arc<S>>) -> Self {
        Site {
            tag,
            init,
            resolved: OnceLock::new(),
        }
    }

    fn resolve(&self) -> (&'static str, Option<&Arc<S>>) {
        let (tag, store) = self.resolved.get_or_init(|| ((self.tag)(), (self.init)()));
        (tag, store.as_ref())
    }
}

impl AsyncSite {
    /// [`resolve`](Site::resolve) for async code: opening a store may wait on the disk or on
    /// another process's lock, so on tokio the first call opens it on the blocking pool.
    async fn resolve_async(&self) -> (&'static str, Option<&Arc<dyn AsyncStore>>) {
        #[cfg(feature = "async")]
        if self.resolved.get().is_none() && tokio::runtime::Handle::try_current().is_ok() {
            let (tag, init) = (self.tag, self.init);
            if let Ok(opened) = tokio::task::spawn_blocking(move || (tag(), init())).await {
                // Another task may have opened it meanwhile; either result is as good.
                let _ = self.resolved.set(opened);
            }
        }
        self.resolve()
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

fn sealed<C: Codec, T: Serialize>(
    tag: &str,
    key: &Key,
    value: &T,
) -> Option<(Vec<u8>, Option<i64>)> {
    seal::<C, T>(tag, key, value, SystemClock.now_millis(), None)
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
    let (tag, store) = site.resolve();
    let (Some(store), Some(key)) = (store, usable_key(tag, key)) else {
        return f();
    };
    if let Some(hit) = found::<C, T>(tag, &key, store.get(tag, &key)) {
        return Ok(hit);
    }
    tracing::debug!(tag, %key, "miniperscache: miss");
    let value = f()?;
    if let Some((bytes, expires_at)) = sealed::<C, T>(tag, &key, &value) {
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
    let (tag, store) = site.resolve_async().await;
    let (Some(store), Some(key)) = (store, usable_key(tag, key)) else {
        return fut.await;
    };
    if let Some(hit) = found::<C, T>(tag, &key, store.get(tag, &key).await) {
        return Ok(hit);
    }
    tracing::debug!(tag, %key, "miniperscache: miss");
    let value = fut.await?;
    if let Some((bytes, expires_at)) = sealed::<C, T>(tag, &key, &value) {
        report_write(tag, store.set(tag, &key, bytes, expires_at).await);
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generic_args_are_read_from_closure_type_names() {
        assert!(generic_args("app::plain::{{closure}}").is_empty());
        assert_eq!(
            generic_args("app::W<u8>::m<alloc::vec::Vec<u8>>::{{closure}}"),
            ["<u8>", "<alloc::vec::Vec<u8>>"]
        );
        assert_eq!(
            generic_args("<app::U as app::T>::t::{{closure}}"),
            ["<app::U as app::T>"]
        );
    }

    #[test]
    fn tags_drop_the_nested_item_and_async_closures() {
        assert_eq!(tag_of("app::f::__mpc_tag"), "app::f");
        assert_eq!(tag_of("app::User::name::__mpc_tag"), "app::User::name");
        assert_eq!(tag_of("app::g::{{closure}}::__mpc_tag"), "app::g");
    }
}
