//! `decimal.Decimal` objects for results, built as cheaply as Python allows and shared.
//!
//! Measured on this machine (Python 3.11): `Decimal(int)` costs about 2/3 of `Decimal(str)`,
//! and `Decimal(tuple)` twice as much; so whole values are built from an int and the others from
//! their text. Within one call every distinct value is built once: Decimals are immutable, so
//! equal values can share an object (equal meaning same digits *and* exponent, so that
//! `str()` of a result is unaffected).
use crate::pyclasses;
use pyo3::prelude::*;
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

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
    built: HashMap<[u8; 16], Bound<'py, PyAny>, BuildHasherDefault<KeyHasher>>,
}

impl<'py> DecimalCache<'py> {
    pub fn new(py: Python<'py>) -> PyResult<Self> {
        Ok(DecimalCache {
            class: pyclasses::decimal_class(py)?.clone(),
            built: HashMap::with_capacity_and_hasher(64, BuildHasherDefault::default()),
        })
    }

    pub fn get(&mut self, value: Decimal) -> PyResult<Bound<'py, PyAny>> {
        let key = value.serialize();
        if let Some(object) = self.built.get(&key) {
            return Ok(object.clone());
        }
        let object = self.build(value)?;
        self.built.insert(key, object.clone());
        Ok(object)
    }

    fn build(&self, value: Decimal) -> PyResult<Bound<'py, PyAny>> {
        if value.scale() == 0 {
            if let Ok(whole) = i64::try_from(value.mantissa()) {
                return self.class.call1((whole,));
            }
        }
        self.class.call1((value.to_string(),))
    }
}
