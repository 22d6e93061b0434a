//! The object walker: the stable keys of Python call arguments.
//!
//! A key is the BLAKE3 digest that [`KeyHasher`] computes over a canonical encoding of the
//! arguments. Python's `hash()` is never used: it is salted per process for `str` and `bytes`, and
//! is the identity for most objects. The walker reads values instead, with the same [`Encoder`]
//! the engine uses for Rust values, so the same arguments give the same key in every process and on
//! every machine.
//!
//! # The encoding (key format version 1, domains `Python` and `PythonBatch`)
//!
//! ```text
//! hash_arguments: BLAKE3( domain · KEY_FORMAT_VERSION · (STR name · value)* · END )
//!                 domain = b'P', or b'B' for one element of a batched call (batch=True)
//! hash_values:    BLAKE3( b'P' · KEY_FORMAT_VERSION · TUPLE · value* · END
//!                                                    · (STR name · value)* · END )
//!                 keyword arguments sorted by the UTF-8 bytes of their names
//! raw_key:        BLAKE3( domain · KEY_FORMAT_VERSION · u64 length · material )
//!                 domain = b'R', or b'b' for one element of a batched call (batch=True)
//! ```
//!
//! The two layouts cannot meet: one starts with `STR` or `END`, the other with `TUPLE`.
//!
//! Notation: `name` is a `u64` little-endian length then UTF-8 bytes (lone surrogates are written
//! as 'surrogatepass' bytes, which are never valid UTF-8, so they cannot collide with a real
//! string); `type` is two names, the type's `__module__` then its `__qualname__`; `u64` is
//! little-endian; `digest` is the 32-byte BLAKE3 hash of a buffer's contents in C order. Every
//! value opens with a tag, and every container ends with `END`, so no two values encode alike.
//!
//! Values of exact built-in types, tried first (by type identity, so subclasses are not caught
//! here); most use the engine's tags ([`tag`]), the rest the Python tags `0x40..=0x7f` that the
//! engine reserves for this walker:
//!
//! | Python value | tag | encoding after the tag |
//! |---|---|---|
//! | `None` | `NONE` | |
//! | `bool` | `BOOL` | one byte, 0 or 1 |
//! | `int` in the `i64` range | `I64` | 8 bytes |
//! | any other `int` | `0x40` `BIGINT` | `u64` length · little-endian two's complement in `bit_length()//8 + 1` bytes |
//! | `float` | `F64` | its bits (every NaN as the canonical quiet NaN) |
//! | `str` | `STR` | name |
//! | `bytes` | `BYTES` | `u64` length · bytes |
//! | `tuple` | `TUPLE` | elements · `END` |
//! | `list` | `SEQ` | elements · `END` |
//! | `dict` | `MAP` | (key · value) entries sorted by their encoded bytes · `END` |
//! | `set` | `SET` | elements sorted by their encoded bytes · `END` |
//! | `frozenset` | `0x41` `FROZENSET` | elements sorted by their encoded bytes · `END` |
//! | `bytearray` | `0x42` `BYTEARRAY` | `u64` length · bytes |
//! | `complex` | `0x43` `COMPLEX` | real bits · imaginary bits (8 bytes each, NaN canonical) |
//!
//! Every other object, in the order the walker tries them (the first match wins):
//!
//! | # | value | tag | encoding after the tag |
//! |---|---|---|---|
//! | 1 | any object whose type has `__cache_key__` | `0x50` `CACHE_KEY` | type · the walked result of `obj.__cache_key__()` |
//! | 2 | `enum.Enum` members (so `IntEnum`, `StrEnum`, `Flag`) | `0x45` `ENUM` | type · `0x00` · member name as a name, or `0x01` · walked `_value_` for a nameless composite flag |
//! | 3 | `numpy.ndarray` and numpy scalars (`numpy.generic`) | `0x52` `NDARRAY` | type · `dtype.str` · `str(dtype)` · `u64` ndim · `u64` per dimension · `0x00` · digest, or `0x01` · walked `tolist()` when the dtype holds objects; for a `numpy.ma.MaskedArray`, then the walked `mask` and `fill_value` |
//! | 4 | `datetime.datetime` | `0x46` `DATETIME` | `isoformat()` · fold byte · tzinfo |
//! | 5 | `datetime.date` | `0x47` `DATE` | `isoformat()` |
//! | 6 | `datetime.time` | `0x48` `TIME` | `isoformat()` · fold byte · tzinfo |
//! | 7 | `datetime.timedelta` | `0x49` `TIMEDELTA` | `str(td)` |
//! | 8 | `decimal.Decimal` | `0x4a` `DECIMAL` | `str(d)` |
//! | 9 | `uuid.UUID` | `0x4b` `UUID` | its 16 bytes |
//! | 10 | `pathlib.PurePath` (so `Path`) | `0x4c` `PATH` | type · `str(path)` |
//! | 11 | dataclass instances | `0x4d` `DATACLASS` | type · (`STR` field name · value) per `dataclasses.fields()`, in order · `END` |
//! | 12 | pydantic v2 models | `0x4f` `PYDANTIC` | type · (`STR` field name · value) per field of `__pydantic_fields__`, in order, read with `getattr` (so `exclude=True` fields count) · the walked `__pydantic_extra__` (`NONE` without extras) · `END` |
//! | 13 | tuple subclasses with `_fields` (NamedTuples) | `0x4e` `NAMEDTUPLE` | type · (`STR` field name · value) per field · `END` |
//! | 14 | other subclasses of the exact built-in types above | `0x44` `SUBCLASS` | type · the value encoded as its base type |
//! | 15 | other objects with the buffer protocol (`memoryview`, `array.array`, ...) | `0x51` `BUFFER` | type · format as a name · `u64` itemsize · `u64` ndim · `u64` per dimension · digest |
//! | 16 | anything else, when `fallback(obj)` returns a surrogate (not `NotImplemented`) | `0x53` `FALLBACK` | type · the walked surrogate |
//!
//! A tzinfo (rows 4 and 6) is `NONE` when naive, else `0x54` `TZINFO` · type · `str(tzinfo)`. A
//! subclass of a type of rows 4 to 9 (e.g. pandas' `Timestamp`) is written as `SUBCLASS` · type,
//! then the row's encoding, which calls the subclass's own `isoformat()`/`str()` (Timestamp's
//! carries nanoseconds).
//!
//! Anything else raises `TypeError` naming the argument, the type, and the ways out. So does
//! nesting deeper than [`MAX_DEPTH`] (a container that contains itself).
//!
//! Notes: dict entries and set elements are sorted, so insertion order never matters (also for
//! `OrderedDict`). `-0.0` and `0.0` differ. A numpy array's key covers its type, dtype, shape and
//! contents, not its memory layout: a strided view hashes like a contiguous copy of it. Buffer
//! contents are hashed into a digest first, so a large array nested in a dict or set is not copied
//! into the buffer its entries are sorted in. The stable-ABI build (feature `abi3`, the default)
//! and a version-specific build read `str`s and buffers differently and give the same keys.
//!
//! Changing any of this changes every key: bump the engine's `KEY_FORMAT_VERSION` when you do.

use miniperscache::key::{tag, Domain, KeyHasher};
use miniperscache::Key;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString, PyTuple};

mod types;
mod walker;

use walker::{type_label, utf8, write_str, Walker};

/// The Python walker's tags (see the module docs for each layout).
mod pytag {
    pub(super) const BIGINT: u8 = 0x40;
    pub(super) const FROZENSET: u8 = 0x41;
    pub(super) const BYTEARRAY: u8 = 0x42;
    pub(super) const COMPLEX: u8 = 0x43;
    pub(super) const SUBCLASS: u8 = 0x44;
    pub(super) const ENUM: u8 = 0x45;
    pub(super) const DATETIME: u8 = 0x46;
    pub(super) const DATE: u8 = 0x47;
    pub(super) const TIME: u8 = 0x48;
    pub(super) const TIMEDELTA: u8 = 0x49;
    pub(super) const DECIMAL: u8 = 0x4a;
    pub(super) const UUID: u8 = 0x4b;
    pub(super) const PATH: u8 = 0x4c;
    pub(super) const DATACLASS: u8 = 0x4d;
    pub(super) const NAMEDTUPLE: u8 = 0x4e;
    pub(super) const PYDANTIC: u8 = 0x4f;
    pub(super) const CACHE_KEY: u8 = 0x50;
    pub(super) const BUFFER: u8 = 0x51;
    pub(super) const NDARRAY: u8 = 0x52;
    pub(super) const FALLBACK: u8 = 0x53;
    pub(super) const TZINFO: u8 = 0x54;
}

/// How deep values may nest before the walker gives up (a list that contains itself would
/// otherwise recurse forever). Each level takes about 1 KB of native stack, so 100 levels fit
/// even in a thread started with a small stack.
pub(crate) const MAX_DEPTH: usize = 100;

/// The 32-byte key of bound call arguments: (parameter name, value) pairs in signature order,
/// skipped ones already removed. `batch=True` keys one element of a batched call (a different key
/// domain, so it never collides with a plain call's key). `fallback(obj)` is asked for a surrogate
/// value for objects of types the walker doesn't know (it returns NotImplemented to refuse);
/// unsupported arguments raise TypeError naming the parameter, its type, and the ways out
/// (skip_args, arg_hasher, __cache_key__).
#[pyfunction]
#[pyo3(signature = (arguments, batch = false, fallback = None))]
pub(crate) fn hash_arguments<'py>(
    py: Python<'py>,
    arguments: Vec<(Bound<'py, PyString>, Bound<'py, PyAny>)>,
    batch: bool,
    fallback: Option<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyBytes>> {
    let domain = if batch {
        Domain::PythonBatch
    } else {
        Domain::Python
    };
    let mut hasher = KeyHasher::new(domain);
    let mut walker = Walker::new(fallback.as_ref());
    {
        let mut enc = hasher.encoder();
        for (name, value) in &arguments {
            enc.tag(tag::STR);
            write_str(&mut enc, name)?;
            walker
                .walk(&mut enc, value)
                .map_err(|f| f.into_err(&Arg::Named(&name.to_string_lossy()), value))?;
        }
        enc.tag(tag::END);
    }
    Ok(PyBytes::new(py, hasher.finish().as_bytes()))
}

/// The 32-byte key of positional and keyword values as given (kwargs order-insensitive); backs
/// `default_raw_arg_hasher`.
#[pyfunction]
#[pyo3(signature = (args, kwargs, fallback = None))]
pub(crate) fn hash_values<'py>(
    py: Python<'py>,
    args: &Bound<'py, PyTuple>,
    kwargs: &Bound<'py, PyDict>,
    fallback: Option<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyBytes>> {
    let mut named = Vec::with_capacity(kwargs.len());
    for (name, value) in kwargs.iter() {
        let name = name.cast_into::<PyString>().map_err(|e| {
            PyTypeError::new_err(format!(
                "keyword argument names must be str, not {}",
                type_label(&e.into_inner().get_type())
            ))
        })?;
        named.push((utf8(&name)?, name, value));
    }
    named.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));

    let mut hasher = KeyHasher::new(Domain::Python);
    let mut walker = Walker::new(fallback.as_ref());
    {
        let mut enc = hasher.encoder();
        enc.tag(tag::TUPLE);
        for (i, value) in args.iter().enumerate() {
            walker
                .walk(&mut enc, &value)
                .map_err(|f| f.into_err(&Arg::Positional(i), &value))?;
        }
        enc.tag(tag::END);
        for (utf8_name, name, value) in &named {
            enc.tag(tag::STR);
            enc.bytes(utf8_name.as_bytes());
            walker
                .walk(&mut enc, value)
                .map_err(|f| f.into_err(&Arg::Keyword(&name.to_string_lossy()), value))?;
        }
        enc.tag(tag::END);
    }
    Ok(PyBytes::new(py, hasher.finish().as_bytes()))
}

/// The 32-byte key of raw key bytes a user's arg_hasher returned (any length); `batch=True` keys
/// one element of a batched call, in a domain of its own.
#[pyfunction]
#[pyo3(signature = (material, batch = false))]
pub(crate) fn raw_key<'py>(py: Python<'py>, material: &[u8], batch: bool) -> Bound<'py, PyBytes> {
    let domain = if batch { Domain::RawBatch } else { Domain::Raw };
    PyBytes::new(py, Key::from_material_in(domain, material).as_bytes())
}

/// Why a value could not be walked.
enum Fail {
    /// Python raised (e.g. inside `__cache_key__()`); passed on unchanged.
    Py(PyErr),
    /// A value of a type the walker does not know, and no fallback surrogate for it.
    Unsupported {
        /// `module.qualname` of the value's type.
        type_name: String,
        /// Where the value sits inside the argument, e.g. `[0]['k']`; built while unwinding.
        path: String,
    },
    /// Nested deeper than [`MAX_DEPTH`].
    TooDeep,
}

impl From<PyErr> for Fail {
    fn from(e: PyErr) -> Fail {
        Fail::Py(e)
    }
}

impl<'py> From<pyo3::CastError<'_, 'py>> for Fail {
    fn from(e: pyo3::CastError<'_, 'py>) -> Fail {
        Fail::Py(e.into())
    }
}

/// The argument a failure is reported against.
enum Arg<'a> {
    Named(&'a str),
    Positional(usize),
    Keyword(&'a str),
}

impl Fail {
    /// Adds the step from a container to the failing value (computed only on failure).
    fn at(mut self, step: impl FnOnce() -> String) -> Fail {
        if let Fail::Unsupported { path, .. } = &mut self {
            path.insert_str(0, &step());
        }
        self
    }

    fn into_err(self, arg: &Arg<'_>, value: &Bound<'_, PyAny>) -> PyErr {
        let (subject, root, skip) = match arg {
            Arg::Named(n) => (format!("argument '{n}'"), (*n).to_owned(), format!("'{n}'")),
            Arg::Positional(i) => (
                format!("positional argument {i}"),
                format!("args[{i}]"),
                "...".to_owned(),
            ),
            Arg::Keyword(k) => (
                format!("keyword argument '{k}'"),
                (*k).to_owned(),
                format!("'{k}'"),
            ),
        };
        let hint = format!(
            "skip it with DefaultArgHasher(skip_args=[{skip}]), pass a custom arg_hasher, or give the type a __cache_key__() method"
        );
        let arg_type = type_label(&value.get_type());
        let message = match self {
            Fail::Py(e) => return e,
            Fail::Unsupported { type_name, path } if path.is_empty() => {
                format!("cannot hash {subject} of type {type_name} for the cache key; {hint}")
            }
            Fail::Unsupported { type_name, path } => format!(
                "cannot hash {subject} of type {arg_type} for the cache key: {root}{path} is of type {type_name}, which has no key encoding; {hint}"
            ),
            Fail::TooDeep => format!(
                "cannot hash {subject} of type {arg_type} for the cache key: it nests more than {MAX_DEPTH} levels deep (does it contain itself?); {hint}"
            ),
        };
        PyTypeError::new_err(message)
    }
}

trait ResultExt<T> {
    fn at(self, step: impl FnOnce() -> String) -> Result<T, Fail>;
}

impl<T> ResultExt<T> for Result<T, Fail> {
    fn at(self, step: impl FnOnce() -> String) -> Result<T, Fail> {
        self.map_err(|f| f.at(step))
    }
}
