//! Panic containment: every entry point runs inside [`guarded`], so a Rust panic reaches
//! Python as a `LoyaltyError` (an `Exception`) instead of pyo3's `PanicException` (a
//! `BaseException` that would take an Odoo worker down).
use crate::errors::{py_err, PyExc};
use pyo3::PyResult;
use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};

pub fn guarded<T>(entry_point: &str, body: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(result) => result,
        Err(payload) => Err(py_err(
            PyExc::Loyalty,
            format!(
                "internal error in {entry_point}: {}",
                panic_message(&payload)
            ),
        )),
    }
}

fn panic_message(payload: &Box<dyn Any + Send>) -> &str {
    if let Some(message) = payload.downcast_ref::<&str>() {
        message
    } else if let Some(message) = payload.downcast_ref::<String>() {
        message
    } else {
        "panic"
    }
}
