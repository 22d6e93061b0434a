//! Stable cache keys.
//!
//! A [`Key`] is the 32-byte BLAKE3 digest of a canonical, versioned encoding of a call's arguments.
//! The same arguments give the same key in every process, on every machine and with every Rust
//! version: nothing here depends on `std::hash::Hash`, on memory addresses or on iteration order.
//!
//! # The encoding (version 1)
//!
//! ```text
//! digest = BLAKE3( domain:u8 · KEY_FORMAT_VERSION:u8 · value )
//! ```
//!
//! `domain` keeps keys made in different ways apart: [`Domain::Serde`] for Rust values through serde,
//! [`Domain::Python`] for Python objects walked by the Python bindings, [`Domain::PythonBatch`] for one
//! element of a batched Python call, and [`Domain::Raw`] (or [`Domain::RawBatch`] for one element
//! of a batched call) for key bytes a user's key function returned. Each `value` starts with a one-byte tag (see [`tag`]) and is self-delimiting: scalars have
//! a fixed width, strings and byte strings a `u64` length, and containers end with [`tag::END`].
//! So no two different values encode to the same bytes. Integers are little-endian with their
//! width in the tag, so `1u8` and `1u64` differ, as do `"a"` (a string) and `b"a"` (bytes).
//!
//! Maps are written with their entries sorted by their encoded bytes, so a `HashMap` hashes the same
//! whatever its iteration order. Serde shows a set to a serializer as a plain sequence; the encoder
//! recognises the standard library's, hashbrown's and indexmap's `HashSet`/`IndexSet` by type name and
//! sorts their elements the same way. Sequences of any other type keep their order.
//!
//! Changing any of this changes every key: bump [`KEY_FORMAT_VERSION`] when you do.

mod encoder;
mod serializer;

use std::fmt;

use serde::Serialize;

pub use encoder::{tag, Encoder, Sink};
pub use serializer::encode_value;

use crate::error::{Error, Result};

/// The version of the key encoding, hashed into every key.
pub const KEY_FORMAT_VERSION: u8 = 1;

/// What kind of key material follows the domain byte; keeps keys made in different ways apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
#[non_exhaustive]
pub enum Domain {
    /// A Rust value encoded through serde (the `#[cached]` macro and [`Key::of`]).
    Serde = b'S',
    /// Raw bytes returned by a user's key function.
    Raw = b'R',
    /// Python call arguments walked by the Python bindings.
    Python = b'P',
    /// One element of a batched Python call.
    PythonBatch = b'B',
    /// Raw bytes a user's key function returned for one element of a batched call.
    RawBatch = b'b',
}

/// A cache key: 32 bytes of BLAKE3.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key([u8; 32]);

impl Key {
    /// The key of any serializable value, e.g. a tuple of a function's arguments.
    ///
    /// # Errors
    /// [`Error::Key`] when the value's `Serialize` implementation fails.
    ///
    /// # Example
    /// ```
    /// use miniperscache::Key;
    /// let a = Key::of(&(1u32, "x")).unwrap();
    /// assert_eq!(a, Key::of(&(1u32, String::from("x"))).unwrap());
    /// assert_ne!(a, Key::of(&(1u64, "x")).unwrap());
    /// ```
    pub fn of<T: Serialize + ?Sized>(value: &T) -> Result<Key> {
        let mut hasher = KeyHasher::new(Domain::Serde);
        serializer::encode_value(hasher.encoder(), value).map_err(|e| Error::Key(e.to_string()))?;
        Ok(hasher.finish())
    }

    /// The key of raw key bytes, e.g. those a user's key function returned.
    pub fn from_material(bytes: &[u8]) -> Key {
        Key::from_material_in(Domain::Raw, bytes)
    }

    /// The key of raw key bytes in `domain` ([`Domain::Raw`] or [`Domain::RawBatch`]).
    pub fn from_material_in(domain: Domain, bytes: &[u8]) -> Key {
        let mut hasher = KeyHasher::new(domain);
        hasher.encoder().bytes(bytes);
        hasher.finish()
    }

    /// Wraps 32 bytes that already are a key (e.g. read back from a store).
    pub const fn from_bytes(bytes: [u8; 32]) -> Key {
        Key(bytes)
    }

    /// Takes a key from a slice; `None` unless it holds exactly 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Option<Key> {
        bytes.try_into().ok().map(Key)
    }

    /// The key's 32 bytes.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The key as 64 lowercase hex digits (the file name a file store uses).
    pub fn to_hex(&self) -> String {
        let mut s = String::with_capacity(64);
        for b in self.0 {
            s.push(char::from(HEX[usize::from(b >> 4)]));
            s.push(char::from(HEX[usize::from(b & 0xf)]));
        }
        s
    }

    /// Parses 64 hex digits back into a key.
    pub fn from_hex(hex: &str) -> Option<Key> {
        let hex = hex.as_bytes();
        if hex.len() != 64 {
            return None;
        }
        let mut out = [0u8; 32];
        for (i, pair) in hex.chunks_exact(2).enumerate() {
            let hi = (pair[0] as char).to_digit(16)?;
            let lo = (pair[1] as char).to_digit(16)?;
            out[i] = u8::try_from(hi * 16 + lo).ok()?;
        }
        Some(Key(out))
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Key({})", self.to_hex())
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// Builds a key incrementally: the domain and version first, then encoded values.
///
/// The Python bindings use this to walk Python objects with the same [`Encoder`] as serde values.
pub struct KeyHasher {
    hasher: blake3::Hasher,
}

impl KeyHasher {
    /// Starts a key in `domain`, writing the domain byte and [`KEY_FORMAT_VERSION`].
    pub fn new(domain: Domain) -> KeyHasher {
        let mut hasher = blake3::Hasher::new();
        hasher.update(&[domain as u8, KEY_FORMAT_VERSION]);
        KeyHasher { hasher }
    }

    /// The encoder that writes into this key.
    pub fn encoder(&mut self) -> Encoder<'_, blake3::Hasher> {
        Encoder::new(&mut self.hasher)
    }

    /// Finishes the key.
    pub fn finish(self) -> Key {
        Key(*self.hasher.finalize().as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashMap, HashSet};

    use super::*;

    #[test]
    fn hex_round_trips() {
        let k = Key::of(&42u32).unwrap();
        assert_eq!(Key::from_hex(&k.to_hex()), Some(k));
        assert_eq!(Key::from_hex("zz"), None);
    }

    #[test]
    fn integer_widths_and_str_vs_bytes_differ() {
        assert_ne!(Key::of(&1u8).unwrap(), Key::of(&1u64).unwrap());
        assert_ne!(Key::of(&1i32).unwrap(), Key::of(&1u32).unwrap());
        assert_ne!(Key::of("a").unwrap(), Key::of(&Bytes(b"a")).unwrap());
        assert_ne!(Key::of(&true).unwrap(), Key::of(&1u8).unwrap());
        assert_ne!(Key::of(&1.0f64).unwrap(), Key::of(&1u64).unwrap());
    }

    /// `&[u8]` serializes as a sequence; this wrapper serializes as bytes, like serde_bytes.
    struct Bytes<'a>(&'a [u8]);
    impl Serialize for Bytes<'_> {
        fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
            s.serialize_bytes(self.0)
        }
    }

    #[test]
    fn owned_and_borrowed_strings_agree() {
        assert_eq!(
            Key::of(&("x", 1u8)).unwrap(),
            Key::of(&(String::from("x"), 1u8)).unwrap()
        );
    }

    #[test]
    fn container_boundaries_are_unambiguous() {
        let a: (Vec<&str>, Vec<&str>) = (vec!["a", "b"], vec![]);
        let b: (Vec<&str>, Vec<&str>) = (vec!["a"], vec!["b"]);
        assert_ne!(Key::of(&a).unwrap(), Key::of(&b).unwrap());
        assert_ne!(Key::of(&("ab", "")).unwrap(), Key::of(&("a", "b")).unwrap());
        assert_ne!(Key::of(&(1u8,)).unwrap(), Key::of(&vec![1u8]).unwrap());
    }

    #[test]
    fn hashmap_order_does_not_matter() {
        let pairs: Vec<(String, u32)> = (0..200).map(|i| (format!("k{i}"), i)).collect();
        let forward: HashMap<String, u32> = pairs.iter().cloned().collect();
        let mut backward: HashMap<String, u32> = HashMap::with_capacity(1000);
        backward.extend(pairs.iter().rev().cloned());
        let fwd_order: Vec<_> = forward.keys().collect();
        let bwd_order: Vec<_> = backward.keys().collect();
        assert_ne!(fwd_order, bwd_order, "the test needs two iteration orders");
        assert_eq!(Key::of(&forward).unwrap(), Key::of(&backward).unwrap());
        let btree: BTreeMap<String, u32> = pairs.iter().cloned().collect();
        assert_eq!(Key::of(&forward).unwrap(), Key::of(&btree).unwrap());
    }

    #[test]
    fn hashset_order_does_not_matter_but_vec_order_does() {
        let items: Vec<u32> = (0..200).collect();
        let a: HashSet<u32> = items.iter().copied().collect();
        let mut b: HashSet<u32> = HashSet::with_capacity(4096);
        b.extend(items.iter().rev().copied());
        assert_ne!(a.iter().collect::<Vec<_>>(), b.iter().collect::<Vec<_>>());
        assert_eq!(Key::of(&a).unwrap(), Key::of(&b).unwrap());
        assert_eq!(Key::of(&(&a, 1u8)).unwrap(), Key::of(&(&b, 1u8)).unwrap());
        assert_eq!(
            Key::of(&vec![a.clone()]).unwrap(),
            Key::of(&vec![b.clone()]).unwrap()
        );
        assert_ne!(
            Key::of(&vec![1u8, 2]).unwrap(),
            Key::of(&vec![2u8, 1]).unwrap()
        );
    }

    #[test]
    fn keys_are_pinned() {
        // Golden values: if these change, every stored cache is invalidated. Bump
        // KEY_FORMAT_VERSION and update them only on purpose.
        assert_eq!(
            Key::of(&(1u32, "hello", vec![1.5f64])).unwrap().to_hex(),
            GOLDEN_TUPLE
        );
        assert_eq!(Key::from_material(b"abc").to_hex(), GOLDEN_RAW);
    }

    /// Computed independently from the spec above (Python `blake3` over hand-built bytes).
    const GOLDEN_TUPLE: &str = "6eeddf7d23d641e94f786ab01c31c42b4614181dec5356db2d387035b0baf8ee";
    const GOLDEN_RAW: &str = "30fc0cf25b0f6183502730ae393fed6af077d5ab905e9bf8b558b3270c2a9d54";
}
