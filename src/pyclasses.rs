//! Python classes the bindings use, imported once per interpreter and cached.
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyType, PyTzInfo};

static DECIMAL: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static DATETIME: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static DATE: PyOnceLock<Py<PyType>> = PyOnceLock::new();

pub fn decimal_class(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    DECIMAL
        .import(py, "decimal", "Decimal")
        .map(|class| class.as_any())
}

pub fn datetime_class(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    DATETIME
        .import(py, "datetime", "datetime")
        .map(|class| class.as_any())
}

pub fn date_class(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    DATE.import(py, "datetime", "date")
        .map(|class| class.as_any())
}

pub fn utc(py: Python<'_>) -> PyResult<Bound<'_, PyTzInfo>> {
    PyTzInfo::utc(py).map(|tz| tz.to_owned())
}

/// `isinstance(value, decimal.Decimal)`, with the exact-type test first.
pub fn is_decimal(value: &Bound<'_, PyAny>) -> bool {
    let Ok(class) = decimal_class(value.py()) else {
        return false;
    };
    let value_type = value.get_type();
    // Exact type first (the common case); then subclasses, without `__instancecheck__`.
    value_type.is(class)
        || class
            .cast::<PyType>()
            .is_ok_and(|class| value_type.is_subclass(class).unwrap_or(false))
}
