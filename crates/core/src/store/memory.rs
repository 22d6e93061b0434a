//! `MemoryStore`: a map in this process; the reference backend and a test double.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use super::{AsyncStore, BoxFuture, Store, TagInfo};
use crate::error::Result;
use crate::key::Key;

type Map = BTreeMap<(String, Key), Vec<u8>>;

/// A store that keeps entries in memory, shared by its clones. Nothing survives the process.
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    map: Arc<Mutex<Map>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    fn map(&self) -> MutexGuard<'_, Map> {
        // A panic while holding the lock cannot leave the map half-updated: every operation is a
        // single map call.
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Replaces the stored bytes of one entry in place; for tests that damage entries.
    pub fn corrupt_with(&self, tag: &str, key: &Key, f: impl FnOnce(&mut Vec<u8>)) -> bool {
        self.map().get_mut(&(tag.to_owned(), *key)).map(f).is_some()
    }
}

impl Store for MemoryStore {
    fn get(&self, tag: &str, key: &Key) -> Result<Option<Vec<u8>>> {
        Ok(self.map().get(&(tag.to_owned(), *key)).cloned())
    }
    fn set(&self, tag: &str, key: &Key, value: &[u8], _expires_at: Option<i64>) -> Result<()> {
        self.map().insert((tag.to_owned(), *key), value.to_vec());
        Ok(())
    }
    fn delete(&self, tag: &str, key: &Key) -> Result<bool> {
        Ok(self.map().remove(&(tag.to_owned(), *key)).is_some())
    }
    fn delete_tag(&self, tag: &str) -> Result<u64> {
        let mut map = self.map();
        let before = map.len();
        map.retain(|(t, _), _| t != tag);
        Ok((before - map.len()) as u64)
    }
    fn tags(&self) -> Result<Vec<TagInfo>> {
        let mut out: Vec<TagInfo> = Vec::new();
        for ((tag, _), v) in self.map().iter() {
            match out.last_mut() {
                Some(last) if &last.tag == tag => {
                    last.entries += 1;
                    last.bytes += v.len() as u64;
                }
                _ => out.push(TagInfo {
                    tag: tag.clone(),
                    entries: 1,
                    bytes: v.len() as u64,
                }),
            }
        }
        Ok(out)
    }
    fn location(&self) -> String {
        "memory".to_owned()
    }
}

/// Every operation is a short map access, so the async face runs it inline.
impl AsyncStore for MemoryStore {
    fn get<'a>(&'a self, tag: &'a str, key: &'a Key) -> BoxFuture<'a, Result<Option<Vec<u8>>>> {
        Box::pin(async move { Store::get(self, tag, key) })
    }
    fn set<'a>(
        &'a self,
        tag: &'a str,
        key: &'a Key,
        value: Vec<u8>,
        expires_at: Option<i64>,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move { Store::set(self, tag, key, &value, expires_at) })
    }
    fn delete<'a>(&'a self, tag: &'a str, key: &'a Key) -> BoxFuture<'a, Result<bool>> {
        Box::pin(async move { Store::delete(self, tag, key) })
    }
    fn delete_tag<'a>(&'a self, tag: &'a str) -> BoxFuture<'a, Result<u64>> {
        Box::pin(async move { Store::delete_tag(self, tag) })
    }
    fn tags(&self) -> BoxFuture<'_, Result<Vec<TagInfo>>> {
        Box::pin(async move { Store::tags(self) })
    }
    fn location(&self) -> String {
        Store::location(self)
    }
}
