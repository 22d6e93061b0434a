//! File-system helpers shared by the stores: the default folder and private permissions.
//!
//! Cached values may be pickles, which run code when loaded, so everything a store creates is
//! private to its user: folders 0700, files 0600 (on Unix).

use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

use crate::error::{IoResultExt, Result};

/// The environment variable that overrides the cache folder.
pub const DIR_ENV: &str = "MINIPERSCACHE_DIR";

/// The cache folder: `$MINIPERSCACHE_DIR` when set and not empty, else `.miniperscache` under the
/// working directory (as in miniperscache 0.1.3).
///
/// # Errors
/// When the working directory cannot be read.
pub fn default_dir() -> Result<PathBuf> {
    match std::env::var_os(DIR_ENV) {
        Some(dir) if !dir.is_empty() => Ok(PathBuf::from(dir)),
        _ => {
            let cwd = std::env::current_dir().at("reading the working directory", ".")?;
            Ok(cwd.join(".miniperscache"))
        }
    }
}

/// Creates `dir` and its missing parents, each new one 0700.
pub(crate) fn create_private_dir(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir).at("creating cache folder", dir)
}

/// Options that create a new file as 0600.
pub(crate) fn private_file_options() -> OpenOptions {
    let mut opts = OpenOptions::new();
    opts.write(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts
}

/// Creates `path` as an empty 0600 file unless it exists.
#[cfg(feature = "sqlite")]
pub(crate) fn touch_private_file(path: &Path) -> Result<()> {
    match private_file_options().create_new(true).open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e).at("creating cache file", path),
    }
}

/// Opens a new, unique, 0600 temporary file in `dir` whose name starts with `.tmp-`.
pub(crate) fn create_temp_file(dir: &Path) -> io::Result<(PathBuf, File)> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    loop {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let path = dir.join(format!(".tmp-{}-{n}-{nanos}", std::process::id()));
        match private_file_options().create_new(true).open(&path) {
            Ok(f) => return Ok((path, f)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
}
