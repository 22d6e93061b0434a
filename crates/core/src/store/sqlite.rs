//! `SqliteStore`: the default store, one embedded SQLite file.
//!
//! The file is shared safely by threads and processes: WAL mode (readers never wait for a writer),
//! a busy timeout (writers wait their turn instead of failing), `synchronous = NORMAL` (a crash or
//! SIGKILL loses at most the last commits, never the database). Each thread borrows a connection
//! from a small pool; statements are prepared once per connection and cached.
//!
//! The schema version is kept in `PRAGMA user_version`. A database written by miniperscache 0.1.3
//! (table `cache(tag, key, value)`) is left untouched: our table lives beside it.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension};

use super::fs::{create_private_dir, default_dir, touch_private_file};
use super::{AsyncStore, BoxFuture, Store, TagInfo};
use crate::error::{Error, IoResultExt, Result};
use crate::expiry::{Clock, SystemClock};
use crate::key::Key;

/// The schema this build writes, stored in `PRAGMA user_version`.
pub const SCHEMA_VERSION: i64 = 1;

/// The file name inside the cache folder.
pub const DEFAULT_FILE_NAME: &str = "miniperscache.db";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS mpc_entries (
    tag         TEXT    NOT NULL,
    key         BLOB    NOT NULL,
    value       BLOB    NOT NULL,
    size        INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER,
    accessed_at INTEGER NOT NULL,
    PRIMARY KEY (tag, key)
);
CREATE INDEX IF NOT EXISTS mpc_entries_expires_at
    ON mpc_entries (expires_at) WHERE expires_at IS NOT NULL;
";

const GET: &str = "SELECT value FROM mpc_entries WHERE tag = ?1 AND key = ?2";
const SET: &str = "
INSERT INTO mpc_entries (tag, key, value, size, created_at, expires_at, accessed_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?5)
ON CONFLICT (tag, key) DO UPDATE SET
    value = excluded.value, size = excluded.size, created_at = excluded.created_at,
    expires_at = excluded.expires_at, accessed_at = excluded.accessed_at";
const DELETE: &str = "DELETE FROM mpc_entries WHERE tag = ?1 AND key = ?2";
const DELETE_TAG: &str = "DELETE FROM mpc_entries WHERE tag = ?1";
const TAGS: &str = "
SELECT tag, COUNT(*), COALESCE(SUM(size), 0) FROM mpc_entries GROUP BY tag ORDER BY tag";

/// How long a writer waits for another connection's write to finish before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);
/// How many idle connections a store keeps.
const POOL_SIZE: usize = 4;

/// The default store: an embedded SQLite database. Cheap to clone; clones share connections.
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    pool: Mutex<Pool>,
    clock: Arc<dyn Clock>,
}

/// Idle connections, and the process that opened them: SQLite connections must not cross a
/// `fork()` (their POSIX locks belong to the parent), so a child opens its own.
struct Pool {
    pid: u32,
    idle: Vec<Connection>,
}

impl Pool {
    fn new() -> Pool {
        Pool {
            pid: std::process::id(),
            idle: Vec::new(),
        }
    }

    /// Forgets connections inherited through `fork()`. They are leaked, not closed: closing
    /// them would release the parent's locks.
    fn check_pid(&mut self) {
        let pid = std::process::id();
        if self.pid != pid {
            for conn in self.idle.drain(..) {
                std::mem::forget(conn);
            }
            self.pid = pid;
        }
    }
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.inner.path)
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path`. A new folder is made 0700 and a new file
    /// 0600.
    ///
    /// # Errors
    /// When the folder or file cannot be created, the file is not a SQLite database, or it was
    /// written by a newer schema.
    pub fn open(path: impl AsRef<Path>) -> Result<SqliteStore> {
        // Absolute, so that connections opened after a change of working directory reach the
        // same file.
        let path = std::path::absolute(path.as_ref()).at("resolving cache path", path.as_ref())?;
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            create_private_dir(parent)?;
        }
        touch_private_file(&path)?;
        let store = SqliteStore {
            inner: Arc::new(Inner {
                path,
                pool: Mutex::new(Pool::new()),
                clock: Arc::new(SystemClock),
            }),
        };
        let conn = store.connect()?;
        store.migrate(&conn)?;
        store.release(conn);
        Ok(store)
    }

    /// Opens `miniperscache.db` in the default cache folder (see
    /// [`default_dir`](crate::store::default_dir)).
    ///
    /// # Errors
    /// As [`SqliteStore::open`].
    pub fn open_default() -> Result<SqliteStore> {
        SqliteStore::open(default_dir()?.join(DEFAULT_FILE_NAME))
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    fn err(&self, e: rusqlite::Error) -> Error {
        Error::Storage {
            backend: "sqlite",
            location: self.inner.path.display().to_string(),
            source: Box::new(e),
        }
    }

    fn connect(&self) -> Result<Connection> {
        let conn = Connection::open(&self.inner.path).map_err(|e| self.err(e))?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(|e| self.err(e))?;
        conn.set_prepared_statement_cache_capacity(16);
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::debug!(path = %self.inner.path.display(), mode, "SQLite did not switch to WAL");
        }
        conn.execute_batch("PRAGMA synchronous = NORMAL;")
            .map_err(|e| self.err(e))?;
        Ok(conn)
    }

    fn migrate(&self, conn: &Connection) -> Result<()> {
        let version = |c: &Connection| -> rusqlite::Result<i64> {
            c.query_row("PRAGMA user_version", [], |r| r.get(0))
        };
        let current = version(conn).map_err(|e| self.err(e))?;
        if current == SCHEMA_VERSION {
            return Ok(());
        }
        if current > SCHEMA_VERSION {
            return Err(Error::Config(format!(
                "{} has cache schema {current}, newer than this build's {SCHEMA_VERSION}: upgrade miniperscache or use another file",
                self.inner.path.display()
            )));
        }
        // IMMEDIATE takes the write lock first, so processes opening a new file at once migrate
        // one after the other.
        let migrate = || -> rusqlite::Result<()> {
            conn.execute_batch("BEGIN IMMEDIATE")?;
            let result = (|| {
                if version(conn)? < SCHEMA_VERSION {
                    conn.execute_batch(SCHEMA)?;
                    conn.execute_batch(&format!("PRAGMA user_version = {SCHEMA_VERSION}"))?;
                }
                Ok(())
            })();
            conn.execute_batch(if result.is_ok() { "COMMIT" } else { "ROLLBACK" })?;
            result
        };
        migrate().map_err(|e| self.err(e))
    }

    fn release(&self, conn: Connection) {
        let mut pool = self.inner.pool.lock().unwrap_or_else(|e| e.into_inner());
        pool.check_pid();
        if pool.idle.len() < POOL_SIZE {
            pool.idle.push(conn);
        }
    }

    /// Runs `f` on a pooled connection.
    fn with_conn<T>(&self, f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>) -> Result<T> {
        let pooled = {
            let mut pool = self.inner.pool.lock().unwrap_or_else(|e| e.into_inner());
            pool.check_pid();
            pool.idle.pop()
        };
        let mut conn = match pooled {
            Some(c) => c,
            None => self.connect()?,
        };
        let out = f(&mut conn).map_err(|e| self.err(e));
        self.release(conn);
        out
    }

    fn write_all(
        &self,
        tag: &str,
        entries: &[(Key, &[u8])],
        expires_at: Option<i64>,
    ) -> Result<()> {
        let now = self.inner.clock.now_millis();
        self.with_conn(|conn| {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            {
                let mut stmt = tx.prepare_cached(SET)?;
                for (key, value) in entries {
                    stmt.execute(params![
                        tag,
                        &key.as_bytes()[..],
                        value,
                        value.len() as i64,
                        now,
                        expires_at
                    ])?;
                }
            }
            tx.commit()
        })
    }
}

/// The stored bytes of a row, whatever SQLite type a damaged or hand-edited row has; the entry
/// checksum then decides whether they are valid.
fn value_bytes(row: &rusqlite::Row<'_>) -> rusqlite::Result<Vec<u8>> {
    use rusqlite::types::ValueRef;
    Ok(match row.get_ref(0)? {
        ValueRef::Blob(b) | ValueRef::Text(b) => b.to_vec(),
        ValueRef::Null => Vec::new(),
        ValueRef::Integer(i) => i.to_le_bytes().to_vec(),
        ValueRef::Real(f) => f.to_le_bytes().to_vec(),
    })
}

impl Store for SqliteStore {
    fn get(&self, tag: &str, key: &Key) -> Result<Option<Vec<u8>>> {
        self.with_conn(|conn| {
            conn.prepare_cached(GET)?
                .query_row(params![tag, &key.as_bytes()[..]], value_bytes)
                .optional()
        })
    }

    fn get_many(&self, tag: &str, keys: &[Key]) -> Result<Vec<Option<Vec<u8>>>> {
        self.with_conn(|conn| {
            // One read transaction: a consistent snapshot, and one lock acquisition.
            let tx = conn.transaction()?;
            let out = {
                let mut stmt = tx.prepare_cached(GET)?;
                keys.iter()
                    .map(|key| {
                        stmt.query_row(params![tag, &key.as_bytes()[..]], value_bytes)
                            .optional()
                    })
                    .collect::<rusqlite::Result<Vec<_>>>()?
            };
            tx.commit()?;
            Ok(out)
        })
    }

    fn set(&self, tag: &str, key: &Key, value: &[u8], expires_at: Option<i64>) -> Result<()> {
        let now = self.inner.clock.now_millis();
        self.with_conn(|conn| {
            conn.prepare_cached(SET)?
                .execute(params![
                    tag,
                    &key.as_bytes()[..],
                    value,
                    value.len() as i64,
                    now,
                    expires_at
                ])
                .map(drop)
        })
    }

    fn set_many(
        &self,
        tag: &str,
        entries: &[(Key, Vec<u8>)],
        expires_at: Option<i64>,
    ) -> Result<()> {
        let borrowed: Vec<(Key, &[u8])> = entries.iter().map(|(k, v)| (*k, v.as_slice())).collect();
        self.write_all(tag, &borrowed, expires_at)
    }

    fn delete(&self, tag: &str, key: &Key) -> Result<bool> {
        self.with_conn(|conn| {
            conn.prepare_cached(DELETE)?
                .execute(params![tag, &key.as_bytes()[..]])
                .map(|n| n > 0)
        })
    }

    fn delete_tag(&self, tag: &str) -> Result<u64> {
        self.with_conn(|conn| {
            conn.prepare_cached(DELETE_TAG)?
                .execute(params![tag])
                .map(|n| n as u64)
        })
    }

    fn tags(&self) -> Result<Vec<TagInfo>> {
        self.with_conn(|conn| {
            let mut stmt = conn.prepare_cached(TAGS)?;
            let rows = stmt.query_map([], |r| {
                Ok(TagInfo {
                    tag: r.get(0)?,
                    entries: r.get::<_, i64>(1)? as u64,
                    bytes: r.get::<_, i64>(2)? as u64,
                })
            })?;
            rows.collect()
        })
    }

    fn location(&self) -> String {
        self.inner.path.display().to_string()
    }
}

impl SqliteStore {
    /// Runs a write on tokio's blocking pool when a runtime is there (a writer may wait for the
    /// lock), inline otherwise.
    async fn write_off_executor<T: Send + 'static>(
        &self,
        f: impl FnOnce(&SqliteStore) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        #[cfg(feature = "async")]
        if tokio::runtime::Handle::try_current().is_ok() {
            let store = self.clone();
            return tokio::task::spawn_blocking(move || f(&store))
                .await
                .map_err(|e| Error::Storage {
                    backend: "sqlite",
                    location: Store::location(self),
                    source: Box::new(e),
                })?;
        }
        f(self)
    }
}

/// Reads run inline: in WAL mode a read never waits for a writer, so it is as short as a local
/// read gets. Writes, which may wait for another writer, run on tokio's blocking pool.
impl AsyncStore for SqliteStore {
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
        let (tag, key) = (tag.to_owned(), *key);
        Box::pin(self.write_off_executor(move |s| Store::set(s, &tag, &key, &value, expires_at)))
    }
    fn delete<'a>(&'a self, tag: &'a str, key: &'a Key) -> BoxFuture<'a, Result<bool>> {
        let (tag, key) = (tag.to_owned(), *key);
        Box::pin(self.write_off_executor(move |s| Store::delete(s, &tag, &key)))
    }
    fn delete_tag<'a>(&'a self, tag: &'a str) -> BoxFuture<'a, Result<u64>> {
        let tag = tag.to_owned();
        Box::pin(self.write_off_executor(move |s| Store::delete_tag(s, &tag)))
    }
    fn tags(&self) -> BoxFuture<'_, Result<Vec<TagInfo>>> {
        Box::pin(async move { Store::tags(self) })
    }
    fn location(&self) -> String {
        Store::location(self)
    }
}
