//! Rounding (SPEC.md section 1) and checked decimal arithmetic: an overflow is a typed error,
//! never a panic and never a silently wrong number.
use crate::error::{CalcError, CalcResult};
use rust_decimal::{Decimal, RoundingStrategy};

fn overflow(context: &'static str) -> CalcError {
    CalcError::Overflow {
        path: String::new(),
        context,
    }
}

pub fn add(a: Decimal, b: Decimal, context: &'static str) -> CalcResult<Decimal> {
    a.checked_add(b).ok_or_else(|| overflow(context))
}

pub fn sub(a: Decimal, b: Decimal, context: &'static str) -> CalcResult<Decimal> {
    a.checked_sub(b).ok_or_else(|| overflow(context))
}

pub fn mul(a: Decimal, b: Decimal, context: &'static str) -> CalcResult<Decimal> {
    a.checked_mul(b).ok_or_else(|| overflow(context))
}

pub fn div(a: Decimal, b: Decimal, context: &'static str) -> CalcResult<Decimal> {
    a.checked_div(b).ok_or_else(|| overflow(context))
}

/// Σ of `values`, checked.
pub fn sum(
    values: impl IntoIterator<Item = Decimal>,
    context: &'static str,
) -> CalcResult<Decimal> {
    values
        .into_iter()
        .try_fold(Decimal::ZERO, |acc, value| add(acc, value, context))
}

/// Money rounding: half-up (ties away from zero) to a multiple of the currency's rounding,
/// with the rounding's number of decimal places.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MoneyRounding {
    step: Decimal,
}

impl MoneyRounding {
    /// `step` > 0 (validated with the config).
    pub fn new(step: Decimal) -> Self {
        MoneyRounding { step }
    }

    pub fn round(&self, value: Decimal) -> CalcResult<Decimal> {
        let steps = div(value, self.step, "money rounding")?
            .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero);
        let mut rounded = mul(steps, self.step, "money rounding")?;
        rounded.rescale(self.step.scale());
        Ok(rounded)
    }
}

/// Points rounded toward zero to `precision` places (points earned).
pub fn points_down(value: Decimal, precision: u32) -> Decimal {
    with_scale(
        value.round_dp_with_strategy(precision, RoundingStrategy::ToZero),
        precision,
    )
}

/// Points rounded away from zero to `precision` places (points a per_point redemption costs).
pub fn points_up(value: Decimal, precision: u32) -> Decimal {
    with_scale(
        value.round_dp_with_strategy(precision, RoundingStrategy::AwayFromZero),
        precision,
    )
}

/// Points are shown with exactly `precision` places ("18.00").
fn with_scale(mut value: Decimal, precision: u32) -> Decimal {
    value.rescale(precision);
    value
}

/// The number of decimal places a value really carries (trailing zeros do not count).
pub fn significant_scale(value: Decimal) -> u32 {
    value.normalize().scale()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap()
    }

    #[test]
    fn money_rounds_half_up_symmetrically() {
        let one = MoneyRounding::new(d("1"));
        assert_eq!(one.round(d("2.5")).unwrap(), d("3"));
        assert_eq!(one.round(d("-2.5")).unwrap(), d("-3"));
        assert_eq!(one.round(d("3000.1")).unwrap(), d("3000"));
        let cents = MoneyRounding::new(d("0.01"));
        assert_eq!(cents.round(d("1.005")).unwrap().to_string(), "1.01");
        assert_eq!(cents.round(d("7")).unwrap().to_string(), "7.00");
        let hundreds = MoneyRounding::new(d("100"));
        assert_eq!(hundreds.round(d("150")).unwrap(), d("200"));
        assert_eq!(hundreds.round(d("149.99")).unwrap(), d("100"));
        let nickels = MoneyRounding::new(d("0.05"));
        assert_eq!(nickels.round(d("1.025")).unwrap().to_string(), "1.05");
    }

    #[test]
    fn points_round_down_or_up_with_fixed_places() {
        assert_eq!(points_down(d("16.65"), 2).to_string(), "16.65");
        assert_eq!(points_down(d("18"), 2).to_string(), "18.00");
        assert_eq!(points_down(d("-4.5"), 2).to_string(), "-4.50");
        assert_eq!(points_down(d("1.239"), 2), d("1.23"));
        assert_eq!(points_down(d("-1.239"), 2), d("-1.23"));
        assert_eq!(points_up(d("1.231"), 2), d("1.24"));
        assert_eq!(points_up(d("1.5"), 0), d("2"));
    }

    #[test]
    fn overflow_is_an_error() {
        assert!(mul(Decimal::MAX, d("2"), "test").is_err());
        assert!(add(Decimal::MAX, Decimal::MAX, "test").is_err());
        assert_eq!(significant_scale(d("1.500")), 1);
    }
}
