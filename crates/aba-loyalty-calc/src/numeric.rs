//! Exact decoding of decimal inputs (docs/spec.md §1, "Decimals"): text, integers and floats
//! become `Decimal` only when the value is exactly representable, |x| < 10**12, and has at most
//! 28 fractional digits. Nothing here rounds.
use crate::error::Reason;
use rust_decimal::Decimal;

/// The largest magnitude (exclusive) a decimal input may have.
const LIMIT_INTEGER_DIGITS: i64 = 12;
const MAX_SCALE: i64 = 28;

pub const OUT_OF_RANGE: &str = "out of range (|x| must be < 10**12)";

/// Checks the |x| < 10**12 bound on an already exact decimal.
pub fn check_range(value: Decimal) -> Result<Decimal, Reason> {
    let limit = Decimal::from(1_000_000_000_000_i64);
    if value.abs() < limit {
        Ok(value)
    } else {
        Err(OUT_OF_RANGE.into())
    }
}

/// An integer input.
pub fn from_i64(value: i64) -> Result<Decimal, Reason> {
    check_range(Decimal::from(value))
}

/// A float input, read through its shortest round-trip representation (Python's `repr`).
pub fn from_f64(value: f64) -> Result<Decimal, Reason> {
    if value.is_nan() {
        return Err("must be a number, not NaN".into());
    }
    if value.is_infinite() {
        return Err("must be finite".into());
    }
    if value.abs() >= 1e12 {
        return Err(OUT_OF_RANGE.into());
    }
    if let Some(exact) = short_float(value) {
        return Ok(exact);
    }
    // Rust's `{:e}` prints the shortest digits that round-trip, exactly as Python's repr does.
    parse(&format!("{value:e}"))
}

/// Fast path for the floats a till produces (45000.0, 12.5, 0.125): the decimal with the
/// fewest places, up to 3, whose nearest double is `value`. Below 10**12 a double's spacing
/// is under 10**-3, so that decimal is unique and is exactly what the shortest repr prints.
fn short_float(value: f64) -> Option<Decimal> {
    const SCALES: [f64; 4] = [1.0, 10.0, 100.0, 1000.0];
    for (places, scale) in SCALES.iter().enumerate() {
        let scaled = (value * scale).round();
        if scaled / scale == value {
            // |scaled| < 10**15 < 2**63: the conversion is exact.
            return Some(Decimal::new(scaled as i64, places as u32));
        }
    }
    None
}

/// A decimal written as text: `[sign] digits [. digits] [e|E [sign] digits]`, surrounded by
/// optional whitespace, with single underscores allowed between digits (as `decimal.Decimal`).
/// No allocation: this runs for every Decimal and str an order carries.
pub fn parse(text: &str) -> Result<Decimal, Reason> {
    let text = text.trim();
    let bytes = text.as_bytes();
    let (negative, rest) = match bytes.first() {
        Some(b'-') => (true, &bytes[1..]),
        Some(b'+') => (false, &bytes[1..]),
        _ => (false, bytes),
    };
    if rest.first().is_some_and(u8::is_ascii_alphabetic) {
        return Err(special_value(rest).unwrap_or_else(|| not_numeric(text)));
    }

    // Significant digits (leading zeros dropped) accumulate into `coefficient`; digits beyond
    // what it can hold only matter if non-zero (then the value is not representable).
    let mut coefficient: u128 = 0;
    let mut significant: u32 = 0;
    let mut dropped_nonzero = false;
    let mut trailing_dropped: i64 = 0;
    let mut exponent: i64 = 0;
    let mut seen_digit = false;
    let mut in_fraction = false;
    let mut previous_was_digit = false;
    let mut index = 0;
    while index < rest.len() {
        let byte = rest[index];
        match byte {
            b'0'..=b'9' => {
                seen_digit = true;
                let digit = u128::from(byte - b'0');
                if coefficient != 0 || digit != 0 {
                    if significant < 38 {
                        coefficient = coefficient * 10 + digit;
                        significant += 1;
                    } else {
                        dropped_nonzero |= digit != 0;
                        trailing_dropped += 1;
                    }
                }
                if in_fraction {
                    exponent -= 1;
                }
                previous_was_digit = true;
            }
            b'_' if previous_was_digit && rest.get(index + 1).is_some_and(u8::is_ascii_digit) => {
                previous_was_digit = false;
            }
            b'.' if !in_fraction => {
                in_fraction = true;
                previous_was_digit = false;
            }
            b'e' | b'E' => break,
            _ => return Err(not_numeric(text)),
        }
        index += 1;
    }
    if !seen_digit {
        return Err(not_numeric(text));
    }
    if index < rest.len() {
        exponent = exponent
            .saturating_add(parse_exponent(&rest[index + 1..]).ok_or_else(|| not_numeric(text))?);
    }
    // Digits that did not fit count as powers of ten (they were all zero, or we refuse below).
    exponent = exponent.saturating_add(trailing_dropped);
    if dropped_nonzero {
        return Err(
            if i64::from(significant).saturating_add(exponent) > LIMIT_INTEGER_DIGITS {
                OUT_OF_RANGE.into()
            } else {
                "not exactly representable (too many significant digits)".into()
            },
        );
    }
    build(negative, coefficient, significant, exponent)
}

fn not_numeric(text: &str) -> Reason {
    format!("not a decimal number: {text:?}").into()
}

/// NaN and infinities, in any case, as `decimal.Decimal` spells them.
fn special_value(rest: &[u8]) -> Option<Reason> {
    let is = |word: &[u8]| rest.eq_ignore_ascii_case(word);
    let starts =
        |word: &[u8]| rest.len() >= word.len() && rest[..word.len()].eq_ignore_ascii_case(word);
    if starts(b"nan") || starts(b"snan") {
        Some("must be a number, not NaN".into())
    } else if is(b"inf") || is(b"infinity") {
        Some("must be finite".into())
    } else {
        None
    }
}

fn parse_exponent(bytes: &[u8]) -> Option<i64> {
    let (negative, digits) = match bytes.first() {
        Some(b'-') => (true, &bytes[1..]),
        Some(b'+') => (false, &bytes[1..]),
        _ => (false, bytes),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    // Saturate: any exponent this large is out of range or zero anyway.
    let value = digits.iter().fold(0_i64, |acc, digit| {
        acc.saturating_mul(10)
            .saturating_add(i64::from(digit - b'0'))
    });
    Some(if negative { -value } else { value })
}

/// coefficient x 10**exponent (`significant` digits), exactly, or the reason it cannot be.
fn build(
    negative: bool,
    mut coefficient: u128,
    significant: u32,
    mut exponent: i64,
) -> Result<Decimal, Reason> {
    if coefficient == 0 {
        return Ok(Decimal::ZERO);
    }
    let integer_digits = i64::from(significant).saturating_add(exponent);
    if integer_digits > LIMIT_INTEGER_DIGITS {
        return Err(OUT_OF_RANGE.into());
    }
    // Trailing zeros of the fraction carry no value; drop them before judging the scale.
    while exponent < 0 && coefficient.is_multiple_of(10) {
        coefficient /= 10;
        exponent += 1;
    }
    if exponent < -MAX_SCALE {
        return Err("more than 28 decimal places".into());
    }
    let mut scale = 0_u32;
    if exponent > 0 {
        // integer_digits <= 12, so this multiplies at most to 10**12.
        coefficient *= 10_u128.pow(exponent as u32);
    } else {
        scale = (-exponent) as u32;
    }
    let mantissa = i128::try_from(coefficient)
        .map_err(|_| Reason::from("not exactly representable (too many significant digits)"))?;
    Decimal::try_from_i128_with_scale(if negative { -mantissa } else { mantissa }, scale)
        .map_err(|_| Reason::from("not exactly representable (too many significant digits)"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap()
    }

    #[test]
    fn parses_plain_and_scientific_text() {
        assert_eq!(parse("12.50").unwrap(), d("12.5"));
        assert_eq!(parse(" -0.001 ").unwrap(), d("-0.001"));
        assert_eq!(parse("1E+3").unwrap(), d("1000"));
        assert_eq!(parse("1.5e-7").unwrap(), d("0.00000015"));
        assert_eq!(parse("1_000").unwrap(), d("1000"));
        assert_eq!(parse("+.5").unwrap(), d("0.5"));
        assert_eq!(parse("5.").unwrap(), d("5"));
        assert_eq!(parse("-0").unwrap(), Decimal::ZERO);
        assert_eq!(parse("0E+1000000").unwrap(), Decimal::ZERO);
    }

    #[test]
    fn keeps_the_given_scale() {
        assert_eq!(parse("0.010").unwrap().scale(), 2);
        assert_eq!(parse("1.50").unwrap().to_string(), "1.5");
    }

    #[test]
    fn refuses_non_numbers_and_out_of_range() {
        for bad in [
            "", "abc", "1..2", "1e", "--1", "NaN", "-inf", "Infinity", "1_", "_1", "1 2",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        assert_eq!(parse("1e12").unwrap_err(), OUT_OF_RANGE);
        assert_eq!(parse("999999999999.9").unwrap(), d("999999999999.9"));
        assert!(parse("1E+999999999999999999999").is_err());
        // Found by the fuzzer: digits beyond the coefficient and a saturated exponent.
        let long = format!("{}E{}", "9".repeat(60), "9".repeat(40));
        assert_eq!(parse(&long).unwrap_err(), OUT_OF_RANGE);
        assert!(parse("1e-29").is_err());
        assert!(parse("0.1234567890123456789012345678").is_ok());
        assert!(parse("12345678901.12345678901234567890123456789").is_err());
        assert_eq!(
            parse("100000000000.000000000000000000000000000000000").unwrap(),
            d("100000000000")
        );
        assert!(parse("sNaN").is_err() && parse("-nan123").is_err() && parse("infx").is_err());
    }

    #[test]
    fn floats_read_as_their_repr() {
        assert_eq!(from_f64(0.1).unwrap(), d("0.1"));
        assert_eq!(from_f64(1.1 * 3.0).unwrap(), d("3.3000000000000003"));
        assert_eq!(from_f64(1e-7).unwrap(), d("0.0000001"));
        assert!(from_f64(f64::NAN).is_err());
        assert!(from_f64(f64::INFINITY).is_err());
        assert!(from_f64(1e12).is_err());
        assert_eq!(from_f64(-2.5).unwrap(), d("-2.5"));
        assert_eq!(from_f64(45000.0).unwrap(), d("45000"));
        assert_eq!(from_f64(0.125).unwrap(), d("0.125"));
        assert_eq!(from_f64(0.1 + 0.2).unwrap(), d("0.30000000000000004"));
        assert_eq!(from_f64(999999999999.999).unwrap(), d("999999999999.999"));
        assert_eq!(from_f64(1234.5678).unwrap(), d("1234.5678"));
    }

    #[test]
    fn float_fast_path_agrees_with_the_shortest_repr() {
        // A deterministic spread of till-like and awkward floats.
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..200_000 {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            let cents = (state >> 24) % 100_000_000_000_000;
            let places = (state >> 8) % 6;
            let value = cents as f64 / 10f64.powi(places as i32);
            let value = if state & 1 == 1 { -value } else { value };
            if value.abs() >= 1e12 {
                continue;
            }
            let slow = parse(&format!("{value:e}")).unwrap();
            assert_eq!(from_f64(value).unwrap(), slow, "{value:e}");
        }
    }

    #[test]
    fn integers_are_range_checked() {
        assert_eq!(from_i64(45_000).unwrap(), d("45000"));
        assert!(from_i64(1_000_000_000_000).is_err());
    }
}
