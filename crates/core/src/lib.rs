//! A persistent cache of function results: put `#[cached]` on a `fn` or an `async fn` and its
//! results are stored on disk, keyed by a stable hash of its arguments, so later calls, in this
//! process or any later one, return the stored value instead of recomputing it.
//!
//! # API layout
//!
//! - [`cached`] (feature `macros`, default): the attribute macro, for `fn` and `async fn`.
//! - [`Cache`] (blocking) and [`AsyncCache`] (feature `async`, default): the programmatic API with
//!   the same method names: `get_or_compute`, `try_get_or_compute`, `get`, `insert`, `invalidate`,
//!   `delete_tag`, `tags`.
//! - [`store`]: the [`Store`] trait (blocking) and [`AsyncStore`] (async, `dyn`-compatible), and the
//!   backends: [`SqliteStore`] (feature `sqlite`, default; bundled SQLite, nothing to install),
//!   [`FileStore`], [`AsyncFileStore`] (feature `async`) and [`MemoryStore`].
//! - [`Codec`]: how values become bytes; [`MsgPack`] (default) and [`Json`].
//! - [`Key`]: the stable key of some arguments; [`entry`]: the header every stored value carries.
//! - [`Error`]: the one error type; inside `#[cached]` errors never reach the caller (the function
//!   runs uncached and a warning goes to `tracing`).
//!
//! # Example
//! ```
//! use miniperscache::cached;
//! # std::env::set_var("MINIPERSCACHE_DIR", tempfile::tempdir().unwrap().into_path());
//!
//! #[cached(tag = "expensive_calculation")]
//! fn expensive_calculation(x: i64, y: i64) -> f64 {
//!     (x * y) as f64
//! }
//!
//! assert_eq!(expensive_calculation(6, 7), 42.0); // computed and stored
//! assert_eq!(expensive_calculation(6, 7), 42.0); // read back
//! ```
//!
//! Where the default store lives: `.miniperscache/miniperscache.db` under the working directory, or
//! under `$MINIPERSCACHE_DIR` when that is set.

mod cache;
pub mod codec;
pub mod entry;
mod error;
pub mod expiry;
#[cfg(feature = "async")]
mod future;
pub mod key;
pub mod store;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use cache::Cache;
pub use codec::{Codec, Json, MsgPack};
pub use error::{BoxError, Error, Result};
#[cfg(feature = "async")]
pub use future::AsyncCache;
pub use key::Key;
#[cfg(feature = "async")]
pub use store::AsyncFileStore;
#[cfg(feature = "sqlite")]
pub use store::SqliteStore;
pub use store::{AsyncStore, FileStore, MemoryStore, Store, TagInfo};

#[cfg(feature = "macros")]
pub use miniperscache_macros::cached;

#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;
