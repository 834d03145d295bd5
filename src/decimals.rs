//! `decimal.Decimal` objects for results, built as cheaply as Python allows and shared.
//!
//! Measured on this machine (Python 3.11, ns per object): `Decimal("16.96")` ~690,
//! `Decimal(1696)` ~590, `1696 * Decimal("0.01")` ~300. So a value is built as its integer
//! coefficient times a cached `Decimal("1E-scale")`: the product is exact (same digits, same
//! exponent as `Decimal(str(value))`) as long as the coefficient has no more digits than the
//! context's precision, which is checked once per call; otherwise, or if the caller's context
//! is unusual, the constructor is used. Within one call every distinct value is built once:
//! Decimals are immutable, so equal values share an object (equal meaning same coefficient
//! *and* exponent, so that `str()` of a result is unaffected).
use crate::pyclasses;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyList;
use rust_decimal::Decimal;
use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Digits of the default context's precision: coefficients up to this many digits multiply
/// exactly.
const EXACT_DIGITS: u32 = 28;

/// `Decimal("1E-k")` for k in 0..=28, built once per interpreter.
static UNITS: PyOnceLock<Py<PyList>> = PyOnceLock::new();

fn units(py: Python<'_>) -> PyResult<&Bound<'_, PyList>> {
    UNITS
        .get_or_try_init(py, || {
            let class = pyclasses::decimal_class(py)?;
            let list = PyList::empty(py);
            for scale in 0..=EXACT_DIGITS {
                list.append(class.call1((format!("1E-{scale}"),))?)?;
            }
            Ok(list.unbind())
        })
        .map(|list| list.bind(py))
}

/// A multiply-rotate hasher for the 16-byte keys below: SipHash's DoS resistance buys nothing
/// for a per-call cache of our own values, and it showed in the profile.
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        // splitmix64's finaliser: the table indexes by the low bits, which a multiply alone
        // leaves depending only on the low bits of the input (the Decimal's flags).
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0_u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    fn write_u64(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

pub struct DecimalCache<'py> {
    class: Bound<'py, PyAny>,
    /// The cached units, when the caller's decimal context makes the product exact.
    units: Option<Bound<'py, PyList>>,
    built: HashMap<[u8; 16], Bound<'py, PyAny>, BuildHasherDefault<KeyHasher>>,
}

impl<'py> DecimalCache<'py> {
    pub fn new(py: Python<'py>) -> PyResult<Self> {
        let class = pyclasses::decimal_class(py)?.clone();
        Ok(DecimalCache {
            units: if context_is_exact_enough(py) {
                Some(units(py)?.clone())
            } else {
                None
            },
            class,
            built: HashMap::with_capacity_and_hasher(64, BuildHasherDefault::default()),
        })
    }

    pub fn get(&mut self, value: Decimal) -> PyResult<Bound<'py, PyAny>> {
        match self.built.entry(value.serialize()) {
            Entry::Occupied(entry) => Ok(entry.get().clone()),
            Entry::Vacant(entry) => {
                let object = build(&self.class, self.units.as_ref(), value)?;
                Ok(entry.insert(object).clone())
            }
        }
    }
}

fn build<'py>(
    class: &Bound<'py, PyAny>,
    units: Option<&Bound<'py, PyList>>,
    value: Decimal,
) -> PyResult<Bound<'py, PyAny>> {
    let py = class.py();
    let mantissa = value.mantissa();
    if let Some(units) = units {
        if mantissa.unsigned_abs() < 10_u128.pow(EXACT_DIGITS) && value.scale() <= EXACT_DIGITS {
            let unit = units.get_item(value.scale() as usize)?;
            return mantissa.into_pyobject(py)?.mul(unit);
        }
    }
    class.call1((value.to_string(),))
}

/// The product path is exact only with at least 28 digits of precision and an exponent range
/// that holds our values; anything else (a caller's custom context) uses the constructor.
fn context_is_exact_enough(py: Python<'_>) -> bool {
    let check = || -> PyResult<bool> {
        let context = py
            .import(intern!(py, "decimal"))?
            .call_method0(intern!(py, "getcontext"))?;
        let prec: i64 = context.getattr(intern!(py, "prec"))?.extract()?;
        let emax: i64 = context.getattr(intern!(py, "Emax"))?.extract()?;
        let emin: i64 = context.getattr(intern!(py, "Emin"))?.extract()?;
        Ok(prec >= i64::from(EXACT_DIGITS) && emax >= 40 && emin <= -40)
    };
    check().unwrap_or(false)
}
