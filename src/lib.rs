//! Python bindings: the `aba_loyalty_core._native` extension module.
mod batch;
mod decimals;
mod engine;
mod errors;
mod etl;
mod gc_pause;
mod guard;
mod output;
mod pyclasses;
mod pynode;
#[cfg(feature = "testing")]
mod testing;

use pyo3::prelude::*;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<engine::Engine>()?;
    etl::register(m)?;
    #[cfg(feature = "testing")]
    testing::register(m)?;
    Ok(())
}
