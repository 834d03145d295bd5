//! Results as Python values: dicts with interned keys, `decimal.Decimal` for money and points
//! (see [`crate::decimals`]), aware UTC `datetime`s.
use crate::decimals::{DecimalCache, DecimalPool};
use crate::pyclasses;
use aba_loyalty_calc::result::{Evaluation, SkipReason, Status};
use aba_loyalty_calc::{LineId, Membership, Order};
use chrono::{Datelike, NaiveDateTime, Timelike};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDateTime, PyDict, PyList, PyString, PyTzInfo};
use rust_decimal::Decimal;

/// Builds the Python values of one call.
pub struct Output<'a, 'py> {
    py: Python<'py>,
    decimals: DecimalCache<'a, 'py>,
    engine_name: Bound<'py, PyString>,
    utc: Option<Bound<'py, PyTzInfo>>,
}

impl<'a, 'py> Output<'a, 'py> {
    pub fn new(py: Python<'py>, pool: &'a DecimalPool) -> PyResult<Self> {
        Ok(Output {
            py,
            decimals: DecimalCache::new(py, pool)?,
            engine_name: intern!(py, "native").clone(),
            utc: None,
        })
    }

    pub fn decimal(&mut self, value: Decimal) -> PyResult<Bound<'py, PyAny>> {
        self.decimals.get(value)
    }

    pub fn datetime(&mut self, value: NaiveDateTime) -> PyResult<Bound<'py, PyAny>> {
        let utc = match &self.utc {
            Some(utc) => utc.clone(),
            None => {
                let utc = pyclasses::utc(self.py)?;
                self.utc = Some(utc.clone());
                utc
            }
        };
        let as_u8 = |v: u32| v as u8;
        Ok(PyDateTime::new(
            self.py,
            value.year(),
            as_u8(value.month()),
            as_u8(value.day()),
            as_u8(value.hour()),
            as_u8(value.minute()),
            as_u8(value.second()),
            value.nanosecond() / 1000,
            Some(&utc),
        )?
        .into_any())
    }

    fn line_id(&self, id: &LineId) -> PyResult<Bound<'py, PyAny>> {
        Ok(match id {
            LineId::Int(id) => id.into_pyobject(self.py)?.into_any(),
            LineId::Text(text) => PyString::new(self.py, text).into_any(),
        })
    }

    /// The result dict of docs/spec.md §5.
    pub fn evaluation(
        &mut self,
        order: &Order,
        result: &Evaluation,
    ) -> PyResult<Bound<'py, PyDict>> {
        let py = self.py;
        let dict = PyDict::new(py);
        dict.set_item(intern!(py, "uid"), &order.uid)?;
        let status = match result.status {
            Status::Ok => intern!(py, "ok"),
            Status::PendingMembership => intern!(py, "pending_membership"),
        };
        dict.set_item(intern!(py, "status"), status)?;
        dict.set_item(intern!(py, "engine"), &self.engine_name)?;

        let line_ids = order
            .lines
            .iter()
            .map(|line| self.line_id(&line.id))
            .collect::<PyResult<Vec<_>>>()?;

        let lines = PyList::empty(py);
        for (line, id) in result.lines.iter().zip(&line_ids) {
            let item = PyDict::new(py);
            item.set_item(intern!(py, "id"), id)?;
            item.set_item(intern!(py, "base"), self.decimal(line.base)?)?;
            item.set_item(intern!(py, "discount"), self.decimal(line.discount)?)?;
            item.set_item(intern!(py, "total"), self.decimal(line.total)?)?;
            lines.append(item)?;
        }
        dict.set_item(intern!(py, "lines"), lines)?;

        let discounts = PyList::empty(py);
        for discount in &result.discounts {
            let item = PyDict::new(py);
            item.set_item(intern!(py, "program_id"), discount.program_id)?;
            item.set_item(intern!(py, "reward_id"), discount.reward_id)?;
            item.set_item(intern!(py, "amount"), self.decimal(discount.amount)?)?;
            let shares = PyDict::new(py);
            for &(index, share) in &discount.lines {
                shares.set_item(&line_ids[index], self.decimal(share)?)?;
            }
            item.set_item(intern!(py, "lines"), shares)?;
            discounts.append(item)?;
        }
        dict.set_item(intern!(py, "discounts"), discounts)?;

        match &result.points {
            Some(points) => {
                let item = PyDict::new(py);
                item.set_item(intern!(py, "program_id"), points.program_id)?;
                item.set_item(intern!(py, "card_id"), points.card_id)?;
                item.set_item(intern!(py, "earned"), self.decimal(points.earned)?)?;
                item.set_item(intern!(py, "spent"), self.decimal(points.spent)?)?;
                item.set_item(intern!(py, "tier"), points.tier.as_deref())?;
                item.set_item(intern!(py, "multiplier"), self.decimal(points.multiplier)?)?;
                item.set_item(intern!(py, "returned"), self.decimal(points.returned)?)?;
                let redeemed = PyList::empty(py);
                for spent in &points.redeemed {
                    let entry = PyDict::new(py);
                    entry.set_item(intern!(py, "reward_id"), spent.reward_id)?;
                    entry.set_item(intern!(py, "points"), self.decimal(spent.points)?)?;
                    redeemed.append(entry)?;
                }
                item.set_item(intern!(py, "redeemed"), redeemed)?;
                dict.set_item(intern!(py, "points"), item)?;
            }
            None => dict.set_item(intern!(py, "points"), py.None())?,
        }

        let warnings = PyList::empty(py);
        for warning in &result.warnings {
            let item = PyDict::new(py);
            item.set_item(intern!(py, "code"), intern!(py, "over_discount_clamped"))?;
            item.set_item(intern!(py, "program_id"), warning.program_id)?;
            item.set_item(intern!(py, "reward_id"), warning.reward_id)?;
            item.set_item(intern!(py, "amount"), self.decimal(warning.amount)?)?;
            warnings.append(item)?;
        }
        dict.set_item(intern!(py, "warnings"), warnings)?;

        let skipped = PyList::empty(py);
        for skip in &result.skipped {
            let item = PyDict::new(py);
            item.set_item(intern!(py, "program_id"), skip.program_id)?;
            let reason = match skip.reason {
                SkipReason::Exclusive => intern!(py, "exclusive"),
                SkipReason::Rules => intern!(py, "rules"),
                SkipReason::Date => intern!(py, "date"),
            };
            item.set_item(intern!(py, "reason"), reason)?;
            skipped.append(item)?;
        }
        dict.set_item(intern!(py, "skipped"), skipped)?;

        let totals = PyDict::new(py);
        totals.set_item(intern!(py, "base"), self.decimal(result.totals.base)?)?;
        totals.set_item(
            intern!(py, "discount"),
            self.decimal(result.totals.discount)?,
        )?;
        totals.set_item(intern!(py, "total"), self.decimal(result.totals.total)?)?;
        dict.set_item(intern!(py, "totals"), totals)?;
        Ok(dict)
    }

    /// `{"partner_id", "tier", "evaluated_at", "valid_until"}`.
    pub fn membership(&mut self, membership: &Membership) -> PyResult<Bound<'py, PyDict>> {
        let py = self.py;
        let dict = PyDict::new(py);
        dict.set_item(intern!(py, "partner_id"), membership.partner_id)?;
        dict.set_item(intern!(py, "tier"), membership.tier.as_deref())?;
        dict.set_item(
            intern!(py, "evaluated_at"),
            self.datetime(membership.evaluated_at)?,
        )?;
        dict.set_item(
            intern!(py, "valid_until"),
            self.datetime(membership.valid_until)?,
        )?;
        Ok(dict)
    }
}
