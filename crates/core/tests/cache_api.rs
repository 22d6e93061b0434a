//! The programmatic API: `Cache` and `AsyncCache`.

use std::cell::Cell;
use std::collections::HashMap;
use std::time::Duration;

use miniperscache::expiry::ManualClock;
use miniperscache::{
    AsyncCache, BoxError, Cache, Error, FileStore, Json, Key, MemoryStore, SqliteStore, Store,
    TagInfo,
};

#[test]
fn get_or_compute_computes_once_and_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let runs = Cell::new(0);
    let compute = || {
        runs.set(runs.get() + 1);
        vec![1.5f64, 2.5]
    };
    let cache = Cache::open(&db).unwrap();
    assert_eq!(
        cache.get_or_compute("t", &("a", 1), compute).unwrap(),
        [1.5, 2.5]
    );
    assert_eq!(
        cache.get_or_compute("t", &("a", 1), compute).unwrap(),
        [1.5, 2.5]
    );
    assert_eq!(runs.get(), 1);
    drop(cache);
    let reopened = Cache::open(&db).unwrap();
    assert_eq!(
        reopened.get_or_compute("t", &("a", 1), compute).unwrap(),
        [1.5, 2.5]
    );
    assert_eq!(runs.get(), 1);
    assert_eq!(
        reopened.get_or_compute("t", &("a", 2), compute).unwrap(),
        [1.5, 2.5]
    );
    assert_eq!(runs.get(), 2);
}

#[test]
fn err_is_not_cached_and_ok_is() {
    let cache = Cache::new(MemoryStore::new());
    let runs = Cell::new(0);
    let failing = || -> Result<u32, BoxError> {
        runs.set(runs.get() + 1);
        Err("boom".into())
    };
    assert!(cache.try_get_or_compute("t", &1, failing).is_err());
    assert!(cache.try_get_or_compute("t", &1, failing).is_err());
    assert_eq!(runs.get(), 2, "an Err is computed again every time");
    let ok = || -> Result<u32, BoxError> {
        runs.set(runs.get() + 1);
        Ok(7)
    };
    assert_eq!(cache.try_get_or_compute("t", &1, ok).unwrap(), 7);
    assert_eq!(cache.try_get_or_compute("t", &1, ok).unwrap(), 7);
    assert_eq!(runs.get(), 3);
}

#[test]
fn hashmap_argument_order_does_not_change_the_key() {
    let cache = Cache::new(MemoryStore::new());
    let a: HashMap<String, i32> = (0..100).map(|i| (i.to_string(), i)).collect();
    let mut b: HashMap<String, i32> = HashMap::with_capacity(500);
    b.extend((0..100).rev().map(|i| (i.to_string(), i)));
    cache.insert("t", &a, &"stored").unwrap();
    assert_eq!(
        cache.get::<String, _>("t", &b).unwrap().as_deref(),
        Some("stored")
    );
}

/// Flips one byte of the payload in the SQLite file itself.
#[test]
fn corrupted_sqlite_entry_is_recomputed() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let cache = Cache::open(&db).unwrap();
    let runs = Cell::new(0);
    let compute = || {
        runs.set(runs.get() + 1);
        String::from("a value worth keeping")
    };
    cache.get_or_compute("t", &1, compute).unwrap();
    let conn = rusqlite::Connection::open(&db).unwrap();
    let changed = conn
        .execute(
            "UPDATE mpc_entries SET value = substr(value, 1, length(value) - 3) || x'ffffff'",
            [],
        )
        .unwrap();
    assert_eq!(changed, 1);
    assert_eq!(
        cache.get::<String, _>("t", &1).unwrap(),
        None,
        "never returned"
    );
    assert_eq!(
        cache.get_or_compute("t", &1, compute).unwrap(),
        "a value worth keeping"
    );
    assert_eq!(runs.get(), 2);
    // ...and the recomputed value replaced the damaged one.
    assert_eq!(
        cache.get_or_compute("t", &1, compute).unwrap(),
        "a value worth keeping"
    );
    assert_eq!(runs.get(), 2);
}

/// A valid entry copied onto another key (a "foreign" value) is a miss, not that key's answer.
#[test]
fn an_entry_moved_to_another_key_is_a_miss() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let cache = Cache::open(&db).unwrap();
    cache.insert("t", &1, &"one").unwrap();
    cache.insert("t", &2, &"two").unwrap();
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute(
        "UPDATE mpc_entries SET value = (SELECT value FROM mpc_entries WHERE key = ?1) WHERE key = ?2",
        [&Key::of(&1).unwrap().as_bytes()[..], &Key::of(&2).unwrap().as_bytes()[..]],
    )
    .unwrap();
    assert_eq!(cache.get::<String, _>("t", &2).unwrap(), None);
    assert_eq!(
        cache.get::<String, _>("t", &1).unwrap().as_deref(),
        Some("one")
    );
}

#[test]
fn corrupted_file_entry_is_recomputed() {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::new(FileStore::new(dir.path()));
    let runs = Cell::new(0);
    let compute = || {
        runs.set(runs.get() + 1);
        42u64
    };
    cache.get_or_compute("t", &"x", compute).unwrap();
    let path = dir.path().join("t").join(Key::of("x").unwrap().to_hex());
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&path, &bytes).unwrap();
    assert_eq!(cache.get_or_compute("t", &"x", compute).unwrap(), 42);
    assert_eq!(runs.get(), 2);
    // Garbage that is not an entry at all is a miss too.
    std::fs::write(&path, b"not an entry").unwrap();
    assert_eq!(cache.get::<u64, _>("t", &"x").unwrap(), None);
}

#[test]
fn a_value_written_by_another_codec_is_a_miss() {
    let store = MemoryStore::new();
    let msgpack = Cache::new(store.clone());
    let json = Cache::new(store).with_codec::<Json>();
    msgpack.insert("t", &1, &5u8).unwrap();
    assert_eq!(json.get::<u8, _>("t", &1).unwrap(), None);
    assert_eq!(msgpack.get::<u8, _>("t", &1).unwrap(), Some(5));
    // A value of another type than stored is a miss, not a panic.
    assert_eq!(msgpack.get::<Vec<String>, _>("t", &1).unwrap(), None);
}

#[test]
fn entries_expire_after_their_time_to_live() {
    let clock = ManualClock::new(1_000_000);
    let cache = Cache::new(MemoryStore::new())
        .time_to_live(Duration::from_secs(60))
        .with_clock(clock.clone());
    cache.insert("t", &1, &"v").unwrap();
    clock.advance(Duration::from_secs(59));
    assert_eq!(
        cache.get::<String, _>("t", &1).unwrap().as_deref(),
        Some("v")
    );
    clock.advance(Duration::from_secs(1));
    assert_eq!(cache.get::<String, _>("t", &1).unwrap(), None);
}

#[test]
fn delete_tag_and_invalidate() {
    let cache = Cache::new(MemoryStore::new());
    cache.insert("a", &1, &1).unwrap();
    cache.insert("a", &2, &2).unwrap();
    cache.insert("b", &1, &1).unwrap();
    assert!(cache.invalidate("a", &1).unwrap());
    assert_eq!(cache.get::<i32, _>("a", &1).unwrap(), None);
    assert_eq!(cache.delete_tag("a").unwrap(), 1);
    let tags: Vec<String> = cache.tags().unwrap().into_iter().map(|t| t.tag).collect();
    assert_eq!(tags, ["b"]);
}

/// A store whose every operation fails.
struct Broken;

impl Store for Broken {
    fn get(&self, _: &str, _: &Key) -> miniperscache::Result<Option<Vec<u8>>> {
        Err(broken())
    }
    fn set(&self, _: &str, _: &Key, _: &[u8], _: Option<i64>) -> miniperscache::Result<()> {
        Err(broken())
    }
    fn delete(&self, _: &str, _: &Key) -> miniperscache::Result<bool> {
        Err(broken())
    }
    fn delete_tag(&self, _: &str) -> miniperscache::Result<u64> {
        Err(broken())
    }
    fn tags(&self) -> miniperscache::Result<Vec<TagInfo>> {
        Err(broken())
    }
    fn location(&self) -> String {
        "nowhere".into()
    }
}

fn broken() -> Error {
    Error::Storage {
        backend: "broken",
        location: "nowhere".into(),
        source: "disk on fire".into(),
    }
}

#[test]
fn a_failing_store_does_not_break_the_caller_unless_strict() {
    let lenient = Cache::new(Broken);
    assert_eq!(lenient.get_or_compute("t", &1, || 5).unwrap(), 5);
    let strict = Cache::new(Broken).strict(true);
    let err = strict.get_or_compute("t", &1, || 5).unwrap_err();
    assert!(err.to_string().contains("disk on fire"), "{err}");
    assert!(strict.delete_tag("t").is_err());
}

#[tokio::test]
async fn async_cache_mirrors_the_blocking_one() {
    let dir = tempfile::tempdir().unwrap();
    let cache = AsyncCache::new(SqliteStore::open(dir.path().join("c.db")).unwrap());
    let runs = std::sync::atomic::AtomicUsize::new(0);
    for _ in 0..3 {
        let v = cache
            .get_or_compute("t", &"k", async {
                runs.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                tokio::task::yield_now().await;
                vec!["x".to_string()]
            })
            .await
            .unwrap();
        assert_eq!(v, ["x"]);
    }
    assert_eq!(runs.load(std::sync::atomic::Ordering::SeqCst), 1);
    let failed: Result<u8, Error> = cache
        .try_get_or_compute("t", &"e", async { Err(broken()) })
        .await;
    assert!(failed.is_err());
    assert_eq!(cache.get::<u8, _>("t", &"e").await.unwrap(), None);
    assert_eq!(cache.delete_tag("t").await.unwrap(), 1);
}

/// Polls a future to completion without any runtime, as a non-tokio executor would.
fn block_on_without_tokio<F: std::future::Future>(f: F) -> F::Output {
    use std::task::{Context, Poll, Waker};
    let mut cx = Context::from_waker(Waker::noop());
    let mut f = std::pin::pin!(f);
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::yield_now();
    }
}

#[test]
fn async_file_store_works_outside_tokio() {
    let dir = tempfile::tempdir().unwrap();
    let cache = AsyncCache::new(miniperscache::AsyncFileStore::new(dir.path()));
    let v = block_on_without_tokio(cache.get_or_compute("t", &1, async { 7u8 })).unwrap();
    assert_eq!(v, 7);
    let hit: Option<u8> = block_on_without_tokio(cache.get("t", &1)).unwrap();
    assert_eq!(hit, Some(7));
}
