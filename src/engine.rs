//! `aba_loyalty_core._native.Engine`: a validated configuration and its entry points.
use crate::batch::{self, Batch};
use crate::decimals::DecimalPool;
use crate::errors::{calc_err, internal_err};
use crate::gc_pause::GcPause;
use crate::guard::guarded;
use crate::output::Output;
use crate::pynode::PyNode;
use aba_loyalty_calc::error::{Domain, ErrorPath};
use aba_loyalty_calc::input::{expected, Node};
use aba_loyalty_calc::Order;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

#[pyclass(module = "aba_loyalty_core._native", name = "Engine", frozen)]
pub struct Engine {
    inner: aba_loyalty_calc::Engine,
    /// Result Decimals shared across calls (see `crate::decimals`).
    decimals: DecimalPool,
}

#[pymethods]
impl Engine {
    /// Validates `config` once; raises `ConfigError` naming the bad field.
    #[new]
    fn new(config: &Bound<'_, PyAny>) -> PyResult<Self> {
        guarded("Engine()", || {
            let inner = aba_loyalty_calc::Engine::new(&PyNode(config.clone())).map_err(calc_err)?;
            Ok(Engine {
                inner,
                decimals: DecimalPool::new(),
            })
        })
    }

    /// Evaluates one order; raises `OrderError` / `InsufficientPointsError`.
    fn evaluate<'py>(&self, order: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyDict>> {
        guarded("Engine.evaluate", || {
            let py = order.py();
            let decoded = Order::decode(&PyNode(order.clone())).map_err(calc_err)?;
            let result = self.inner.evaluate(&decoded).map_err(calc_err)?;
            let mut output = Output::new(py, &self.decimals)?;
            output
                .evaluation(&decoded, &result)
                .map_err(|err| internal_err(py, "building the result", err))
        })
    }

    /// Evaluates a list of orders. They are decoded under the GIL while a second thread
    /// computes those already decoded, then the GIL is released while the rest is computed,
    /// then results are turned into dicts (see `crate::batch`). A bad order raises
    /// its error with its index in front of the path (`[3].lines[2].qty: ...`), and no result
    /// is returned.
    fn evaluate_many<'py>(&self, orders: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyList>> {
        guarded("Engine.evaluate_many", || {
            let py = orders.py();
            let nodes = PyNode(orders.clone()).items().ok_or_else(|| {
                calc_err(Domain::Order.error(
                    ErrorPath::root().key("orders"),
                    expected("a list", &PyNode(orders.clone())),
                ))
            })?;
            let Batch {
                orders: decoded,
                results,
                decode_error,
            } = batch::decode_and_evaluate(py, &self.inner, &nodes);
            // Orders are judged in list order: an evaluation error before the first decoding
            // error wins, as a one-by-one loop would report it.
            let mut evaluations = Vec::with_capacity(results.len());
            for (index, result) in results.into_iter().enumerate() {
                match result {
                    Ok(evaluation) => evaluations.push(evaluation),
                    Err(err) => return Err(calc_err(err.within(index))),
                }
            }
            if let Some(err) = decode_error {
                return Err(calc_err(err));
            }
            let _paused = GcPause::new(py);
            let mut output = Output::new(py, &self.decimals)?;
            let list = PyList::empty(py);
            for (order, evaluation) in decoded.iter().zip(&evaluations) {
                let dict = output
                    .evaluation(order, evaluation)
                    .map_err(|err| internal_err(py, "building the result", err))?;
                list.append(dict)?;
            }
            Ok(list)
        })
    }

    /// The membership snapshot for a partner with `spend` as of `as_of` (aware UTC datetimes
    /// out); raises `OrderError` naming the bad argument.
    fn evaluate_membership<'py>(
        &self,
        partner_id: &Bound<'py, PyAny>,
        spend: &Bound<'py, PyAny>,
        as_of: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyDict>> {
        guarded("Engine.evaluate_membership", || {
            let py = partner_id.py();
            let argument = |name: &'static str, reason| {
                calc_err(Domain::Order.error(ErrorPath::root().key(name), reason))
            };
            let partner_id = PyNode(partner_id.clone())
                .int()
                .map_err(|reason| argument("partner_id", reason))?;
            let spend = PyNode(spend.clone())
                .decimal()
                .map_err(|reason| argument("spend", reason))?;
            let as_of = PyNode(as_of.clone())
                .datetime()
                .map_err(|reason| argument("as_of", reason))?;
            let membership = self
                .inner
                .evaluate_membership(partner_id, spend, as_of)
                .map_err(calc_err)?;
            Output::new(py, &self.decimals)?
                .membership(&membership)
                .map_err(|err| internal_err(py, "building the result", err))
        })
    }

    fn __repr__(&self) -> String {
        let config = self.inner.config();
        format!(
            "<aba_loyalty_core.Engine currency={} programs={} tiers={}>",
            config.currency.code,
            config.programs.len(),
            config.tiers.len()
        )
    }
}
