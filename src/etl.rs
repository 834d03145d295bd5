//! Python bindings of the ETL (`aba-loyalty-etl`). Every call releases the GIL while it works;
//! progress goes through `log` to Python's `logging` (pyo3-log, logger `aba_loyalty_etl.*`).
//! Reports cross the boundary as JSON text, decoded by `aba_loyalty_core.etl` (decimals stay
//! exact strings there).
use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Duration;

use aba_loyalty_etl::audit::AuditOptions;
use aba_loyalty_etl::load::LoadOptions;
use aba_loyalty_etl::monitor;
use aba_loyalty_etl::sync::{SyncMethod, SyncOptions};
use aba_loyalty_etl::validate::{parse_tolerance, ValidateOptions};
use aba_loyalty_etl::{Etl, EtlError};
use pyo3::prelude::*;
use serde::Serialize;

use crate::errors::{etl_err, py_err, PyExc};

// `Etl.audit`'s signature writes the audit's default sort memory as a literal (so that Python
// sees it); a change of the default must change it too.
const _: () = assert!(aba_loyalty_etl::audit::SORT_MEMORY == 16_777_216);

/// Run `f` without the GIL; a panic becomes an `EtlError`, never a crash of the caller.
pub(crate) fn run<T: Serialize + Send>(
    py: Python<'_>,
    f: impl FnOnce() -> Result<T, EtlError> + Send,
) -> PyResult<String> {
    let outcome = py.detach(|| catch_unwind(AssertUnwindSafe(f)));
    match outcome {
        Ok(Ok(value)) => serde_json::to_string(&value)
            .map_err(|e| py_err(PyExc::Etl, format!("could not encode the ETL report: {e}"))),
        Ok(Err(err)) => Err(etl_err(&err)),
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            Err(py_err(
                PyExc::Etl,
                format!("internal error in the ETL: {what}"),
            ))
        }
    }
}

fn cadences(map: Option<BTreeMap<String, f64>>) -> PyResult<SyncOptions> {
    let mut options = SyncOptions::default();
    for (group, secs) in map.unwrap_or_default() {
        if !(secs.is_finite() && secs > 0.0) {
            return Err(py_err(
                PyExc::EtlArgument,
                format!("cadences.{group}: {secs} is not a positive number of seconds"),
            ));
        }
        options
            .cadences
            .insert(group, Duration::from_secs_f64(secs));
    }
    aba_loyalty_etl::sync::check_cadences(&options.cadences).map_err(|e| etl_err(&e))?;
    Ok(options)
}

/// Connections to an Odoo database (read-only) and an engine database.
#[pyclass(module = "aba_loyalty_core._native", name = "Etl", frozen)]
pub struct PyEtl {
    inner: Etl,
}

#[pymethods]
impl PyEtl {
    #[new]
    fn new(py: Python<'_>, source_dsn: String, target_dsn: String) -> PyResult<Self> {
        let etl = py
            .detach(|| catch_unwind(AssertUnwindSafe(|| Etl::connect(&source_dsn, &target_dsn))))
            .map_err(|_| py_err(PyExc::Etl, "internal error while connecting"))?
            .map_err(|e| etl_err(&e))?;
        Ok(PyEtl { inner: etl })
    }

    #[pyo3(signature = (streams=None, resume=true))]
    fn full_load(
        &self,
        py: Python<'_>,
        streams: Option<Vec<String>>,
        resume: bool,
    ) -> PyResult<String> {
        let options = LoadOptions { streams, resume };
        run(py, || self.inner.full_load(&options))
    }

    #[pyo3(signature = (streams=None, due_only=false, cadences=None, method="ranged", sweep_blocks=None, check_keys=None))]
    #[allow(clippy::too_many_arguments)]
    fn sync(
        &self,
        py: Python<'_>,
        streams: Option<Vec<String>>,
        due_only: bool,
        cadences: Option<BTreeMap<String, f64>>,
        method: &str,
        sweep_blocks: Option<u32>,
        check_keys: Option<u32>,
    ) -> PyResult<String> {
        let mut options = self::cadences(cadences)?;
        options.streams = streams;
        options.due_only = due_only;
        options.method = SyncMethod::parse(method).map_err(|e| etl_err(&e))?;
        for (field, value) in [("sweep_blocks", sweep_blocks), ("check_keys", check_keys)] {
            if value == Some(0) {
                return Err(py_err(PyExc::EtlArgument, format!("{field}: must be >= 1")));
            }
        }
        if let Some(blocks) = sweep_blocks {
            options.budget.sweep_blocks = blocks;
        }
        if let Some(keys) = check_keys {
            options.budget.check_keys = keys;
        }
        run(py, || self.inner.sync(&options))
    }

    #[pyo3(signature = (threshold=0.999, tolerance="0.000001", max_discrepancies=1000))]
    fn validate(
        &self,
        py: Python<'_>,
        threshold: f64,
        tolerance: &str,
        max_discrepancies: usize,
    ) -> PyResult<String> {
        let tolerance = parse_tolerance(tolerance).map_err(|e| etl_err(&e))?;
        let options = ValidateOptions {
            threshold,
            tolerance,
            max_discrepancies,
        };
        run(py, || self.inner.validate(&options))
    }

    /// Replay Odoo's POS history through the engine (docs/audit.md); `since`/`until`: ISO
    /// dates or date-times (UTC), `tolerance`: a decimal string.
    /// `points_on_tax_included`: `None` takes the basis Odoo used.
    #[pyo3(signature = (since=None, until=None, threshold=0, tolerance="0.000001", max_findings=10000, max_cards=10000, points_on_tax_included=None, sort_memory=16777216))]
    #[allow(clippy::too_many_arguments)]
    fn audit(
        &self,
        py: Python<'_>,
        since: Option<&str>,
        until: Option<&str>,
        threshold: u64,
        tolerance: &str,
        max_findings: usize,
        max_cards: usize,
        points_on_tax_included: Option<bool>,
        sort_memory: usize,
    ) -> PyResult<String> {
        let parse = |field: &str, text: Option<&str>| {
            text.map(|t| aba_loyalty_etl::audit::parse_when(field, t))
                .transpose()
                .map_err(|e| etl_err(&e))
        };
        let options = AuditOptions {
            since: parse("since", since)?,
            until: parse("until", until)?,
            threshold,
            tolerance: parse_tolerance(tolerance).map_err(|e| etl_err(&e))?,
            max_findings,
            max_cards,
            points_on_tax_included,
            sort_memory,
        };
        run(py, || self.inner.audit(&options))
    }

    #[pyo3(signature = (cadences=None))]
    fn status(&self, py: Python<'_>, cadences: Option<BTreeMap<String, f64>>) -> PyResult<String> {
        let options = self::cadences(cadences)?;
        run(py, || self.inner.status(&options))
    }

    fn check_source(&self, py: Python<'_>) -> PyResult<String> {
        run(py, || self.inner.check_source())
    }

    fn __repr__(&self) -> String {
        format!(
            "Etl(source={:?}, target={:?})",
            self.inner.source_dsn().redacted(),
            self.inner.target_dsn().redacted()
        )
    }
}

/// Status of an engine database from its DSN alone (JSON).
#[pyfunction]
#[pyo3(signature = (target_dsn, cadences=None))]
fn etl_status(
    py: Python<'_>,
    target_dsn: String,
    cadences: Option<BTreeMap<String, f64>>,
) -> PyResult<String> {
    let options = self::cadences(cadences)?;
    run(py, || monitor::status(&target_dsn, &options))
}

/// Prometheus text exposition of an engine database's ETL state.
#[pyfunction]
#[pyo3(signature = (target_dsn, cadences=None))]
fn etl_metrics(
    py: Python<'_>,
    target_dsn: String,
    cadences: Option<BTreeMap<String, f64>>,
) -> PyResult<String> {
    let options = self::cadences(cadences)?;
    let json = run(py, || {
        monitor::status(&target_dsn, &options).map(|s| monitor::prometheus(&s))
    })?;
    serde_json::from_str::<String>(&json)
        .map_err(|e| py_err(PyExc::Etl, format!("metrics encoding: {e}")))
}

/// Streams and their groups/cadences, for the Python layer's docs and CLI.
#[pyfunction]
fn etl_streams() -> Vec<(String, String, String, bool, f64)> {
    aba_loyalty_etl::streams::STREAMS
        .iter()
        .map(|s| {
            (
                s.name.to_string(),
                s.source_table.to_string(),
                s.group.name().to_string(),
                s.addon,
                s.group.default_cadence().as_secs_f64(),
            )
        })
        .collect()
}

/// Inspect a source database (JSON): streams available, addon, read-only enforced.
#[pyfunction]
fn etl_check_source(py: Python<'_>, source_dsn: String) -> PyResult<String> {
    run(py, || aba_loyalty_etl::source::check_dsn(&source_dsn))
}

/// Register the ETL's classes and functions on the native module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    // Rust `log` records to Python `logging`; another part may have installed it already.
    let _ = pyo3_log::try_init();
    m.add_class::<PyEtl>()?;
    m.add_function(wrap_pyfunction!(etl_status, m)?)?;
    m.add_function(wrap_pyfunction!(etl_metrics, m)?)?;
    m.add_function(wrap_pyfunction!(etl_streams, m)?)?;
    m.add_function(wrap_pyfunction!(etl_check_source, m)?)?;
    Ok(())
}
