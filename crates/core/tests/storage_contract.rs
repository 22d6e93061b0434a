//! The storage contract: each behaviour written once and run against every backend.

use std::path::Path;

use miniperscache::{Error, FileStore, Key, MemoryStore, SqliteStore, Store};

fn key(n: u32) -> Key {
    Key::of(&n).unwrap()
}

/// Instantiates every contract case for one backend; `$make` builds a store in a temp folder.
macro_rules! storage_test {
    ($backend:ident, $make:expr) => {
        mod $backend {
            use super::*;

            fn store(dir: &Path) -> impl Store {
                #[allow(clippy::redundant_closure_call)]
                ($make)(dir)
            }

            #[test]
            fn missing_key_is_none() {
                let dir = tempfile::tempdir().unwrap();
                assert_eq!(store(dir.path()).get("t", &key(1)).unwrap(), None);
            }

            #[test]
            fn set_then_get_round_trips() {
                let dir = tempfile::tempdir().unwrap();
                let s = store(dir.path());
                s.set("t", &key(1), b"one", None).unwrap();
                assert_eq!(s.get("t", &key(1)).unwrap().as_deref(), Some(&b"one"[..]));
                assert_eq!(s.get("t", &key(2)).unwrap(), None);
                assert_eq!(s.get("other", &key(1)).unwrap(), None);
            }

            #[test]
            fn two_writers_last_wins() {
                let dir = tempfile::tempdir().unwrap();
                let s = store(dir.path());
                s.set("t", &key(1), b"first", None).unwrap();
                s.set("t", &key(1), b"second", Some(i64::MAX)).unwrap();
                assert_eq!(
                    s.get("t", &key(1)).unwrap().as_deref(),
                    Some(&b"second"[..])
                );
            }

            #[test]
            fn delete_removes_one_entry() {
                let dir = tempfile::tempdir().unwrap();
                let s = store(dir.path());
                s.set("t", &key(1), b"a", None).unwrap();
                s.set("t", &key(2), b"b", None).unwrap();
                assert!(s.delete("t", &key(1)).unwrap());
                assert!(!s.delete("t", &key(1)).unwrap());
                assert_eq!(s.get("t", &key(1)).unwrap(), None);
                assert!(s.get("t", &key(2)).unwrap().is_some());
            }

            #[test]
            fn delete_tag_only_touches_its_tag() {
                let dir = tempfile::tempdir().unwrap();
                let s = store(dir.path());
                for n in 0..3 {
                    s.set("x", &key(n), b"v", None).unwrap();
                }
                s.set("xyz", &key(0), b"v", None).unwrap();
                s.set("x*", &key(0), b"v", None).unwrap();
                assert_eq!(s.delete_tag("x").unwrap(), 3);
                assert_eq!(s.get("x", &key(0)).unwrap(), None);
                assert!(s.get("xyz", &key(0)).unwrap().is_some());
                assert_eq!(s.delete_tag("x*").unwrap(), 1);
                assert!(s.get("xyz", &key(0)).unwrap().is_some());
                assert_eq!(s.delete_tag("never-used").unwrap(), 0);
            }

            #[test]
            fn tags_count_entries_and_bytes() {
                let dir = tempfile::tempdir().unwrap();
                let s = store(dir.path());
                s.set("b", &key(1), b"12345", None).unwrap();
                s.set("b", &key(2), b"123", None).unwrap();
                s.set("a", &key(1), b"1", None).unwrap();
                let tags = s.tags().unwrap();
                let summary: Vec<_> = tags
                    .iter()
                    .map(|t| (t.tag.as_str(), t.entries, t.bytes))
                    .collect();
                assert_eq!(summary, [("a", 1, 1), ("b", 2, 8)]);
            }

            #[test]
            fn many_at_once() {
                let dir = tempfile::tempdir().unwrap();
                let s = store(dir.path());
                let entries: Vec<(Key, Vec<u8>)> =
                    (0..50).map(|n| (key(n), vec![n as u8; 3])).collect();
                s.set_many("t", &entries, None).unwrap();
                let keys: Vec<Key> = (0..52).map(key).collect();
                let got = s.get_many("t", &keys).unwrap();
                assert_eq!(got.len(), 52);
                for n in 0..50 {
                    assert_eq!(got[n].as_deref(), Some(&vec![n as u8; 3][..]));
                }
                assert_eq!(got[50], None);
            }

            #[test]
            fn large_and_empty_values() {
                let dir = tempfile::tempdir().unwrap();
                let s = store(dir.path());
                let big: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
                s.set("t", &key(1), &big, None).unwrap();
                s.set("t", &key(2), b"", None).unwrap();
                assert_eq!(s.get("t", &key(1)).unwrap(), Some(big));
                assert_eq!(s.get("t", &key(2)).unwrap(), Some(Vec::new()));
            }

            #[test]
            fn usable_from_many_threads() {
                let dir = tempfile::tempdir().unwrap();
                let s = store(dir.path());
                std::thread::scope(|scope| {
                    for t in 0..4u32 {
                        let s = &s;
                        scope.spawn(move || {
                            for n in 0..25 {
                                let k = key(t * 100 + n);
                                s.set("t", &k, &k.as_bytes()[..], None).unwrap();
                                assert_eq!(
                                    s.get("t", &k).unwrap().as_deref(),
                                    Some(&k.as_bytes()[..])
                                );
                            }
                        });
                    }
                });
                assert_eq!(s.tags().unwrap()[0].entries, 100);
            }
        }
    };
}

storage_test!(memory, |_dir: &Path| MemoryStore::new());
storage_test!(sqlite, |dir: &Path| SqliteStore::open(dir.join("c.db"))
    .unwrap());
storage_test!(files, |dir: &Path| FileStore::new(dir.join("files")));

/// Two handles on one location (two processes, in effect) see each other's writes.
#[test]
fn persistent_stores_share_their_location() {
    let dir = tempfile::tempdir().unwrap();
    let a = SqliteStore::open(dir.path().join("c.db")).unwrap();
    let b = SqliteStore::open(dir.path().join("c.db")).unwrap();
    a.set("t", &key(1), b"v", None).unwrap();
    assert_eq!(b.get("t", &key(1)).unwrap().as_deref(), Some(&b"v"[..]));
    let fa = FileStore::new(dir.path().join("f"));
    let fb = FileStore::new(dir.path().join("f"));
    fa.set("t", &key(1), b"v", None).unwrap();
    assert_eq!(fb.get("t", &key(1)).unwrap().as_deref(), Some(&b"v"[..]));
}

#[test]
fn file_store_refuses_tags_that_escape_its_root() {
    let dir = tempfile::tempdir().unwrap();
    let s = FileStore::new(dir.path().join("root"));
    for bad in ["../x", "..", ".", "a/b", "a\\b", "", "nul\0"] {
        let err = s.set(bad, &key(1), b"v", None).unwrap_err();
        assert!(matches!(err, Error::InvalidTag { .. }), "{bad:?}: {err}");
        assert!(err.to_string().contains("invalid tag"), "{err}");
        assert!(s.get(bad, &key(1)).is_err());
        assert!(s.delete_tag(bad).is_err());
    }
    assert!(!dir.path().join("x").exists());
    // Odd but harmless tags are fine, and stay inside the root.
    s.set("..x", &key(1), b"v", None).unwrap();
    s.set("my_crate::module::f", &key(1), b"v", None).unwrap();
    assert!(dir.path().join("root").join("..x").is_dir());
}

#[test]
fn file_store_layout_is_tag_folder_then_hex_key() {
    let dir = tempfile::tempdir().unwrap();
    let s = FileStore::new(dir.path());
    s.set("tag", &key(7), b"v", None).unwrap();
    let path = dir.path().join("tag").join(key(7).to_hex());
    assert_eq!(std::fs::read(path).unwrap(), b"v");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("tag")).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "no temporary file is left behind");
}

#[cfg(unix)]
#[test]
fn new_folders_are_0700_and_files_0600() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("new").join("c.db");
    let s = SqliteStore::open(&db).unwrap();
    s.set("t", &key(1), b"v", None).unwrap();
    assert_eq!(mode(&dir.path().join("new")), 0o700);
    assert_eq!(mode(&db), 0o600);
    let wal = dir.path().join("new").join("c.db-wal");
    if wal.exists() {
        assert_eq!(mode(&wal), 0o600);
    }
    let f = FileStore::new(dir.path().join("files"));
    f.set("t", &key(1), b"v", None).unwrap();
    assert_eq!(mode(&dir.path().join("files")), 0o700);
    assert_eq!(mode(&dir.path().join("files").join("t")), 0o700);
    assert_eq!(
        mode(&dir.path().join("files").join("t").join(key(1).to_hex())),
        0o600
    );
}

/// A database written by miniperscache 0.1.3 (Python) opens, and its table is left as it was.
#[test]
fn sqlite_leaves_a_0_1_3_database_intact() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("miniperscache.db");
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute_batch(
            "CREATE TABLE cache (tag TEXT, key BLOB, value BLOB);
             CREATE UNIQUE INDEX cache_tag_key_idx ON cache (tag, key);
             INSERT INTO cache VALUES ('old', x'01', x'cafe');",
        )
        .unwrap();
    }
    let s = SqliteStore::open(&db).unwrap();
    s.set("old", &key(1), b"new", None).unwrap();
    assert_eq!(s.delete_tag("old").unwrap(), 1);
    drop(s);
    let conn = rusqlite::Connection::open(&db).unwrap();
    let v: Vec<u8> = conn
        .query_row("SELECT value FROM cache WHERE tag = 'old'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(v, [0xca, 0xfe]);
}

#[test]
fn sqlite_refuses_a_newer_schema() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute_batch("PRAGMA user_version = 99")
        .unwrap();
    let err = SqliteStore::open(&db).unwrap_err();
    assert!(err.to_string().contains("newer"), "{err}");
}

#[test]
fn sqlite_refuses_a_file_that_is_not_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    std::fs::write(&db, vec![b'x'; 4096]).unwrap();
    let err = SqliteStore::open(&db).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Storage {
                backend: "sqlite",
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(
        std::fs::read(&db).unwrap(),
        vec![b'x'; 4096],
        "nothing is destroyed"
    );
}

/// `delete_tag` leaves a write in progress (its temporary file) alone, so that write still lands.
#[test]
fn file_store_delete_tag_spares_writes_in_progress() {
    let dir = tempfile::tempdir().unwrap();
    let s = FileStore::new(dir.path());
    s.set("t", &key(1), b"v", None).unwrap();
    let in_progress = dir.path().join("t").join(".tmp-1-2-3");
    std::fs::write(&in_progress, b"half").unwrap();
    assert_eq!(s.delete_tag("t").unwrap(), 1);
    assert!(in_progress.exists());
    assert_eq!(s.get("t", &key(1)).unwrap(), None);
    assert!(s.tags().unwrap().iter().all(|t| t.entries == 0));
}
