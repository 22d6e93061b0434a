//! A serde `Serializer` that writes the canonical key encoding (see the `key` module docs).

use std::fmt;

use serde::ser::{self, Serialize};

use super::encoder::{tag, Encoder, Sink};

/// Why a value could not be encoded: its `Serialize` implementation reported an error.
#[derive(Debug)]
pub struct KeyError(String);

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for KeyError {}

impl ser::Error for KeyError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        KeyError(msg.to_string())
    }
}

/// Encodes one value, in key encoding, into `enc`.
///
/// # Errors
/// When the value's `Serialize` implementation fails.
pub fn encode_value<S: Sink, T: Serialize + ?Sized>(
    enc: Encoder<'_, S>,
    value: &T,
) -> Result<(), KeyError> {
    value.serialize(Ser {
        enc,
        unordered: is_unordered_set::<T>(),
    })
}

/// Encodes a value into a fresh buffer, for the sorted containers.
fn encode_to_vec<T: Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) -> Result<(), KeyError> {
    encode_value(Encoder::new(out), value)
}

/// Whether `T` is a set whose iteration order is arbitrary, so its elements must be sorted.
///
/// Serde shows sets to a serializer as plain sequences, so the type's name is the only clue. The
/// name is only compared against known prefixes: if a future compiler spelled it differently the
/// set would be hashed in iteration order, which costs cache hits but never returns a wrong value.
fn is_unordered_set<T: ?Sized>() -> bool {
    const WRAPPERS: [&str; 4] = [
        "&",
        "alloc::boxed::Box<",
        "alloc::rc::Rc<",
        "alloc::sync::Arc<",
    ];
    const SETS: [&str; 4] = [
        "std::collections::hash::set::HashSet<",
        "hashbrown::set::HashSet<",
        "indexmap::set::IndexSet<",
        "im::hash::set::HashSet<",
    ];
    let mut name = std::any::type_name::<T>();
    'strip: loop {
        let trimmed = name.trim_start_matches("mut ");
        for w in WRAPPERS {
            if let Some(rest) = trimmed.strip_prefix(w) {
                name = rest;
                continue 'strip;
            }
        }
        name = trimmed;
        break;
    }
    SETS.iter().any(|p| name.starts_with(p))
}

struct Ser<'a, S> {
    enc: Encoder<'a, S>,
    unordered: bool,
}

impl<'a, S: Sink> Ser<'a, S> {
    fn fixed(mut self, t: u8, bytes: &[u8]) -> Result<(), KeyError> {
        self.enc.tag(t);
        self.enc.raw(bytes);
        Ok(())
    }
    fn named(mut self, t: u8, names: &[&str]) -> Encoder<'a, S> {
        self.enc.tag(t);
        for n in names {
            self.enc.name(n);
        }
        self.enc
    }
}

impl<'a, S: Sink> ser::Serializer for Ser<'a, S> {
    type Ok = ();
    type Error = KeyError;
    type SerializeSeq = SeqSer<'a, S>;
    type SerializeTuple = Compound<'a, S>;
    type SerializeTupleStruct = Compound<'a, S>;
    type SerializeTupleVariant = Compound<'a, S>;
    type SerializeMap = MapSer<'a, S>;
    type SerializeStruct = Compound<'a, S>;
    type SerializeStructVariant = Compound<'a, S>;

    fn serialize_bool(self, v: bool) -> Result<(), KeyError> {
        self.fixed(tag::BOOL, &[u8::from(v)])
    }
    fn serialize_i8(self, v: i8) -> Result<(), KeyError> {
        self.fixed(tag::I8, &v.to_le_bytes())
    }
    fn serialize_i16(self, v: i16) -> Result<(), KeyError> {
        self.fixed(tag::I16, &v.to_le_bytes())
    }
    fn serialize_i32(self, v: i32) -> Result<(), KeyError> {
        self.fixed(tag::I32, &v.to_le_bytes())
    }
    fn serialize_i64(self, v: i64) -> Result<(), KeyError> {
        self.fixed(tag::I64, &v.to_le_bytes())
    }
    fn serialize_i128(self, v: i128) -> Result<(), KeyError> {
        self.fixed(tag::I128, &v.to_le_bytes())
    }
    fn serialize_u8(self, v: u8) -> Result<(), KeyError> {
        self.fixed(tag::U8, &[v])
    }
    fn serialize_u16(self, v: u16) -> Result<(), KeyError> {
        self.fixed(tag::U16, &v.to_le_bytes())
    }
    fn serialize_u32(self, v: u32) -> Result<(), KeyError> {
        self.fixed(tag::U32, &v.to_le_bytes())
    }
    fn serialize_u64(self, v: u64) -> Result<(), KeyError> {
        self.fixed(tag::U64, &v.to_le_bytes())
    }
    fn serialize_u128(self, v: u128) -> Result<(), KeyError> {
        self.fixed(tag::U128, &v.to_le_bytes())
    }
    fn serialize_f32(self, v: f32) -> Result<(), KeyError> {
        let v = if v.is_nan() { f32::NAN } else { v };
        self.fixed(tag::F32, &v.to_bits().to_le_bytes())
    }
    fn serialize_f64(mut self, v: f64) -> Result<(), KeyError> {
        self.enc.f64(v);
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<(), KeyError> {
        self.fixed(tag::CHAR, &u32::from(v).to_le_bytes())
    }
    fn serialize_str(mut self, v: &str) -> Result<(), KeyError> {
        self.enc.str(v);
        Ok(())
    }
    fn serialize_bytes(mut self, v: &[u8]) -> Result<(), KeyError> {
        self.enc.tag(tag::BYTES);
        self.enc.bytes(v);
        Ok(())
    }
    fn serialize_none(self) -> Result<(), KeyError> {
        self.fixed(tag::NONE, &[])
    }
    fn serialize_some<T: Serialize + ?Sized>(mut self, value: &T) -> Result<(), KeyError> {
        self.enc.tag(tag::SOME);
        encode_value(self.enc, value)
    }
    fn serialize_unit(self) -> Result<(), KeyError> {
        self.fixed(tag::UNIT, &[])
    }
    fn serialize_unit_struct(self, name: &'static str) -> Result<(), KeyError> {
        self.named(tag::UNIT_STRUCT, &[name]);
        Ok(())
    }
    fn serialize_unit_variant(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), KeyError> {
        self.named(tag::UNIT_VARIANT, &[name, variant]);
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<(), KeyError> {
        encode_value(self.named(tag::NEWTYPE_STRUCT, &[name]), value)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), KeyError> {
        encode_value(self.named(tag::NEWTYPE_VARIANT, &[name, variant]), value)
    }
    fn serialize_seq(mut self, _len: Option<usize>) -> Result<SeqSer<'a, S>, KeyError> {
        if self.unordered {
            Ok(SeqSer::Set(self.enc, Vec::new()))
        } else {
            self.enc.tag(tag::SEQ);
            Ok(SeqSer::Ordered(self.enc))
        }
    }
    fn serialize_tuple(self, _len: usize) -> Result<Compound<'a, S>, KeyError> {
        Ok(Compound(self.named(tag::TUPLE, &[])))
    }
    fn serialize_tuple_struct(
        self,
        name: &'static str,
        _len: usize,
    ) -> Result<Compound<'a, S>, KeyError> {
        Ok(Compound(self.named(tag::TUPLE_STRUCT, &[name])))
    }
    fn serialize_tuple_variant(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a, S>, KeyError> {
        Ok(Compound(self.named(tag::TUPLE_VARIANT, &[name, variant])))
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<MapSer<'a, S>, KeyError> {
        Ok(MapSer {
            enc: self.enc,
            entries: Vec::new(),
            current: Vec::new(),
        })
    }
    fn serialize_struct(
        self,
        name: &'static str,
        _len: usize,
    ) -> Result<Compound<'a, S>, KeyError> {
        Ok(Compound(self.named(tag::STRUCT, &[name])))
    }
    fn serialize_struct_variant(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a, S>, KeyError> {
        Ok(Compound(self.named(tag::STRUCT_VARIANT, &[name, variant])))
    }
}

/// A sequence: written in order, or (for a set) buffered and sorted.
enum SeqSer<'a, S> {
    Ordered(Encoder<'a, S>),
    Set(Encoder<'a, S>, Vec<Vec<u8>>),
}

impl<S: Sink> ser::SerializeSeq for SeqSer<'_, S> {
    type Ok = ();
    type Error = KeyError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), KeyError> {
        match self {
            SeqSer::Ordered(enc) => encode_value(enc.reborrow(), value),
            SeqSer::Set(_, items) => {
                let mut buf = Vec::new();
                encode_to_vec(value, &mut buf)?;
                items.push(buf);
                Ok(())
            }
        }
    }
    fn end(self) -> Result<(), KeyError> {
        match self {
            SeqSer::Ordered(mut enc) => enc.tag(tag::END),
            SeqSer::Set(mut enc, items) => enc.sorted(tag::SET, items),
        }
        Ok(())
    }
}

/// Tuples, structs and variants: fields in declaration order, then [`tag::END`].
struct Compound<'a, S>(Encoder<'a, S>);

impl<S: Sink> Compound<'_, S> {
    fn field<T: Serialize + ?Sized>(
        &mut self,
        name: Option<&str>,
        value: &T,
    ) -> Result<(), KeyError> {
        if let Some(name) = name {
            self.0.name(name);
        }
        encode_value(self.0.reborrow(), value)
    }
    fn finish(mut self) -> Result<(), KeyError> {
        self.0.tag(tag::END);
        Ok(())
    }
}

macro_rules! compound_impl {
    ($trait:ident, $method:ident) => {
        impl<S: Sink> ser::$trait for Compound<'_, S> {
            type Ok = ();
            type Error = KeyError;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), KeyError> {
                self.field(None, value)
            }
            fn end(self) -> Result<(), KeyError> {
                self.finish()
            }
        }
    };
    ($trait:ident) => {
        impl<S: Sink> ser::$trait for Compound<'_, S> {
            type Ok = ();
            type Error = KeyError;
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result<(), KeyError> {
                self.field(Some(key), value)
            }
            fn end(self) -> Result<(), KeyError> {
                self.finish()
            }
        }
    };
}

compound_impl!(SerializeTuple, serialize_element);
compound_impl!(SerializeTupleStruct, serialize_field);
compound_impl!(SerializeTupleVariant, serialize_field);
compound_impl!(SerializeStruct);
compound_impl!(SerializeStructVariant);

/// A map: each entry encoded apart, then all written sorted.
struct MapSer<'a, S> {
    enc: Encoder<'a, S>,
    entries: Vec<Vec<u8>>,
    current: Vec<u8>,
}

impl<S: Sink> ser::SerializeMap for MapSer<'_, S> {
    type Ok = ();
    type Error = KeyError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), KeyError> {
        self.current.clear();
        encode_to_vec(key, &mut self.current)
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), KeyError> {
        encode_to_vec(value, &mut self.current)?;
        self.entries.push(std::mem::take(&mut self.current));
        Ok(())
    }
    fn end(mut self) -> Result<(), KeyError> {
        self.enc.sorted(tag::MAP, self.entries);
        Ok(())
    }
}
