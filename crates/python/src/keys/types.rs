//! The Python types the walker recognizes, imported once per interpreter, and buffer reading.

#[cfg(any(Py_3_11, not(Py_LIMITED_API)))]
use pyo3::buffer::PyUntypedBuffer;
use pyo3::exceptions::PyTypeError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyMemoryView, PyType};

/// BLAKE3 of a numpy array's contents in C order: read in place when the array is C-contiguous
/// and the ABI allows it, else gathered by numpy's `tobytes()` (which, unlike a buffer export,
/// works for every dtype without objects, datetime64 included, and copies strided data fast).
pub(super) fn ndarray_digest(obj: &Bound<'_, PyAny>) -> PyResult<[u8; 32]> {
    #[cfg(any(Py_3_11, not(Py_LIMITED_API)))]
    if let Some(contents) = BufferContents::read_contiguous(obj) {
        return Ok(contents.digest);
    }
    let bytes = obj.call_method0(intern!(obj.py(), "tobytes"))?;
    Ok(*blake3::hash(bytes.cast::<PyBytes>()?.as_bytes()).as_bytes())
}

/// What a key needs of an object exporting the buffer protocol.
pub(super) struct BufferContents {
    /// The struct-module format string of one item.
    pub(super) format: Vec<u8>,
    pub(super) itemsize: usize,
    pub(super) shape: Vec<usize>,
    /// BLAKE3 of the contents in C (row-major) order.
    pub(super) digest: [u8; 32],
}

impl BufferContents {
    /// Reads `obj`'s buffer; `None` when it exports none.
    pub(super) fn read(obj: &Bound<'_, PyAny>) -> PyResult<Option<BufferContents>> {
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
    pub(super) fn read_contiguous(obj: &Bound<'_, PyAny>) -> Option<BufferContents> {
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
    pub(super) fn read_via_memoryview(obj: &Bound<'_, PyAny>) -> PyResult<Option<BufferContents>> {
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
pub(super) struct StdTypes {
    pub(super) enum_: Py<PyType>,
    pub(super) datetime: Py<PyType>,
    pub(super) date: Py<PyType>,
    pub(super) time: Py<PyType>,
    pub(super) timedelta: Py<PyType>,
    pub(super) decimal: Py<PyType>,
    pub(super) uuid: Py<PyType>,
    pub(super) pure_path: Py<PyType>,
    pub(super) dataclass_fields: Py<PyAny>,
}

impl StdTypes {
    pub(super) fn get(py: Python<'_>) -> PyResult<&'static StdTypes> {
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
pub(super) struct NumpyTypes {
    pub(super) ndarray: Py<PyType>,
    pub(super) generic: Py<PyType>,
    pub(super) masked: PyOnceLock<Py<PyType>>,
}

impl NumpyTypes {
    pub(super) fn get(py: Python<'_>) -> PyResult<Option<&'static NumpyTypes>> {
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
    pub(super) fn is_masked(&self, obj: &Bound<'_, PyAny>) -> PyResult<bool> {
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
pub(super) fn sys_module<'py>(py: Python<'py>, name: &str) -> PyResult<Option<Bound<'py, PyAny>>> {
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
