//! Exact decimal arithmetic where a floor must match exact arithmetic (docs/spec.md §4.12 v2).
//!
//! rust_decimal rounds a result that needs more than 28 decimal places or 96 bits; here such a
//! result is an overflow error instead (never a silently different number), and the floor of a
//! quotient is corrected by its exact remainder, so a 28-digit quotient like 2.999…9 rounded
//! up to 3 can never give a different floor.
use crate::error::{CalcError, CalcResult};
use rust_decimal::Decimal;

fn overflow(context: &'static str) -> CalcError {
    CalcError::Overflow {
        path: crate::error::ErrorPath::root(),
        context,
    }
}

/// (mantissa, scale) without trailing zeros: the smallest exact integer form.
fn parts(value: Decimal) -> (i128, u32) {
    let value = value.normalize();
    (value.mantissa(), value.scale())
}

/// mantissa x 10**-scale as a Decimal, dropping only zero digits; an overflow otherwise.
fn from_parts(mut mantissa: i128, mut scale: u32, context: &'static str) -> CalcResult<Decimal> {
    loop {
        if let Ok(value) = Decimal::try_from_i128_with_scale(mantissa, scale) {
            return Ok(value);
        }
        if scale == 0 || mantissa % 10 != 0 {
            return Err(overflow(context));
        }
        mantissa /= 10;
        scale -= 1;
    }
}

/// The mantissa of `value` at a larger `scale`.
fn widen(value: (i128, u32), scale: u32, context: &'static str) -> CalcResult<i128> {
    10_i128
        .checked_pow(scale - value.1)
        .and_then(|factor| value.0.checked_mul(factor))
        .ok_or_else(|| overflow(context))
}

/// a x b, exactly.
pub fn mul(a: Decimal, b: Decimal, context: &'static str) -> CalcResult<Decimal> {
    let (a, b) = (parts(a), parts(b));
    let mantissa = a.0.checked_mul(b.0).ok_or_else(|| overflow(context))?;
    from_parts(mantissa, a.1 + b.1, context)
}

/// a + b, exactly.
pub fn add(a: Decimal, b: Decimal, context: &'static str) -> CalcResult<Decimal> {
    let (a, b) = (parts(a), parts(b));
    let scale = a.1.max(b.1);
    let sum = widen(a, scale, context)?
        .checked_add(widen(b, scale, context)?)
        .ok_or_else(|| overflow(context))?;
    from_parts(sum, scale, context)
}

/// a - b, exactly.
pub fn sub(a: Decimal, b: Decimal, context: &'static str) -> CalcResult<Decimal> {
    add(a, -b, context)
}

/// floor(x / y) for y > 0, as an integer: rust_decimal's quotient, floored, then corrected
/// until the exact remainder x - q y lies in [0, y).
pub fn floor_div(x: Decimal, y: Decimal, context: &'static str) -> CalcResult<i128> {
    debug_assert!(y > Decimal::ZERO);
    let mut quotient = x.checked_div(y).ok_or_else(|| overflow(context))?.floor();
    // The 28-digit quotient is within one unit of the exact one: a step or two at most.
    for _ in 0..4 {
        let remainder = sub(x, mul(quotient, y, context)?, context)?;
        let step = if remainder < Decimal::ZERO {
            -Decimal::ONE
        } else if remainder >= y {
            Decimal::ONE
        } else {
            let mut quotient = quotient;
            quotient.rescale(0);
            return Ok(quotient.mantissa());
        };
        quotient = quotient
            .checked_add(step)
            .ok_or_else(|| overflow(context))?;
    }
    Err(overflow(context))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap()
    }

    #[test]
    fn products_and_sums_are_exact_or_refused() {
        assert_eq!(mul(d("1.5"), d("0.25"), "t").unwrap(), d("0.375"));
        assert_eq!(mul(d("20"), d("5"), "t").unwrap(), d("100"));
        // 56 decimal places: rust_decimal would round, here it is an overflow.
        let tiny = d("0.1234567890123456789012345678");
        assert!(tiny.checked_mul(tiny).is_some());
        assert!(mul(tiny, tiny, "t").is_err());
        assert_eq!(add(d("0.1"), d("0.02"), "t").unwrap(), d("0.12"));
        assert_eq!(sub(d("1"), d("0.001"), "t").unwrap(), d("0.999"));
        assert!(add(d("999999999999"), d("0.0000000000000000000000000001"), "t").is_err());
    }

    #[test]
    fn floor_division_matches_exact_arithmetic() {
        assert_eq!(floor_div(d("7"), d("2"), "t").unwrap(), 3);
        assert_eq!(floor_div(d("6"), d("2"), "t").unwrap(), 3);
        assert_eq!(floor_div(d("-7"), d("2"), "t").unwrap(), -4);
        assert_eq!(floor_div(d("0"), d("3"), "t").unwrap(), 0);
        // 5.999…9 (28 nines) / 2 = 2.999…95 (29 digits): rust_decimal's 28 decimal places
        // round it to 3; the exact floor is 2.
        let (x, y) = (d("5.9999999999999999999999999999"), d("2"));
        assert_eq!(x.checked_div(y).unwrap().floor(), d("3"));
        assert_eq!(floor_div(x, y, "t").unwrap(), 2);
        let x = d("0.3") - d("0.0000000000000000000000000001");
        let y = d("0.1");
        assert_eq!(floor_div(x, y, "t").unwrap(), 2);
        let x = d("299999999999.9999999999999999");
        let y = d("100000000000");
        assert_eq!(floor_div(x, y, "t").unwrap(), 2);
    }
}
