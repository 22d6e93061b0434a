//! The byte-level writer of the key encoding, shared by the serde serializer and the Python bindings.

/// The tags that open each encoded value (key format version 1).
///
/// Tags `0x01..=0x3f` are written for Rust values by the serde encoder; `0x40..=0x7f` are reserved
/// for the Python bindings' object walker, which documents its own. [`END`](tag::END) closes every container.
pub mod tag {
    /// Closes a sequence, tuple, map, set or struct.
    pub const END: u8 = 0x00;
    /// `()`.
    pub const UNIT: u8 = 0x01;
    /// A `bool`: one byte, 0 or 1.
    pub const BOOL: u8 = 0x02;
    /// `i8`, little-endian.
    pub const I8: u8 = 0x03;
    /// `i16`, little-endian.
    pub const I16: u8 = 0x04;
    /// `i32`, little-endian.
    pub const I32: u8 = 0x05;
    /// `i64`, little-endian.
    pub const I64: u8 = 0x06;
    /// `i128`, little-endian.
    pub const I128: u8 = 0x07;
    /// `u8`.
    pub const U8: u8 = 0x08;
    /// `u16`, little-endian.
    pub const U16: u8 = 0x09;
    /// `u32`, little-endian.
    pub const U32: u8 = 0x0a;
    /// `u64`, little-endian.
    pub const U64: u8 = 0x0b;
    /// `u128`, little-endian.
    pub const U128: u8 = 0x0c;
    /// `f32`: its bits, little-endian (every NaN written as the canonical quiet NaN).
    pub const F32: u8 = 0x0d;
    /// `f64`: its bits, little-endian (every NaN written as the canonical quiet NaN).
    pub const F64: u8 = 0x0e;
    /// `char`: its scalar value as `u32`.
    pub const CHAR: u8 = 0x0f;
    /// A UTF-8 string: `u64` length, bytes.
    pub const STR: u8 = 0x10;
    /// A byte string: `u64` length, bytes.
    pub const BYTES: u8 = 0x11;
    /// `None`.
    pub const NONE: u8 = 0x12;
    /// `Some(value)`: the value follows.
    pub const SOME: u8 = 0x13;
    /// A unit struct: its name.
    pub const UNIT_STRUCT: u8 = 0x14;
    /// A unit enum variant: enum name, variant name.
    pub const UNIT_VARIANT: u8 = 0x15;
    /// A newtype struct: name, value.
    pub const NEWTYPE_STRUCT: u8 = 0x16;
    /// A newtype variant: enum name, variant name, value.
    pub const NEWTYPE_VARIANT: u8 = 0x17;
    /// A sequence in order: elements, [`END`].
    pub const SEQ: u8 = 0x18;
    /// A tuple: elements, [`END`].
    pub const TUPLE: u8 = 0x19;
    /// A tuple struct: name, elements, [`END`].
    pub const TUPLE_STRUCT: u8 = 0x1a;
    /// A tuple variant: enum name, variant name, elements, [`END`].
    pub const TUPLE_VARIANT: u8 = 0x1b;
    /// A map: entries (key, value) sorted by their encoded bytes, [`END`].
    pub const MAP: u8 = 0x1c;
    /// A struct: name, then (field name, value) per field, [`END`].
    pub const STRUCT: u8 = 0x1d;
    /// A struct variant: enum name, variant name, (field name, value) per field, [`END`].
    pub const STRUCT_VARIANT: u8 = 0x1e;
    /// An unordered set: elements sorted by their encoded bytes, [`END`].
    pub const SET: u8 = 0x1f;
}

/// Where encoded key bytes go: a hasher, or a buffer when entries must be sorted first.
pub trait Sink {
    /// Appends bytes.
    fn put(&mut self, bytes: &[u8]);
}

impl Sink for blake3::Hasher {
    fn put(&mut self, bytes: &[u8]) {
        self.update(bytes);
    }
}

impl Sink for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

/// Writes the primitives of the key encoding into a [`Sink`].
pub struct Encoder<'a, S> {
    sink: &'a mut S,
}

impl<'a, S: Sink> Encoder<'a, S> {
    /// Writes into `sink`.
    pub fn new(sink: &'a mut S) -> Encoder<'a, S> {
        Encoder { sink }
    }

    /// A shorter-lived encoder writing into the same sink.
    pub fn reborrow(&mut self) -> Encoder<'_, S> {
        Encoder { sink: self.sink }
    }

    /// Writes one tag byte.
    pub fn tag(&mut self, tag: u8) {
        self.sink.put(&[tag]);
    }

    /// Writes a length or count as `u64` little-endian.
    pub fn len(&mut self, len: usize) {
        self.sink.put(&(len as u64).to_le_bytes());
    }

    /// Writes bytes preceded by their length (no tag).
    pub fn bytes(&mut self, bytes: &[u8]) {
        self.len(bytes.len());
        self.sink.put(bytes);
    }

    /// Writes a string preceded by its length (no tag); used for names.
    pub fn name(&mut self, name: &str) {
        self.bytes(name.as_bytes());
    }

    /// Writes raw bytes with no length: only for fixed-width fields.
    pub fn raw(&mut self, bytes: &[u8]) {
        self.sink.put(bytes);
    }

    /// Writes a tagged `f64`, with every NaN written the same way.
    pub fn f64(&mut self, v: f64) {
        let v = if v.is_nan() { f64::NAN } else { v };
        self.tag(tag::F64);
        self.raw(&v.to_bits().to_le_bytes());
    }

    /// Writes a tagged `i64`.
    pub fn i64(&mut self, v: i64) {
        self.tag(tag::I64);
        self.raw(&v.to_le_bytes());
    }

    /// Writes a tagged UTF-8 string.
    pub fn str(&mut self, v: &str) {
        self.tag(tag::STR);
        self.name(v);
    }

    /// Writes entries already encoded into separate buffers, sorted, so that their order in memory
    /// does not matter; used for maps and sets.
    pub fn sorted(&mut self, open: u8, mut entries: Vec<Vec<u8>>) {
        entries.sort_unstable();
        self.tag(open);
        for e in &entries {
            self.sink.put(e);
        }
        self.tag(tag::END);
    }
}
