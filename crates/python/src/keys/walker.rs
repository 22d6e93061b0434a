//! The walker: Python objects into the key encoding, as the table in `keys.rs` describes.

use miniperscache::key::{tag, Encoder, Sink};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyComplex, PyDict, PyFloat, PyFrozenSet, PyInt, PyList, PySet,
    PyString, PyTuple, PyType,
};

use super::types::*;
use super::{pytag, Fail, ResultExt, MAX_DEPTH};

/// Walks values into an [`Encoder`]; one per key.
pub(super) struct Walker<'a, 'py> {
    fallback: Option<&'a Bound<'py, PyAny>>,
    depth: usize,
}

impl<'a, 'py> Walker<'a, 'py> {
    pub(super) fn new(fallback: Option<&'a Bound<'py, PyAny>>) -> Self {
        Walker { fallback, depth: 0 }
    }

    /// Encodes one value. Exact built-in scalars are tried first, with type-pointer comparisons,
    /// so the common arguments never reach a Python-level call.
    pub(super) fn walk<S: Sink>(
        &mut self,
        enc: &mut Encoder<'_, S>,
        obj: &Bound<'py, PyAny>,
    ) -> Result<(), Fail> {
        if obj.is_none() {
            enc.tag(tag::NONE);
        } else if let Ok(b) = obj.cast_exact::<PyBool>() {
            enc.tag(tag::BOOL);
            enc.raw(&[u8::from(b.is_true())]);
        } else if obj.is_exact_instance_of::<PyInt>()
            || obj.is_exact_instance_of::<PyFloat>()
            || obj.is_exact_instance_of::<PyString>()
            || obj.is_exact_instance_of::<PyBytes>()
        {
            self.base_value(enc, obj)?;
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
        let exact_container = obj.is_exact_instance_of::<PyTuple>()
            || obj.is_exact_instance_of::<PyList>()
            || obj.is_exact_instance_of::<PyDict>()
            || obj.is_exact_instance_of::<PySet>()
            || obj.is_exact_instance_of::<PyFrozenSet>()
            || obj.is_exact_instance_of::<PyByteArray>()
            || obj.is_exact_instance_of::<PyComplex>();
        if exact_container {
            self.base_value(enc, obj)
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
                self.field(enc, name, &obj.getattr(name)?)?;
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
                self.field(enc, name, &obj.getattr(name)?)?;
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
                    self.field(enc, name.cast::<PyString>()?, &value)?;
                }
                enc.tag(tag::END);
                return Ok(Some(()));
            }
        }
        if !is_builtin(obj) {
            return Ok(None);
        }
        enc.tag(pytag::SUBCLASS);
        write_type(enc, ty)?;
        self.base_value(enc, obj)?;
        Ok(Some(()))
    }

    /// A value of a built-in type, or of a subclass of one, encoded as that built-in type (a
    /// str subclass by its own characters, whatever its `__str__` says). Exact built-ins are
    /// written this way too, so the two can never drift apart.
    fn base_value<S: Sink>(
        &mut self,
        enc: &mut Encoder<'_, S>,
        obj: &Bound<'py, PyAny>,
    ) -> Result<(), Fail> {
        if obj.is_instance_of::<PyInt>() {
            write_int(enc, obj)?;
        } else if let Ok(f) = obj.cast::<PyFloat>() {
            enc.f64(f.value());
        } else if let Ok(s) = obj.cast::<PyString>() {
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
        Ok(())
    }

    /// One named field of a dataclass, NamedTuple or pydantic model: `STR` name · value.
    fn field<S: Sink>(
        &mut self,
        enc: &mut Encoder<'_, S>,
        name: &Bound<'py, PyString>,
        value: &Bound<'py, PyAny>,
    ) -> Result<(), Fail> {
        enc.tag(tag::STR);
        write_str(enc, name)?;
        self.walk(enc, value).at(|| format!(".{name}"))
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
pub(super) fn write_int<S: Sink>(enc: &mut Encoder<'_, S>, obj: &Bound<'_, PyAny>) -> PyResult<()> {
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
pub(super) fn write_str<S: Sink>(
    enc: &mut Encoder<'_, S>,
    s: &Bound<'_, PyString>,
) -> PyResult<()> {
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
pub(super) fn utf8<'py>(s: &Bound<'py, PyString>) -> PyResult<Bound<'py, PyBytes>> {
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
pub(super) fn type_label(ty: &Bound<'_, PyType>) -> String {
    match (ty.module(), ty.qualname()) {
        (Ok(m), Ok(q)) => format!("{m}.{q}"),
        _ => ty.to_string(),
    }
}

/// A value's repr for messages, cut short.
pub(super) fn short_repr(obj: &Bound<'_, PyAny>) -> String {
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

/// Whether `obj` is an instance of a built-in type `base_value` encodes (bool aside, which no
/// class can subclass).
fn is_builtin(obj: &Bound<'_, PyAny>) -> bool {
    obj.is_instance_of::<PyInt>()
        || obj.is_instance_of::<PyFloat>()
        || obj.is_instance_of::<PyString>()
        || obj.is_instance_of::<PyBytes>()
        || obj.is_instance_of::<PyTuple>()
        || obj.is_instance_of::<PyList>()
        || obj.is_instance_of::<PyDict>()
        || obj.is_instance_of::<PySet>()
        || obj.is_instance_of::<PyFrozenSet>()
        || obj.is_instance_of::<PyByteArray>()
        || obj.is_instance_of::<PyComplex>()
}
