//! Python bindings: the `aba_loyalty_core._native` extension module.
use pyo3::prelude::*;

mod errors;
mod etl;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    etl::register(m)?;
    Ok(())
}
