//! `decimal.Decimal` objects for results, built as cheaply as Python allows and shared.
//!
//! Measured on this machine (Python 3.11, ns per object): `Decimal("16.96")` ~690,
//! `Decimal(1696)` ~590, `1696 * Decimal("0.01")` ~300. So a value is built as its integer
//! coefficient times a cached `Decimal("1E-scale")`: the product is exact (same digits, same
//! exponent as `Decimal(str(value))`) as long as the coefficient has no more digits than the
//! context's precision, which is checked once per call; otherwise, or if the caller's context
//! is unusual, the constructor is used. Built values are kept in the engine's pool and reused
//! by later calls: Decimals are immutable, so equal values can share an object (equal meaning
//! same coefficient *and* exponent, so that `str()` of a result is unaffected).
use crate::pyclasses;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyList;
use rust_decimal::Decimal;
use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Mutex, MutexGuard, TryLockError};

/// Digits of the default context's precision: coefficients up to this many digits multiply
/// exactly.
const EXACT_DIGITS: u32 = 28;

/// Distinct values remembered within one call (private table) before starting afresh.
const CACHE_LIMIT: usize = 256;
/// Distinct values an engine's pool holds before starting afresh (about 100 bytes each).
const POOL_LIMIT: usize = 4096;

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

type DecimalMap = HashMap<[u8; 16], Py<PyAny>, BuildHasherDefault<KeyHasher>>;

fn new_map(capacity: usize) -> DecimalMap {
    HashMap::with_capacity_and_hasher(capacity, BuildHasherDefault::default())
}

/// Decimals shared across the calls of one engine: the values of a till repeat from order to
/// order (prices, line amounts, zero), and a hit costs a fraction of building a Decimal.
/// Bounded: when full it starts afresh.
pub struct DecimalPool {
    map: Mutex<DecimalMap>,
}

impl DecimalPool {
    pub fn new() -> Self {
        DecimalPool {
            map: Mutex::new(new_map(0)),
        }
    }
}

/// The Decimals of one call: the engine's pool when it is free (it always is, unless a
/// finaliser run by the garbage collector re-entered the engine from another thread while
/// this call held the pool), a private table otherwise.
pub struct DecimalCache<'a, 'py> {
    py: Python<'py>,
    class: Bound<'py, PyAny>,
    /// The cached units, when the caller's decimal context makes the product exact.
    units: Option<Bound<'py, PyList>>,
    shared: Option<MutexGuard<'a, DecimalMap>>,
    local: DecimalMap,
}

impl<'a, 'py> DecimalCache<'a, 'py> {
    pub fn new(py: Python<'py>, pool: &'a DecimalPool) -> PyResult<Self> {
        let class = pyclasses::decimal_class(py)?.clone();
        // try_lock, never lock: waiting here while holding the GIL could deadlock.
        let shared = match pool.map.try_lock() {
            Ok(guard) => Some(guard),
            Err(TryLockError::Poisoned(poisoned)) => {
                // A panic while the pool was held: its content is still valid Decimals, but
                // start afresh rather than reason about it.
                let mut guard = poisoned.into_inner();
                guard.clear();
                Some(guard)
            }
            Err(TryLockError::WouldBlock) => None,
        };
        Ok(DecimalCache {
            py,
            units: if context_is_exact_enough(py) {
                Some(units(py)?.clone())
            } else {
                None
            },
            class,
            local: new_map(if shared.is_some() { 0 } else { 64 }),
            shared,
        })
    }

    pub fn get(&mut self, value: Decimal) -> PyResult<Bound<'py, PyAny>> {
        let py = self.py;
        let (map, limit) = match &mut self.shared {
            Some(guard) => (&mut **guard, POOL_LIMIT),
            None => (&mut self.local, CACHE_LIMIT),
        };
        if map.len() >= limit {
            map.clear();
        }
        match map.entry(value.serialize()) {
            Entry::Occupied(entry) => Ok(entry.get().bind(py).clone()),
            Entry::Vacant(entry) => {
                let object = build(&self.class, self.units.as_ref(), value)?;
                entry.insert(object.clone().unbind());
                Ok(object)
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
            // i64 converts in one C call; i128 goes through pyo3's slow path.
            return match i64::try_from(mantissa) {
                Ok(small) => small.into_pyobject(py)?.mul(unit),
                Err(_) => mantissa.into_pyobject(py)?.mul(unit),
            };
        }
    }
    class.call1((value.to_string(),))
}

/// The product path is exact only with at least 28 digits of precision and an exponent range
/// that holds our values; anything else (a caller's custom context) uses the constructor.
fn context_is_exact_enough(py: Python<'_>) -> bool {
    static GETCONTEXT: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let check = || -> PyResult<bool> {
        let context = GETCONTEXT.import(py, "decimal", "getcontext")?.call0()?;
        let prec: i64 = context.getattr(intern!(py, "prec"))?.extract()?;
        let emax: i64 = context.getattr(intern!(py, "Emax"))?.extract()?;
        let emin: i64 = context.getattr(intern!(py, "Emin"))?.extract()?;
        Ok(prec >= i64::from(EXACT_DIGITS) && emax >= 40 && emin <= -40)
    };
    check().unwrap_or(false)
}
