//! `FileStore`: one file per entry.
//!
//! ```text
//! <root>/
//! └── <tag>/                 one folder per tag (0700)
//!     ├── <key as 64 hex>    one entry envelope per file (0600)
//!     └── .tmp-<pid>-<n>-…   a write in progress; renamed over its key when complete
//! ```
//!
//! Writes go to a temporary file in the tag's folder and are renamed into place, so a reader sees
//! the old entry or the new one, never half of one. A damaged file still reads as a miss: every
//! entry carries a checksum.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::fs::{create_private_dir, create_temp_file, default_dir};
use super::{Store, TagInfo};
use crate::error::{Error, IoResultExt, Result};
use crate::key::Key;

/// The folder under the cache folder where [`FileStore::open_default`] keeps its tags; versioned so
/// that a future layout can live beside it.
pub const DEFAULT_SUBDIR: &str = "files-v1";

/// A store keeping each entry in its own file under `<root>/<tag>/<key>`.
#[derive(Debug, Clone)]
pub struct FileStore {
    root: PathBuf,
}

impl FileStore {
    /// A store rooted at `root` (created, 0700, on first write). A relative root is resolved
    /// against the working directory now, so a later change of directory does not move it.
    pub fn new(root: impl Into<PathBuf>) -> FileStore {
        let root = root.into();
        FileStore {
            root: std::path::absolute(&root).unwrap_or(root),
        }
    }

    /// A store under the default cache folder: `<cache dir>/files-v1` (see
    /// [`default_dir`](crate::store::default_dir)).
    ///
    /// # Errors
    /// When the working directory cannot be read.
    pub fn open_default() -> Result<FileStore> {
        Ok(FileStore::new(default_dir()?.join(DEFAULT_SUBDIR)))
    }

    /// The root folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn tag_dir(&self, tag: &str) -> Result<PathBuf> {
        validate_path_tag(tag)?;
        Ok(self.root.join(tag))
    }

    fn entry_path(&self, tag: &str, key: &Key) -> Result<PathBuf> {
        Ok(self.tag_dir(tag)?.join(key.to_hex()))
    }
}

/// Checks that `tag` names exactly one folder inside a store's root.
///
/// # Errors
/// [`Error::InvalidTag`] for an empty tag, `.` or `..`, a tag with `/`, `\` or NUL, or one longer
/// than 255 bytes.
pub fn validate_path_tag(tag: &str) -> Result<()> {
    let reason = if tag.is_empty() {
        Some("a tag may not be empty")
    } else if tag == "." || tag == ".." {
        Some("a file store keeps each tag in a folder of that name, so '.' and '..' are refused; choose another tag")
    } else if tag.contains(['/', '\\', '\0']) {
        Some("a file store keeps each tag in a folder of that name, so '/', '\\' and NUL are refused; use e.g. '-' or '.' instead")
    } else if tag.len() > 255 {
        Some("a file store keeps each tag in a folder of that name, which is limited to 255 bytes; use a shorter tag")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(Error::InvalidTag {
            tag: tag.to_owned(),
            reason,
        }),
        None => Ok(()),
    }
}

fn is_temp(name: &std::ffi::OsStr) -> bool {
    name.to_str().is_none_or(|n| n.starts_with('.'))
}

impl Store for FileStore {
    fn get(&self, tag: &str, key: &Key) -> Result<Option<Vec<u8>>> {
        let path = self.entry_path(tag, key)?;
        match fs::read(&path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).at("reading cache entry", path),
        }
    }

    fn set(&self, tag: &str, key: &Key, value: &[u8], _expires_at: Option<i64>) -> Result<()> {
        let dir = self.tag_dir(tag)?;
        create_private_dir(&dir)?;
        let (tmp, mut file) = create_temp_file(&dir).at("creating temporary file in", &dir)?;
        let target = dir.join(key.to_hex());
        let written = file
            .write_all(value)
            .and_then(|()| file.flush())
            .and_then(|()| fs::rename(&tmp, &target));
        if let Err(e) = written {
            let _ = fs::remove_file(&tmp);
            return Err(e).at("writing cache entry", target);
        }
        Ok(())
    }

    fn delete(&self, tag: &str, key: &Key) -> Result<bool> {
        let path = self.entry_path(tag, key)?;
        match fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e).at("removing cache entry", path),
        }
    }

    fn delete_tag(&self, tag: &str) -> Result<u64> {
        let dir = self.tag_dir(tag)?;
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(e).at("listing tag folder", dir),
        };
        let mut removed = 0;
        for entry in entries {
            let entry = entry.at("listing tag folder", &dir)?;
            // A temporary file is a write in progress: removing it would make that write fail.
            if is_temp(&entry.file_name()) {
                continue;
            }
            let path = entry.path();
            match fs::remove_file(&path) {
                Ok(()) => removed += 1,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e).at("removing cache entry", path),
            }
        }
        // Fails, and the folder stays, while a write is in progress in it.
        let _ = fs::remove_dir(&dir);
        Ok(removed)
    }

    fn tags(&self) -> Result<Vec<TagInfo>> {
        let dirs = match fs::read_dir(&self.root) {
            Ok(d) => d,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e).at("listing store root", &self.root),
        };
        let mut out = Vec::new();
        for dir in dirs {
            let dir = dir.at("listing store root", &self.root)?;
            let Ok(tag) = dir.file_name().into_string() else {
                continue;
            };
            if !dir.file_type().is_ok_and(|t| t.is_dir()) || validate_path_tag(&tag).is_err() {
                continue;
            }
            let (mut entries, mut bytes) = (0, 0);
            let path = dir.path();
            let files = match fs::read_dir(&path) {
                Ok(files) => files,
                // Deleted meanwhile (`delete_tag`): the tag has no entries any more.
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e).at("listing tag folder", path),
            };
            for file in files {
                let file = file.at("listing tag folder", &path)?;
                if is_temp(&file.file_name()) {
                    continue;
                }
                if let Ok(meta) = file.metadata() {
                    entries += 1;
                    bytes += meta.len();
                }
            }
            out.push(TagInfo {
                tag,
                entries,
                bytes,
            });
        }
        out.sort_by(|a, b| a.tag.cmp(&b.tag));
        Ok(out)
    }

    fn location(&self) -> String {
        self.root.display().to_string()
    }
}
