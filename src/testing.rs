//! Test tooling, compiled only with the `testing` feature (never in a release wheel): the
//! Odoo-shaped source generator of `aba-loyalty-testing`, for `aba_loyalty_core._testing`.
//! The functions are private names of the native module; `_testing.py` is their Python face.
use aba_loyalty_testing::pos::{generate_pos, PosOptions};
use aba_loyalty_testing::{activity, generate, ActivityOptions, GenerateOptions};
use pyo3::prelude::*;

use crate::etl::run;

/// Fill an empty database with an Odoo-18-shaped source (JSON report).
#[pyfunction]
#[pyo3(name = "_testing_generate")]
#[pyo3(signature = (dsn, cards, partners=None, moves=None, orders=None, with_addon=true, seed=0.42))]
#[allow(clippy::too_many_arguments)]
fn testing_generate(
    py: Python<'_>,
    dsn: String,
    cards: u32,
    partners: Option<u32>,
    moves: Option<u32>,
    orders: Option<u32>,
    with_addon: bool,
    seed: f64,
) -> PyResult<String> {
    let options = GenerateOptions {
        cards,
        partners,
        moves,
        orders,
        with_addon,
        seed,
    };
    run(py, || generate(&dsn, &options))
}

/// Odoo-like writes on a generated source (demo / soak): earnings and drifted balances (JSON).
/// Refuses any database `generate` did not create.
#[pyfunction]
#[pyo3(name = "_testing_activity")]
#[pyo3(signature = (dsn, moves, drift=0, seed=0.5))]
fn testing_activity(
    py: Python<'_>,
    dsn: String,
    moves: u32,
    drift: u32,
    seed: f64,
) -> PyResult<String> {
    let options = ActivityOptions { moves, drift, seed };
    run(py, || activity(&dsn, &options))
}

/// An Odoo-18 POS history with injected errors of every audit finding kind (JSON report with
/// what was injected).
#[pyfunction]
#[pyo3(name = "_testing_generate_pos")]
#[pyo3(signature = (dsn, orders, lines=10, cards=1000, errors_per_kind=1))]
fn testing_generate_pos(
    py: Python<'_>,
    dsn: String,
    orders: u32,
    lines: u32,
    cards: u32,
    errors_per_kind: u32,
) -> PyResult<String> {
    let options = PosOptions {
        orders,
        lines,
        cards,
        errors_per_kind,
    };
    run(py, || generate_pos(&dsn, &options))
}

/// Set as private attributes, outside the module's `__all__` (which lists the release API).
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.setattr("_testing_generate", wrap_pyfunction!(testing_generate, m)?)?;
    m.setattr("_testing_activity", wrap_pyfunction!(testing_activity, m)?)?;
    m.setattr(
        "_testing_generate_pos",
        wrap_pyfunction!(testing_generate_pos, m)?,
    )?;
    Ok(())
}
