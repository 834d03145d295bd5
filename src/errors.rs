//! The one place where Rust errors become Python exceptions.
//!
//! The classes live in `aba_loyalty_core.errors` (Python allows `ConfigError(LoyaltyError,
//! ValueError)`, which `create_exception!` cannot express); they are looked up once and cached.
use aba_loyalty_calc::{CalcError, PathItem};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyString, PyTuple, PyType};

/// The Python exception classes, by name in `aba_loyalty_core.errors`.
#[derive(Clone, Copy, Debug)]
pub enum PyExc {
    Loyalty,
    Config,
    Order,
    InsufficientPoints,
    // Raised by the ETL bindings (src/etl.rs); kept here so that the mapping stays in one place.
    Etl,
    EtlConnection,
    EtlSourceSchema,
    EtlAddonMissing,
    EtlArgument,
    EtlBusy,
    EtlNotLoaded,
}

impl PyExc {
    fn class_name(self) -> &'static str {
        match self {
            PyExc::Loyalty => "LoyaltyError",
            PyExc::Config => "ConfigError",
            PyExc::Order => "OrderError",
            PyExc::InsufficientPoints => "InsufficientPointsError",
            PyExc::Etl => "EtlError",
            PyExc::EtlConnection => "EtlConnectionError",
            PyExc::EtlSourceSchema => "SourceSchemaError",
            PyExc::EtlAddonMissing => "AddonMissingError",
            PyExc::EtlArgument => "EtlArgumentError",
            PyExc::EtlBusy => "EtlBusyError",
            PyExc::EtlNotLoaded => "NotLoadedError",
        }
    }
}

static ERRORS_MODULE: PyOnceLock<Py<PyModule>> = PyOnceLock::new();

fn class(py: Python<'_>, exc: PyExc) -> PyResult<Bound<'_, PyType>> {
    let module = ERRORS_MODULE.get_or_try_init(py, || {
        PyModule::import(py, "aba_loyalty_core.errors").map(Bound::unbind)
    })?;
    Ok(module
        .bind(py)
        .getattr(exc.class_name())?
        .cast_into::<PyType>()?)
}

/// A `PyErr` of the given class with `message`.
pub fn py_err(exc: PyExc, message: impl Into<String>) -> PyErr {
    let message = message.into();
    Python::attach(|py| match class(py, exc) {
        Ok(cls) => PyErr::from_type(cls, message),
        Err(err) => {
            PyRuntimeError::new_err(format!("{message} (exception class unavailable: {err})"))
        }
    })
}

/// Which Python class each calculation error becomes.
fn class_of(error: &CalcError) -> PyExc {
    match error {
        CalcError::Config { .. } => PyExc::Config,
        CalcError::Order { .. } => PyExc::Order,
        CalcError::InsufficientPoints { .. } => PyExc::InsufficientPoints,
        // Not the caller's input being malformed, but no result either: the base class.
        CalcError::Overflow { .. } => PyExc::Loyalty,
    }
}

/// A calculation error as the documented Python exception: `.path` (a tuple of str keys and int
/// indexes), `.reason`, and the message `"<path>: <reason>"` built from them.
pub fn calc_err(error: CalcError) -> PyErr {
    Python::attach(|py| {
        let build = || -> PyResult<PyErr> {
            let cls = class(py, class_of(&error))?;
            let items = error
                .path()
                .items()
                .iter()
                .map(|item| match item {
                    PathItem::Key(key) => Ok(PyString::new(py, key).into_any()),
                    PathItem::Index(index) => Ok(index.into_pyobject(py)?.into_any()),
                })
                .collect::<PyResult<Vec<_>>>()?;
            let kwargs = PyDict::new(py);
            kwargs.set_item("path", PyTuple::new(py, items)?)?;
            kwargs.set_item("reason", error.reason())?;
            let exception = cls.call((error.to_string(),), Some(&kwargs))?;
            Ok(PyErr::from_value(exception))
        };
        build().unwrap_or_else(|err| {
            PyRuntimeError::new_err(format!("{error} (exception class unavailable: {err})"))
        })
    })
}

/// A Python-level failure while reading input or building output (a `__str__` that raises, a
/// failed allocation) as a `LoyaltyError`, keeping the original as its cause.
pub fn internal_err(py: Python<'_>, context: &str, cause: PyErr) -> PyErr {
    let err = py_err(PyExc::Loyalty, format!("{context}: {cause}"));
    err.set_cause(py, Some(cause));
    err
}

/// The Python class of an ETL error (its message already names the side, table or stream).
pub fn etl_err(err: &aba_loyalty_etl::EtlError) -> PyErr {
    use aba_loyalty_etl::EtlError as E;
    let exc = match err {
        E::Connection { .. } => PyExc::EtlConnection,
        E::MissingTable { .. } => PyExc::EtlSourceSchema,
        E::AddonMissing { .. } => PyExc::EtlAddonMissing,
        E::InvalidArgument { .. } => PyExc::EtlArgument,
        E::Busy { .. } => PyExc::EtlBusy,
        E::NotLoaded { .. } => PyExc::EtlNotLoaded,
        _ => PyExc::Etl,
    };
    py_err(exc, err.to_string())
}
