//! Golden tests: the bytes and paths today's code writes, against values checked in here.
//!
//! If one of these fails, a persisted format changed and every existing cache is affected: bump
//! the format's version (docs/formats.md) on purpose, or undo the change.

use miniperscache::entry::Entry;
use miniperscache::{Codec, FileStore, Json, Key, MsgPack, Store};

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn entry_envelope_bytes() {
    let payload = MsgPack::encode(&("a", 1u8)).unwrap();
    let bytes = Entry::new(
        MsgPack::ID,
        &payload,
        1_700_000_000_000,
        Some(1_700_000_060_000),
    )
    .encode("tag", &Key::from_bytes([7; 32]))
    .unwrap();
    assert_eq!(
        hex(&bytes),
        concat!(
            "4d504345",         // magic "MPCE"
            "01",               // format version
            "00",               // flags
            "07",               // codec id length
            "6d73677061636b",   // "msgpack"
            "0068e5cf8b010000", // created_at
            "6052e6cf8b010000", // expires_at
            "0000",             // meta length
            "d3beaf7ba0a9555d", // checksum, computed independently (Python blake3)
            "92a16101",         // payload: msgpack ["a", 1]
        )
    );
}

#[test]
fn codec_ids() {
    assert_eq!(MsgPack::ID, "msgpack");
    assert_eq!(Json::ID, "json");
}

#[test]
fn file_store_paths() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::new(dir.path());
    let key = Key::of(&(1u32, "hello", vec![1.5f64])).unwrap();
    store.set("my-tag", &key, b"x", None).unwrap();
    let expected = dir
        .path()
        .join("my-tag")
        .join("6eeddf7d23d641e94f786ab01c31c42b4614181dec5356db2d387035b0baf8ee");
    assert!(expected.is_file());
}

#[test]
fn sqlite_schema() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    drop(miniperscache::SqliteStore::open(&db).unwrap());
    let conn = rusqlite::Connection::open(&db).unwrap();
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, 1);
    let mut columns: Vec<String> = conn
        .prepare("SELECT name FROM pragma_table_info('mpc_entries')")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    columns.sort();
    assert_eq!(
        columns,
        [
            "accessed_at",
            "created_at",
            "expires_at",
            "key",
            "size",
            "tag",
            "value"
        ]
    );
}
