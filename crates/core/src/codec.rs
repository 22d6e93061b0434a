//! Codecs: how a Rust value becomes the payload of an entry (the seed's "serializers").

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{Error, Result};

/// Turns values into payload bytes and back.
///
/// [`Codec::ID`] is written into each entry's header; an entry written by another codec reads as a
/// miss, never as garbage. Implement this to plug in another format.
pub trait Codec: Send + Sync + 'static {
    /// A short, stable, ASCII name (at most 255 bytes), e.g. `"msgpack"`.
    const ID: &'static str;
    /// Encodes a value.
    ///
    /// # Errors
    /// [`Error::Codec`] when the value cannot be encoded.
    fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>>;
    /// Decodes a value.
    ///
    /// # Errors
    /// [`Error::Codec`] when the bytes do not hold a `T`.
    fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T>;
}

/// MessagePack through `rmp-serde`, structs as maps: compact, fast and self-describing, so it
/// round-trips `serde_json::Value`, untagged enums and structs that gained optional fields. The
/// default codec.
#[derive(Debug, Clone, Copy, Default)]
pub struct MsgPack;

impl Codec for MsgPack {
    const ID: &'static str = "msgpack";
    fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>> {
        rmp_serde::to_vec_named(value).map_err(|e| codec_error(Self::ID, e))
    }
    fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
        rmp_serde::from_slice(bytes).map_err(|e| codec_error(Self::ID, e))
    }
}

/// JSON through `serde_json`: readable with any tool, larger and slower than [`MsgPack`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Json;

impl Codec for Json {
    const ID: &'static str = "json";
    fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>> {
        serde_json::to_vec(value).map_err(|e| codec_error(Self::ID, e))
    }
    fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
        serde_json::from_slice(bytes).map_err(|e| codec_error(Self::ID, e))
    }
}

fn codec_error(codec: &'static str, e: impl std::error::Error + Send + Sync + 'static) -> Error {
    Error::Codec {
        codec,
        source: Box::new(e),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn round_trip<C: Codec>() {
        let v: (u32, String, Vec<f64>, Option<BTreeMap<String, i64>>) = (
            7,
            "x".into(),
            vec![1.5, -2.0],
            Some([("a".to_string(), -1)].into()),
        );
        let bytes = C::encode(&v).unwrap();
        assert_eq!(
            C::decode::<(u32, String, Vec<f64>, Option<BTreeMap<String, i64>>)>(&bytes).unwrap(),
            v
        );
        assert!(C::decode::<Vec<String>>(&bytes).is_err());
    }

    #[test]
    fn msgpack_round_trips() {
        round_trip::<MsgPack>();
        let v = serde_json::json!({"a": [1, "b", null]});
        assert_eq!(
            MsgPack::decode::<serde_json::Value>(&MsgPack::encode(&v).unwrap()).unwrap(),
            v
        );
    }

    #[test]
    fn json_round_trips() {
        round_trip::<Json>();
    }
}
