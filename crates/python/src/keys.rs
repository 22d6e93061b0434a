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
//! raw_key:        the engine's Key::from_material (domain b'R')
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

use miniperscache::key::{tag, Domain, Encoder, KeyHasher, Sink};
use miniperscache::Key;
#[cfg(any(Py_3_11, not(Py_LIMITED_API)))]
use pyo3::buffer::PyUntypedBuffer;
use pyo3::exceptions::PyTypeError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyComplex, PyDict, PyFloat, PyFrozenSet, PyInt, PyList,
    PyMemoryView, PySet, PyString, PyTuple, PyType,
};

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

/// The 32-byte key of raw key bytes a user's arg_hasher returned (any length).
#[pyfunction]
pub(crate) fn raw_key<'py>(py: Python<'py>, material: &[u8]) -> Bound<'py, PyBytes> {
    PyBytes::new(py, Key::from_material(material).as_bytes())
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

/// Walks values into an [`Encoder`]; one per key.
struct Walker<'a, 'py> {
    fallback: Option<&'a Bound<'py, PyAny>>,
    depth: usize,
}

impl<'a, 'py> Walker<'a, 'py> {
    fn new(fallback: Option<&'a Bound<'py, PyAny>>) -> Self {
        Walker { fallback, depth: 0 }
    }

    /// Encodes one value. Exact built-in scalars are tried first, with type-pointer comparisons,
    /// so the common arguments never reach a Python-level call.
    fn walk<S: Sink>(
        &mut self,
        enc: &mut Encoder<'_, S>,
        obj: &Bound<'py, PyAny>,
    ) -> Result<(), Fail> {
        if obj.is_none() {
            enc.tag(tag::NONE);
        } else if let Ok(b) = obj.cast_exact::<PyBool>() {
            enc.tag(tag::BOOL);
            enc.raw(&[u8::from(b.is_true())]);
        } else if obj.is_exact_instance_of::<PyInt>() {
            write_int(enc, obj)?;
        } else if let Ok(f) = obj.cast_exact::<PyFloat>() {
            enc.f64(f.value());
        } else if let Ok(s) = obj.cast_exact::<PyString>() {
            enc.tag(tag::STR);
            write_str(enc, s)?;
        } else if let Ok(b) = obj.cast_exact::<PyBytes>() {
            enc.tag(tag::BYTES);
            enc.bytes(b.as_bytes());
        } else {
            self.depth += 1;
            if self.depth > MAX_DEPTH {
                return Err(Fail::TooDeep);
            }
            self.walk_nested(enc, obj)?;
            self.depth -= 1;
        }
        Ok(())
    }

    /// Containers and everything that is not an exact built-in scalar.
    fn walk_nested<S: Sink>(
        &mut self,
        enc: &mut Encoder<'_, S>,
        obj: &Bound<'py, PyAny>,
    ) -> Result<(), Fail> {
        if let Ok(t) = obj.cast_exact::<PyTuple>() {
            self.seq(enc, tag::TUPLE, t.iter())
        } else if let Ok(l) = obj.cast_exact::<PyList>() {
            self.seq(enc, tag::SEQ, l.iter())
        } else if let Ok(d) = obj.cast_exact::<PyDict>() {
            self.dict(enc, d)
        } else if obj.is_exact_instance_of::<PySet>() {
            self.set(enc, tag::SET, obj)
        } else if obj.is_exact_instance_of::<PyFrozenSet>() {
            self.set(enc, pytag::FROZENSET, obj)
        } else if let Ok(b) = obj.cast_exact::<PyByteArray>() {
            enc.tag(pytag::BYTEARRAY);
            enc.bytes(&b.to_vec());
            Ok(())
        } else if let Ok(c) = obj.cast_exact::<PyComplex>() {
            write_complex(enc, c);
            Ok(())
        } else {
            self.walk_object(enc, obj)
        }
    }

    /// Any object that is not of an exact built-in type, in the order of the module docs' table.
    fn walk_object<S: Sink>(
        &mut self,
        enc: &mut Encoder<'_, S>,
        obj: &Bound<'py, PyAny>,
    ) -> Result<(), Fail> {
        let py = obj.py();
        let ty = obj.get_type();

        if ty.getattr_opt(intern!(py, "__cache_key__"))?.is_some() {
            let surrogate = obj.call_method0(intern!(py, "__cache_key__"))?;
            enc.tag(pytag::CACHE_KEY);
            write_type(enc, &ty)?;
            return self
                .walk(enc, &surrogate)
                .at(|| ".__cache_key__()".to_owned());
        }

        let std = StdTypes::get(py)?;
        if obj.is_instance(std.enum_.bind(py))? {
            enc.tag(pytag::ENUM);
            write_type(enc, &ty)?;
            let name = obj.getattr(intern!(py, "_name_"))?;
            if let Ok(name) = name.cast::<PyString>() {
                enc.raw(&[0]);
                write_str(enc, name)?;
            } else {
                enc.raw(&[1]);
                let value = obj.getattr(intern!(py, "_value_"))?;
                self.walk(enc, &value).at(|| ".value".to_owned())?;
            }
            return Ok(());
        }

        if let Some(np) = NumpyTypes::get(py)? {
            if obj.is_instance(np.ndarray.bind(py))? || obj.is_instance(np.generic.bind(py))? {
                return self.ndarray(enc, obj, &ty, np);
            }
        }

        if self.stdlib_value(enc, obj, &ty, std)?.is_some() {
            return Ok(());
        }

        if ty
            .getattr_opt(intern!(py, "__dataclass_fields__"))?
            .is_some()
        {
            enc.tag(pytag::DATACLASS);
            write_type(enc, &ty)?;
            for field in std.dataclass_fields.bind(py).call1((obj,))?.try_iter()? {
                let name = field?.getattr(intern!(py, "name"))?;
                let name = name.cast::<PyString>()?;
                enc.tag(tag::STR);
                write_str(enc, name)?;
                let value = obj.getattr(name)?;
                self.walk(enc, &value).at(|| format!(".{name}"))?;
            }
            enc.tag(tag::END);
            return Ok(());
        }

        if is_pydantic_model(&ty)? {
            // Every field by `getattr`, not `model_dump()`, which leaves out `exclude=True`
            // fields: two models differing only there are different arguments.
            enc.tag(pytag::PYDANTIC);
            write_type(enc, &ty)?;
            let fields = ty.getattr(intern!(py, "__pydantic_fields__"))?;
            for name in fields.cast::<PyDict>()?.keys() {
                let name = name.cast::<PyString>()?;
                enc.tag(tag::STR);
                write_str(enc, name)?;
                let value = obj.getattr(name)?;
                self.walk(enc, &value).at(|| format!(".{name}"))?;
            }
            let extra = obj
                .getattr_opt(intern!(py, "__pydantic_extra__"))?
                .unwrap_or_else(|| py.None().into_bound(py));
            self.walk(enc, &extra)
                .at(|| ".__pydantic_extra__".to_owned())?;
            enc.tag(tag::END);
            return Ok(());
        }

        if self.builtin_subclass(enc, obj, &ty)?.is_some() {
            return Ok(());
        }

        if let Some(buf) = BufferContents::read(obj)? {
            enc.tag(pytag::BUFFER);
            write_type(enc, &ty)?;
            enc.bytes(&buf.format);
            enc.len(buf.itemsize);
            enc.len(buf.shape.len());
            for dim in &buf.shape {
                enc.len(*dim);
            }
            enc.raw(&buf.digest);
            return Ok(());
        }

        if let Some(fallback) = self.fallback {
            let surrogate = fallback.call1((obj,))?;
            if !surrogate.is(py.NotImplemented()) {
                enc.tag(pytag::FALLBACK);
                write_type(enc, &ty)?;
                return self
                    .walk(enc, &surrogate)
                    .at(|| " (its fallback surrogate)".to_owned());
            }
        }

        Err(Fail::Unsupported {
            type_name: type_label(&ty),
            path: String::new(),
        })
    }

    /// `datetime`, `date`, `time`, `timedelta`, `Decimal`, `UUID` and `PurePath` values; `None`
    /// when `obj` is none of them.
    fn stdlib_value<S: Sink>(
        &mut self,
        enc: &mut Encoder<'_, S>,
        obj: &Bound<'py, PyAny>,
        ty: &Bound<'py, PyType>,
        std: &StdTypes,
    ) -> Result<Option<()>, Fail> {
        let py = obj.py();
        // A subclass (e.g. pandas' Timestamp) is marked as such, then encoded through its base
        // type's methods, which it may override to carry more (Timestamp's isoformat() has
        // nanoseconds).
        let base = |enc: &mut Encoder<'_, S>, base: &Py<PyType>| -> PyResult<()> {
            if !ty.is(base) {
                enc.tag(pytag::SUBCLASS);
                write_type(enc, ty)?;
            }
            Ok(())
        };
        // `datetime` before `date`: a datetime is a date.
        if obj.is_instance(std.datetime.bind(py))? {
            base(enc, &std.datetime)?;
            enc.tag(pytag::DATETIME);
            write_str(enc, &obj.call_method0(intern!(py, "isoformat"))?.str()?)?;
            write_fold_and_tz(enc, obj)?;
        } else if obj.is_instance(std.date.bind(py))? {
            base(enc, &std.date)?;
            enc.tag(pytag::DATE);
            write_str(enc, &obj.call_method0(intern!(py, "isoformat"))?.str()?)?;
        } else if obj.is_instance(std.time.bind(py))? {
            base(enc, &std.time)?;
            enc.tag(pytag::TIME);
            write_str(enc, &obj.call_method0(intern!(py, "isoformat"))?.str()?)?;
            write_fold_and_tz(enc, obj)?;
        } else if obj.is_instance(std.timedelta.bind(py))? {
            base(enc, &std.timedelta)?;
            enc.tag(pytag::TIMEDELTA);
            write_str(enc, &obj.str()?)?;
        } else if obj.is_instance(std.decimal.bind(py))? {
            base(enc, &std.decimal)?;
            enc.tag(pytag::DECIMAL);
            write_str(enc, &obj.str()?)?;
        } else if obj.is_instance(std.uuid.bind(py))? {
            base(enc, &std.uuid)?;
            enc.tag(pytag::UUID);
            let bytes = obj.getattr(intern!(py, "bytes"))?;
            enc.raw(bytes.cast::<PyBytes>()?.as_bytes());
        } else if obj.is_instance(std.pure_path.bind(py))? {
            enc.tag(pytag::PATH);
            write_type(enc, ty)?;
            write_str(enc, &obj.str()?)?;
        } else {
            return Ok(None);
        }
        Ok(Some(()))
    }

    /// Subclasses of the built-in types (not enums, not numpy): NamedTuples by field, the others
    /// as `SUBCLASS` · type · their base value. `None` when `obj` is not one.
    fn builtin_subclass<S: Sink>(
        &mut self,
        enc: &mut Encoder<'_, S>,
        obj: &Bound<'py, PyAny>,
        ty: &Bound<'py, PyType>,
    ) -> Result<Option<()>, Fail> {
        if let Ok(t) = obj.cast::<PyTuple>() {
            if let Some(fields) = namedtuple_fields(ty, t.len())? {
                enc.tag(pytag::NAMEDTUPLE);
                write_type(enc, ty)?;
                for (name, value) in fields.iter().zip(t.iter()) {
                    let name = name.cast::<PyString>()?;
                    enc.tag(tag::STR);
                    write_str(enc, name)?;
                    self.walk(enc, &value).at(|| format!(".{name}"))?;
                }
                enc.tag(tag::END);
                return Ok(Some(()));
            }
        }
        let is_builtin_subclass = obj.is_instance_of::<PyInt>()
            || obj.is_instance_of::<PyFloat>()
            || obj.is_instance_of::<PyString>()
            || obj.is_instance_of::<PyBytes>()
            || obj.is_instance_of::<PyTuple>()
            || obj.is_instance_of::<PyList>()
            || obj.is_instance_of::<PyDict>()
            || obj.is_instance_of::<PySet>()
            || obj.is_instance_of::<PyFrozenSet>()
            || obj.is_instance_of::<PyByteArray>()
            || obj.is_instance_of::<PyComplex>();
        if !is_builtin_subclass {
            return Ok(None);
        }
        enc.tag(pytag::SUBCLASS);
        write_type(enc, ty)?;
        if obj.is_instance_of::<PyInt>() {
            write_int(enc, obj)?;
        } else if let Ok(f) = obj.cast::<PyFloat>() {
            enc.f64(f.value());
        } else if let Ok(s) = obj.cast::<PyString>() {
            // The str's own characters (read through the C API, whatever its __str__ says).
            enc.tag(tag::STR);
            write_str(enc, s)?;
        } else if let Ok(b) = obj.cast::<PyBytes>() {
            enc.tag(tag::BYTES);
            enc.bytes(b.as_bytes());
        } else if let Ok(t) = obj.cast::<PyTuple>() {
            self.seq(enc, tag::TUPLE, t.iter())?;
        } else if let Ok(l) = obj.cast::<PyList>() {
            self.seq(enc, tag::SEQ, l.iter())?;
        } else if let Ok(d) = obj.cast::<PyDict>() {
            self.dict(enc, d)?;
        } else if obj.is_instance_of::<PySet>() {
            self.set(enc, tag::SET, obj)?;
        } else if obj.is_instance_of::<PyFrozenSet>() {
            self.set(enc, pytag::FROZENSET, obj)?;
        } else if let Ok(b) = obj.cast::<PyByteArray>() {
            enc.tag(pytag::BYTEARRAY);
            enc.bytes(&b.to_vec());
        } else if let Ok(c) = obj.cast::<PyComplex>() {
            write_complex(enc, c);
        }
        Ok(Some(()))
    }

    /// A numpy array or scalar: type, dtype, shape and contents.
    fn ndarray<S: Sink>(
        &mut self,
        enc: &mut Encoder<'_, S>,
        obj: &Bound<'py, PyAny>,
        ty: &Bound<'py, PyType>,
        np: &NumpyTypes,
    ) -> Result<(), Fail> {
        let py = obj.py();
        let dtype = obj.getattr(intern!(py, "dtype"))?;
        let shape: Vec<usize> = obj.getattr(intern!(py, "shape"))?.extract()?;
        enc.tag(pytag::NDARRAY);
        write_type(enc, ty)?;
        write_str(enc, dtype.getattr(intern!(py, "str"))?.cast::<PyString>()?)?;
        write_str(enc, &dtype.str()?)?;
        enc.len(shape.len());
        for dim in &shape {
            enc.len(*dim);
        }
        if dtype.getattr(intern!(py, "hasobject"))?.is_truthy()? {
            enc.raw(&[1]);
            let items = obj.call_method0(intern!(py, "tolist"))?;
            self.walk(enc, &items).at(|| ".tolist()".to_owned())?;
        } else {
            enc.raw(&[0]);
            let digest = ndarray_digest(obj)?;
            enc.raw(&digest);
        }
        // A masked array's buffer holds its data only: its mask and fill value matter too.
        if !ty.is(&np.ndarray) && np.is_masked(obj)? {
            for attr in [intern!(py, "mask"), intern!(py, "fill_value")] {
                let value = obj.getattr(attr)?;
                self.walk(enc, &value).at(|| format!(".{attr}"))?;
            }
        }
        Ok(())
    }

    /// Elements in order, then `END`.
    fn seq<S: Sink>(
        &mut self,
        enc: &mut Encoder<'_, S>,
        open: u8,
        items: impl Iterator<Item = Bound<'py, PyAny>>,
    ) -> Result<(), Fail> {
        enc.tag(open);
        for (i, item) in items.enumerate() {
            self.walk(enc, &item).at(|| format!("[{i}]"))?;
        }
        enc.tag(tag::END);
        Ok(())
    }

    /// Entries sorted by their encoded bytes, so insertion order never matters.
    fn dict<S: Sink>(
        &mut self,
        enc: &mut Encoder<'_, S>,
        d: &Bound<'py, PyDict>,
    ) -> Result<(), Fail> {
        // items() is a snapshot: a __cache_key__() that mutates the dict cannot upset the walk.
        let items = d.items();
        let mut entries = Vec::with_capacity(items.len());
        for item in items.iter() {
            let item = item.cast_into::<PyTuple>().map_err(PyErr::from)?;
            let (key, value) = (item.get_item(0)?, item.get_item(1)?);
            let mut buf = Vec::new();
            let mut entry = Encoder::new(&mut buf);
            self.walk(&mut entry, &key)
                .at(|| format!(" (the key {})", short_repr(&key)))?;
            self.walk(&mut entry, &value)
                .at(|| format!("[{}]", short_repr(&key)))?;
            entries.push(buf);
        }
        enc.sorted(tag::MAP, entries);
        Ok(())
    }

    /// Elements sorted by their encoded bytes.
    fn set<S: Sink>(
        &mut self,
        enc: &mut Encoder<'_, S>,
        open: u8,
        obj: &Bound<'py, PyAny>,
    ) -> Result<(), Fail> {
        let mut entries = Vec::new();
        for item in obj.try_iter()? {
            let item = item?;
            let mut buf = Vec::new();
            self.walk(&mut Encoder::new(&mut buf), &item)
                .at(|| format!(" (the element {})", short_repr(&item)))?;
            entries.push(buf);
        }
        enc.sorted(open, entries);
        Ok(())
    }
}

/// An `int` as `I64` when it fits, else as `BIGINT`.
fn write_int<S: Sink>(enc: &mut Encoder<'_, S>, obj: &Bound<'_, PyAny>) -> PyResult<()> {
    if let Ok(v) = obj.extract::<i64>() {
        enc.i64(v);
        return Ok(());
    }
    let py = obj.py();
    let int = py.get_type::<PyInt>();
    let bits: usize = int
        .call_method1(intern!(py, "bit_length"), (obj,))?
        .extract()?;
    let kwargs = PyDict::new(py);
    kwargs.set_item(intern!(py, "signed"), true)?;
    let bytes = int.call_method(
        intern!(py, "to_bytes"),
        (obj, bits / 8 + 1, intern!(py, "little")),
        Some(&kwargs),
    )?;
    enc.tag(pytag::BIGINT);
    enc.bytes(bytes.cast::<PyBytes>()?.as_bytes());
    Ok(())
}

fn write_complex<S: Sink>(enc: &mut Encoder<'_, S>, c: &Bound<'_, PyComplex>) {
    enc.tag(pytag::COMPLEX);
    for part in [c.real(), c.imag()] {
        let part = if part.is_nan() { f64::NAN } else { part };
        enc.raw(&part.to_bits().to_le_bytes());
    }
}

/// A string as a name (length, UTF-8 bytes; no tag).
fn write_str<S: Sink>(enc: &mut Encoder<'_, S>, s: &Bound<'_, PyString>) -> PyResult<()> {
    // Where the ABI allows, borrow the str's cached UTF-8 (no copy); the 3.9 stable ABI cannot.
    #[cfg(any(Py_3_10, not(Py_LIMITED_API)))]
    if let Ok(v) = s.to_str() {
        enc.bytes(v.as_bytes());
        return Ok(());
    }
    enc.bytes(utf8(s)?.as_bytes());
    Ok(())
}

/// The UTF-8 bytes of a string; lone surrogates as 'surrogatepass' bytes instead of an error.
fn utf8<'py>(s: &Bound<'py, PyString>) -> PyResult<Bound<'py, PyBytes>> {
    s.encode_utf8().or_else(|_| {
        let py = s.py();
        Ok(s.call_method1(
            intern!(py, "encode"),
            (intern!(py, "utf-8"), intern!(py, "surrogatepass")),
        )?
        .cast_into::<PyBytes>()?)
    })
}

/// A type as two names: `__module__`, `__qualname__`.
fn write_type<S: Sink>(enc: &mut Encoder<'_, S>, ty: &Bound<'_, PyType>) -> PyResult<()> {
    write_str(enc, &ty.module()?)?;
    write_str(enc, &ty.qualname()?)
}

/// `module.qualname` for messages.
fn type_label(ty: &Bound<'_, PyType>) -> String {
    match (ty.module(), ty.qualname()) {
        (Ok(m), Ok(q)) => format!("{m}.{q}"),
        _ => ty.to_string(),
    }
}

/// A value's repr for messages, cut short.
fn short_repr(obj: &Bound<'_, PyAny>) -> String {
    let repr = obj
        .repr()
        .map_or_else(|_| "?".to_owned(), |r| r.to_string_lossy().into_owned());
    match repr.char_indices().nth(40) {
        Some((cut, _)) => format!("{}...", &repr[..cut]),
        None => repr,
    }
}

/// The fold byte and tzinfo of a `datetime` or `time`.
fn write_fold_and_tz<S: Sink>(enc: &mut Encoder<'_, S>, obj: &Bound<'_, PyAny>) -> PyResult<()> {
    let py = obj.py();
    let fold: u8 = obj.getattr(intern!(py, "fold"))?.extract()?;
    enc.raw(&[fold]);
    let tz = obj.getattr(intern!(py, "tzinfo"))?;
    if tz.is_none() {
        enc.tag(tag::NONE);
    } else {
        enc.tag(pytag::TZINFO);
        write_type(enc, &tz.get_type())?;
        write_str(enc, &tz.str()?)?;
    }
    Ok(())
}

/// A NamedTuple's field names: the type's `_fields`, when it is a tuple of as many names as the
/// value has items.
fn namedtuple_fields<'py>(
    ty: &Bound<'py, PyType>,
    len: usize,
) -> PyResult<Option<Bound<'py, PyTuple>>> {
    let Some(fields) = ty.getattr_opt(intern!(ty.py(), "_fields"))? else {
        return Ok(None);
    };
    Ok(fields
        .cast_into::<PyTuple>()
        .ok()
        .filter(|f| f.len() == len && f.iter().all(|n| n.is_instance_of::<PyString>())))
}

/// Whether a type is a pydantic v2 model: `model_dump` plus the v2 field table.
fn is_pydantic_model(ty: &Bound<'_, PyType>) -> PyResult<bool> {
    let py = ty.py();
    Ok(ty.getattr_opt(intern!(py, "model_dump"))?.is_some()
        && (ty
            .getattr_opt(intern!(py, "__pydantic_fields__"))?
            .is_some()
            || ty.getattr_opt(intern!(py, "model_fields"))?.is_some()))
}

/// BLAKE3 of a numpy array's contents in C order: read in place when the array is C-contiguous
/// and the ABI allows it, else gathered by numpy's `tobytes()` (which, unlike a buffer export,
/// works for every dtype without objects, datetime64 included, and copies strided data fast).
fn ndarray_digest(obj: &Bound<'_, PyAny>) -> PyResult<[u8; 32]> {
    #[cfg(any(Py_3_11, not(Py_LIMITED_API)))]
    if let Some(contents) = BufferContents::read_contiguous(obj) {
        return Ok(contents.digest);
    }
    let bytes = obj.call_method0(intern!(obj.py(), "tobytes"))?;
    Ok(*blake3::hash(bytes.cast::<PyBytes>()?.as_bytes()).as_bytes())
}

/// What a key needs of an object exporting the buffer protocol.
struct BufferContents {
    /// The struct-module format string of one item.
    format: Vec<u8>,
    itemsize: usize,
    shape: Vec<usize>,
    /// BLAKE3 of the contents in C (row-major) order.
    digest: [u8; 32],
}

impl BufferContents {
    /// Reads `obj`'s buffer; `None` when it exports none.
    fn read(obj: &Bound<'_, PyAny>) -> PyResult<Option<BufferContents>> {
        #[cfg(any(Py_3_11, not(Py_LIMITED_API)))]
        if let Some(contents) = Self::read_contiguous(obj) {
            return Ok(Some(contents));
        }
        Self::read_via_memoryview(obj)
    }

    /// The fast path: a C-contiguous buffer is hashed where it lies, without a copy. Only built
    /// when the target ABI has the buffer API (Python 3.11's stable ABI, or a version-specific
    /// build); `None` sends every other case down the memoryview path, which gives equal keys.
    #[cfg(any(Py_3_11, not(Py_LIMITED_API)))]
    fn read_contiguous(obj: &Bound<'_, PyAny>) -> Option<BufferContents> {
        let buf = PyUntypedBuffer::get(obj).ok()?;
        if !buf.is_c_contiguous() {
            return None;
        }
        let mut hasher = blake3::Hasher::new();
        let len = buf.len_bytes();
        if len > 0 {
            // SAFETY: a C-contiguous buffer is `len_bytes()` readable bytes at `buf_ptr()`, kept
            // alive and in place until `buf` is released at the end of this function. They are
            // read while attached to the interpreter, so no Python code runs meanwhile; a native
            // thread writing into the same memory at the same moment would be a bug of that
            // thread's owner, as it is for every reader of the buffer protocol (hashlib reads
            // buffers the same way).
            let bytes = unsafe { std::slice::from_raw_parts(buf.buf_ptr().cast::<u8>(), len) };
            hasher.update(bytes);
        }
        Some(BufferContents {
            format: buf.format().to_bytes().to_vec(),
            itemsize: buf.item_size(),
            shape: buf.shape().to_vec(),
            digest: *hasher.finalize().as_bytes(),
        })
    }

    /// The portable path: `memoryview` reports the layout and gathers the contents in C order
    /// (one copy; strided, Fortran-ordered and indirect buffers all work).
    fn read_via_memoryview(obj: &Bound<'_, PyAny>) -> PyResult<Option<BufferContents>> {
        let py = obj.py();
        let view = match PyMemoryView::from(obj) {
            Ok(view) => view,
            Err(e) if e.is_instance_of::<PyTypeError>(py) => return Ok(None),
            Err(e) => return Err(e),
        };
        let format: String = view.getattr(intern!(py, "format"))?.extract()?;
        let contents = BufferContents {
            format: format.into_bytes(),
            itemsize: view.getattr(intern!(py, "itemsize"))?.extract()?,
            shape: view.getattr(intern!(py, "shape"))?.extract()?,
            digest: {
                let bytes = view.call_method0(intern!(py, "tobytes"))?;
                *blake3::hash(bytes.cast::<PyBytes>()?.as_bytes()).as_bytes()
            },
        };
        view.call_method0(intern!(py, "release"))?;
        Ok(Some(contents))
    }
}

/// The standard-library types the walker knows, imported once.
struct StdTypes {
    enum_: Py<PyType>,
    datetime: Py<PyType>,
    date: Py<PyType>,
    time: Py<PyType>,
    timedelta: Py<PyType>,
    decimal: Py<PyType>,
    uuid: Py<PyType>,
    pure_path: Py<PyType>,
    dataclass_fields: Py<PyAny>,
}

impl StdTypes {
    fn get(py: Python<'_>) -> PyResult<&'static StdTypes> {
        static TYPES: PyOnceLock<StdTypes> = PyOnceLock::new();
        TYPES.get_or_try_init(py, || {
            let ty = |module: &str, name: &str| -> PyResult<Py<PyType>> {
                Ok(py
                    .import(module)?
                    .getattr(name)?
                    .cast_into::<PyType>()?
                    .unbind())
            };
            Ok::<_, PyErr>(StdTypes {
                enum_: ty("enum", "Enum")?,
                datetime: ty("datetime", "datetime")?,
                date: ty("datetime", "date")?,
                time: ty("datetime", "time")?,
                timedelta: ty("datetime", "timedelta")?,
                decimal: ty("decimal", "Decimal")?,
                uuid: ty("uuid", "UUID")?,
                pure_path: ty("pathlib", "PurePath")?,
                dataclass_fields: py.import("dataclasses")?.getattr("fields")?.unbind(),
            })
        })
    }
}

/// numpy's array and scalar types, once numpy has been imported by someone. The walker never
/// imports numpy itself: a numpy object cannot exist before numpy is imported.
struct NumpyTypes {
    ndarray: Py<PyType>,
    generic: Py<PyType>,
    masked: PyOnceLock<Py<PyType>>,
}

impl NumpyTypes {
    fn get(py: Python<'_>) -> PyResult<Option<&'static NumpyTypes>> {
        static TYPES: PyOnceLock<NumpyTypes> = PyOnceLock::new();
        if let Some(types) = TYPES.get(py) {
            return Ok(Some(types));
        }
        let Some(numpy) = sys_module(py, "numpy")? else {
            return Ok(None);
        };
        // A half-imported numpy (we are called from inside its import) has no ndarray yet.
        let (Some(ndarray), Some(generic)) =
            (numpy.getattr_opt("ndarray")?, numpy.getattr_opt("generic")?)
        else {
            return Ok(None);
        };
        let types = NumpyTypes {
            ndarray: ndarray.cast_into::<PyType>()?.unbind(),
            generic: generic.cast_into::<PyType>()?.unbind(),
            masked: PyOnceLock::new(),
        };
        // Another thread may have won the race; either value is the same types.
        let _ = TYPES.set(py, types);
        Ok(TYPES.get(py))
    }

    /// Whether `obj` is a `numpy.ma.MaskedArray` (numpy imports `numpy.ma` lazily).
    fn is_masked(&self, obj: &Bound<'_, PyAny>) -> PyResult<bool> {
        let py = obj.py();
        if self.masked.get(py).is_none() {
            let Some(ma) = sys_module(py, "numpy.ma")? else {
                return Ok(false);
            };
            let Some(masked) = ma.getattr_opt("MaskedArray")? else {
                return Ok(false);
            };
            let _ = self.masked.set(py, masked.cast_into::<PyType>()?.unbind());
        }
        match self.masked.get(py) {
            Some(masked) => obj.is_instance(masked.bind(py)),
            None => Ok(false),
        }
    }
}

/// `sys.modules.get(name)`: a module if it is already imported, without importing it.
fn sys_module<'py>(py: Python<'py>, name: &str) -> PyResult<Option<Bound<'py, PyAny>>> {
    static MODULES: PyOnceLock<Py<PyDict>> = PyOnceLock::new();
    let modules = MODULES.get_or_try_init(py, || {
        Ok::<_, PyErr>(
            py.import("sys")?
                .getattr("modules")?
                .cast_into::<PyDict>()?
                .unbind(),
        )
    })?;
    modules.bind(py).get_item(name)
}
