//! Exposes PyO3's interpreter cfgs (`Py_LIMITED_API`, `Py_3_11`, ...) to this crate, so that the
//! zero-copy reads of `str` and buffer contents are compiled where the target ABI allows them.

fn main() {
    pyo3_build_config::use_pyo3_cfgs();
}
