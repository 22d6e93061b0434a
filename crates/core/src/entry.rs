//! The entry envelope: the header every stored value carries.
//!
//! ```text
//! offset  size  field
//! 0       4     magic  b"MPCE"
//! 4       1     format version (ENTRY_FORMAT_VERSION = 1)
//! 5       1     flags (0 today; reserved: 0x01 zstd-compressed payload, 0x02 signed)
//! 6       1     codec id length n (1..=255)
//! 7       n     codec id, ASCII (e.g. "msgpack", "json", "py:dill")
//! 7+n     8     created_at, unix milliseconds, i64 little-endian
//! 15+n    8     expires_at, unix milliseconds, i64 little-endian; 0 = never
//! 23+n    2     meta length m, u16 little-endian
//! 25+n    m     meta: writer stamp and future extensions (opaque here)
//! 25+n+m  8     checksum: the first 8 bytes of BLAKE3( u64 LE tag length · tag · key ·
//!               every byte before the checksum · payload )
//! 33+n+m  ...   payload: the value as its codec wrote it
//! ```
//!
//! The checksum covers the entry's tag and key although they are not stored in it: an entry copied
//! or renamed to another key fails the check like a damaged one. A value whose magic, version,
//! flags, lengths or checksum are wrong is reported as [`Error::Corrupt`] and read as a miss: it is
//! never returned and never a crash.

use crate::error::{Error, Result};
use crate::key::Key;

/// The magic bytes that open every entry.
pub const MAGIC: [u8; 4] = *b"MPCE";
/// The envelope format version this build writes and reads.
pub const ENTRY_FORMAT_VERSION: u8 = 1;
const CHECKSUM_LEN: usize = 8;
/// The flag bits this build understands (none yet).
const KNOWN_FLAGS: u8 = 0;

/// One decoded entry, borrowing from the stored bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry<'a> {
    /// The id of the codec that wrote the payload.
    pub codec: &'a str,
    /// When the entry was written, in unix milliseconds.
    pub created_at: i64,
    /// When the entry stops being valid, in unix milliseconds; `None` for never.
    pub expires_at: Option<i64>,
    /// Writer metadata, opaque to this version.
    pub meta: &'a [u8],
    /// The value's bytes.
    pub payload: &'a [u8],
}

impl<'a> Entry<'a> {
    /// An entry with no metadata.
    pub fn new(
        codec: &'a str,
        payload: &'a [u8],
        created_at: i64,
        expires_at: Option<i64>,
    ) -> Self {
        Entry {
            codec,
            created_at,
            expires_at,
            meta: &[],
            payload,
        }
    }

    /// Whether the entry has expired at `now_ms` (unix milliseconds).
    pub fn is_expired(&self, now_ms: i64) -> bool {
        self.expires_at.is_some_and(|t| t <= now_ms)
    }

    /// Writes the envelope and payload of the entry stored under `tag` and `key`.
    ///
    /// # Errors
    /// [`Error::Config`] when the codec id is empty or longer than 255 bytes, or the metadata longer
    /// than 65535 bytes.
    pub fn encode(&self, tag: &str, key: &Key) -> Result<Vec<u8>> {
        let codec = self.codec.as_bytes();
        let codec_len = u8::try_from(codec.len())
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| {
                Error::Config(format!(
                    "codec id {:?} must be 1 to 255 bytes long",
                    self.codec
                ))
            })?;
        let meta_len = u16::try_from(self.meta.len())
            .map_err(|_| Error::Config("entry metadata must be at most 65535 bytes".into()))?;
        let mut out = Vec::with_capacity(33 + codec.len() + self.meta.len() + self.payload.len());
        out.extend_from_slice(&MAGIC);
        out.push(ENTRY_FORMAT_VERSION);
        out.push(0);
        out.push(codec_len);
        out.extend_from_slice(codec);
        out.extend_from_slice(&self.created_at.to_le_bytes());
        out.extend_from_slice(&self.expires_at.unwrap_or(0).to_le_bytes());
        out.extend_from_slice(&meta_len.to_le_bytes());
        out.extend_from_slice(self.meta);
        let sum = checksum(tag, key, &out, self.payload);
        out.extend_from_slice(&sum);
        out.extend_from_slice(self.payload);
        Ok(out)
    }

    /// Reads the envelope of the entry found under `tag` and `key`, checking everything it can.
    ///
    /// # Errors
    /// [`Error::Corrupt`] saying what was wrong.
    pub fn decode(bytes: &'a [u8], tag: &str, key: &Key) -> Result<Entry<'a>> {
        let mut r = Reader { bytes, pos: 0 };
        if r.take(4)? != MAGIC {
            return Err(corrupt("not a miniperscache entry (bad magic)"));
        }
        let version = r.take(1)?[0];
        if version != ENTRY_FORMAT_VERSION {
            return Err(corrupt(&format!(
                "entry format version {version} is not {ENTRY_FORMAT_VERSION} (written by another miniperscache version)"
            )));
        }
        let flags = r.take(1)?[0];
        if flags & !KNOWN_FLAGS != 0 {
            return Err(corrupt(&format!("unknown flags {flags:#04x}")));
        }
        let codec_len = usize::from(r.take(1)?[0]);
        let codec = std::str::from_utf8(r.take(codec_len)?)
            .map_err(|_| corrupt("codec id is not UTF-8"))?;
        let created_at = r.i64()?;
        let expires_at = r.i64()?;
        let meta_len = usize::from(u16::from_le_bytes([r.take(1)?[0], r.take(1)?[0]]));
        let meta = r.take(meta_len)?;
        let header_end = r.pos;
        let stored_sum = r.take(CHECKSUM_LEN)?;
        let payload = &bytes[r.pos..];
        if checksum(tag, key, &bytes[..header_end], payload) != stored_sum {
            return Err(corrupt(
                "checksum mismatch (the entry was damaged, or moved from another key)",
            ));
        }
        Ok(Entry {
            codec,
            created_at,
            expires_at: (expires_at != 0).then_some(expires_at),
            meta,
            payload,
        })
    }
}

fn checksum(tag: &str, key: &Key, header: &[u8], payload: &[u8]) -> [u8; CHECKSUM_LEN] {
    let mut h = blake3::Hasher::new();
    h.update(&(tag.len() as u64).to_le_bytes());
    h.update(tag.as_bytes());
    h.update(key.as_bytes());
    h.update(header);
    h.update(payload);
    let mut out = [0u8; CHECKSUM_LEN];
    out.copy_from_slice(&h.finalize().as_bytes()[..CHECKSUM_LEN]);
    out
}

fn corrupt(reason: &str) -> Error {
    Error::Corrupt {
        reason: reason.to_owned(),
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|end| *end <= self.bytes.len())
            .ok_or_else(|| corrupt("truncated entry"))?;
        let out = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(out)
    }
    fn i64(&mut self) -> Result<i64> {
        let mut b = [0u8; 8];
        b.copy_from_slice(self.take(8)?);
        Ok(i64::from_le_bytes(b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: Key = Key::from_bytes([7; 32]);

    #[test]
    fn round_trip() {
        let e = Entry::new(
            "msgpack",
            b"hello",
            1_700_000_000_000,
            Some(1_800_000_000_000),
        );
        let bytes = e.encode("t", &KEY).unwrap();
        assert_eq!(Entry::decode(&bytes, "t", &KEY).unwrap(), e);
        let never = Entry::new("json", b"", 5, None);
        let bytes = never.encode("t", &KEY).unwrap();
        assert_eq!(Entry::decode(&bytes, "t", &KEY).unwrap(), never);
    }

    #[test]
    fn every_flipped_byte_is_detected() {
        let bytes = Entry::new("msgpack", b"some payload", 1, Some(2))
            .encode("t", &KEY)
            .unwrap();
        for i in 0..bytes.len() {
            let mut bad = bytes.clone();
            bad[i] ^= 0x40;
            assert!(
                matches!(Entry::decode(&bad, "t", &KEY), Err(Error::Corrupt { .. })),
                "flip at {i} not detected"
            );
        }
        for n in 0..bytes.len() {
            assert!(
                Entry::decode(&bytes[..n], "t", &KEY).is_err(),
                "truncation to {n} not detected"
            );
        }
    }

    #[test]
    fn an_entry_moved_to_another_key_or_tag_is_detected() {
        let bytes = Entry::new("json", b"1", 0, None).encode("t", &KEY).unwrap();
        let other = Key::from_bytes([8; 32]);
        assert!(Entry::decode(&bytes, "t", &other).is_err());
        assert!(Entry::decode(&bytes, "u", &KEY).is_err());
        assert!(Entry::decode(&bytes, "t", &KEY).is_ok());
    }

    #[test]
    fn expiry() {
        let e = Entry::new("c", b"", 0, Some(100));
        assert!(!e.is_expired(99));
        assert!(e.is_expired(100));
        assert!(!Entry::new("c", b"", 0, None).is_expired(i64::MAX));
    }

    #[test]
    fn header_layout_is_pinned() {
        let bytes = Entry::new("json", b"1", 0x0102, None)
            .encode("t", &KEY)
            .unwrap();
        assert_eq!(&bytes[..4], b"MPCE");
        assert_eq!(bytes[4], 1);
        assert_eq!(bytes[6], 4);
        assert_eq!(&bytes[7..11], b"json");
        assert_eq!(&bytes[11..19], &0x0102i64.to_le_bytes());
        assert_eq!(bytes.len(), 33 + 4 + 1);
    }
}
