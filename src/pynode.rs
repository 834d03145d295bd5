//! Python objects as calculation input: [`Node`] for any Python value, decoded directly from
//! dicts, lists and scalars (no JSON round trip). Type checks go cheapest first.
use crate::pyclasses;
use aba_loyalty_calc::error::Reason;
use aba_loyalty_calc::input::{expected, Node};
use aba_loyalty_calc::{iso, numeric};
use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{
    PyBool, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple, PyTypeMethods,
};
use rust_decimal::Decimal;

/// A borrowed Python value seen as an input node.
pub struct PyNode<'py>(pub Bound<'py, PyAny>);

impl<'py> PyNode<'py> {
    fn py(&self) -> Python<'py> {
        self.0.py()
    }

    fn is_instance_of_class(&self, class: PyResult<&Bound<'py, PyAny>>) -> bool {
        class.is_ok_and(|class| self.0.is_instance(class).unwrap_or(false))
    }

    fn attr_i64(&self, name: &Bound<'py, PyString>) -> Option<i64> {
        self.0.getattr(name).ok()?.extract::<i64>().ok()
    }

    /// A `datetime.datetime` as a UTC instant (naive = UTC, aware converted).
    ///
    /// Fast path: `__reduce__()` is one C call giving the pickle state, 10 bytes (year high and
    /// low, month, day, hour, minute, second, microsecond in 3 bytes) plus the tzinfo; measured
    /// at a fraction of the eight attribute lookups of the general path (and `isoformat()`,
    /// which formats through `PyUnicode_FromFormat`, costs twice those lookups). Used for the
    /// exact `datetime` type only; subclasses and odd states take the attribute route.
    fn python_datetime(&self) -> Option<NaiveDateTime> {
        let py = self.py();
        let exact = pyclasses::datetime_class(py).is_ok_and(|class| self.0.get_type().is(class));
        if exact {
            if let Some(instant) = self.python_datetime_by_state() {
                return Some(instant);
            }
        }
        self.python_datetime_by_attributes()
    }

    fn python_datetime_by_state(&self) -> Option<NaiveDateTime> {
        let py = self.py();
        let reduced = self.0.call_method0(intern!(py, "__reduce__")).ok()?;
        let args = reduced.cast::<PyTuple>().ok()?.get_item(1).ok()?;
        let args = args.cast::<PyTuple>().ok()?;
        let state = args.get_item(0).ok()?;
        let state = state.cast::<PyBytes>().ok()?.as_bytes();
        let [year_high, year_low, month, day, hour, minute, second, us0, us1, us2] = *state else {
            return None;
        };
        let date = NaiveDate::from_ymd_opt(
            i32::from(year_high) * 256 + i32::from(year_low),
            u32::from(month),
            u32::from(day),
        )?;
        let micro = (u32::from(us0) << 16) | (u32::from(us1) << 8) | u32::from(us2);
        let local = date.and_time(NaiveTime::from_hms_micro_opt(
            u32::from(hour),
            u32::from(minute),
            u32::from(second),
            micro,
        )?);
        match args.len() {
            1 => Some(local),
            2 => {
                let tzinfo = args.get_item(1).ok()?;
                if tzinfo.is(&pyclasses::utc(py).ok()?) {
                    return Some(local);
                }
                // Any other zone: its offset for this moment, as Python computes it.
                let offset = self.0.call_method0(intern!(py, "utcoffset")).ok()?;
                if offset.is_none() {
                    return Some(local);
                }
                local.checked_sub_signed(timedelta(&PyNode(offset))?)
            }
            _ => None,
        }
    }

    fn python_datetime_by_attributes(&self) -> Option<NaiveDateTime> {
        let py = self.py();
        let date = self.python_date()?;
        let time = NaiveTime::from_hms_micro_opt(
            u32::try_from(self.attr_i64(intern!(py, "hour"))?).ok()?,
            u32::try_from(self.attr_i64(intern!(py, "minute"))?).ok()?,
            u32::try_from(self.attr_i64(intern!(py, "second"))?).ok()?,
            u32::try_from(self.attr_i64(intern!(py, "microsecond"))?).ok()?,
        )?;
        let local = date.and_time(time);
        let tzinfo = self.0.getattr(intern!(py, "tzinfo")).ok()?;
        if tzinfo.is_none() {
            return Some(local);
        }
        let offset = self.0.call_method0(intern!(py, "utcoffset")).ok()?;
        if offset.is_none() {
            return Some(local);
        }
        local.checked_sub_signed(timedelta(&PyNode(offset))?)
    }

    fn python_date(&self) -> Option<NaiveDate> {
        let py = self.py();
        NaiveDate::from_ymd_opt(
            i32::try_from(self.attr_i64(intern!(py, "year"))?).ok()?,
            u32::try_from(self.attr_i64(intern!(py, "month"))?).ok()?,
            u32::try_from(self.attr_i64(intern!(py, "day"))?).ok()?,
        )
    }

    fn is_bool(&self) -> bool {
        self.0.is_instance_of::<PyBool>()
    }
}

impl<'py> Node for PyNode<'py> {
    type Key = Bound<'py, PyAny>;

    fn key_text(key: &Self::Key) -> Option<&str> {
        key.cast::<PyString>().ok()?.to_str().ok()
    }

    fn key_int(key: &Self::Key) -> Option<i64> {
        if key.is_instance_of::<PyBool>() || !key.is_instance_of::<PyInt>() {
            return None;
        }
        key.extract::<i64>().ok()
    }

    fn key_type(key: &Self::Key) -> String {
        type_name(key)
    }

    fn type_name(&self) -> String {
        type_name(&self.0)
    }

    fn is_null(&self) -> bool {
        self.0.is_none()
    }

    fn visit_entries<E>(
        &self,
        mut visit: impl FnMut(&Self::Key, Self) -> Result<(), E>,
    ) -> Option<Result<(), E>> {
        let dict = self.0.cast::<PyDict>().ok()?;
        Some(
            dict.iter()
                .try_for_each(|(key, value)| visit(&key, PyNode(value))),
        )
    }

    fn items(&self) -> Option<Vec<Self>> {
        if let Ok(list) = self.0.cast::<PyList>() {
            return Some(list.iter().map(PyNode).collect());
        }
        let tuple = self.0.cast::<PyTuple>().ok()?;
        Some(tuple.iter().map(PyNode).collect())
    }

    fn int(&self) -> Result<i64, Reason> {
        if self.is_bool() || !self.0.is_instance_of::<PyInt>() {
            return Err(expected("an int", self));
        }
        self.0
            .extract::<i64>()
            .map_err(|_| Reason::from("out of range (must fit in 64 bits)"))
    }

    fn boolean(&self) -> Result<bool, Reason> {
        match self.0.cast::<PyBool>() {
            Ok(value) => Ok(value.is_true()),
            Err(_) => Err(expected("a bool", self)),
        }
    }

    fn text(&self) -> Result<String, Reason> {
        let text = self
            .0
            .cast::<PyString>()
            .map_err(|_| expected("a str", self))?;
        text.to_str()
            .map(str::to_owned)
            .map_err(|_| Reason::from("not valid unicode"))
    }

    fn decimal(&self) -> Result<Decimal, Reason> {
        let value = &self.0;
        if let Ok(float) = value.cast::<PyFloat>() {
            return numeric::from_f64(float.value());
        }
        if value.is_instance_of::<PyInt>() {
            if self.is_bool() {
                return Err(expected("a decimal (Decimal, int, str or float)", self));
            }
            return match value.extract::<i64>() {
                Ok(int) => numeric::from_i64(int),
                Err(_) => Err(numeric::OUT_OF_RANGE.into()),
            };
        }
        if pyclasses::is_decimal(value) {
            // str() of a Decimal is exact and cheap (C); parsing it in Rust beats
            // as_tuple()/as_integer_ratio(), which allocate Python objects per digit or part.
            let text = value
                .str()
                .map_err(|_| Reason::from("unreadable Decimal"))?;
            let text = text
                .to_str()
                .map_err(|_| Reason::from("unreadable Decimal"))?;
            return numeric::parse(text);
        }
        if let Ok(text) = value.cast::<PyString>() {
            let text = text
                .to_str()
                .map_err(|_| Reason::from("not valid unicode"))?;
            return numeric::parse(text);
        }
        Err(expected("a decimal (Decimal, int, str or float)", self))
    }

    fn datetime(&self) -> Result<NaiveDateTime, Reason> {
        if let Ok(text) = self.0.cast::<PyString>() {
            let text = text
                .to_str()
                .map_err(|_| Reason::from("not valid unicode"))?;
            return iso::parse_datetime(text);
        }
        if self.is_instance_of_class(pyclasses::datetime_class(self.py())) {
            return self
                .python_datetime()
                .ok_or_else(|| Reason::from("datetime out of range"));
        }
        Err(expected("a datetime or an ISO-8601 str", self))
    }

    fn date(&self) -> Result<NaiveDate, Reason> {
        if let Ok(text) = self.0.cast::<PyString>() {
            let text = text
                .to_str()
                .map_err(|_| Reason::from("not valid unicode"))?;
            return iso::parse_date(text);
        }
        let py = self.py();
        if self.is_instance_of_class(pyclasses::datetime_class(py)) {
            return Err(Reason::from("must be a date, not a datetime"));
        }
        if self.is_instance_of_class(pyclasses::date_class(py)) {
            return self
                .python_date()
                .ok_or_else(|| Reason::from("date out of range"));
        }
        Err(expected("a date or an ISO date str", self))
    }
}

/// A `datetime.timedelta` as a chrono duration.
fn timedelta(offset: &PyNode<'_>) -> Option<Duration> {
    let py = offset.py();
    let days = offset.attr_i64(intern!(py, "days"))?;
    let seconds = offset.attr_i64(intern!(py, "seconds"))?;
    let micros = offset.attr_i64(intern!(py, "microseconds"))?;
    Duration::try_days(days)?
        .checked_add(&Duration::seconds(seconds))?
        .checked_add(&Duration::microseconds(micros))
}

fn type_name(value: &Bound<'_, PyAny>) -> String {
    value
        .get_type()
        .name()
        .map(|name| name.to_string())
        .unwrap_or_else(|_| "object".to_owned())
}
