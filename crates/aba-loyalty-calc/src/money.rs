//! Rounding (docs/spec.md §1) and checked decimal arithmetic: an overflow is a typed error,
//! never a panic and never a silently wrong number.
use crate::error::{CalcError, CalcResult};
use rust_decimal::{Decimal, RoundingStrategy};

fn overflow(context: &'static str) -> CalcError {
    CalcError::Overflow {
        path: crate::error::ErrorPath::root(),
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
    /// `Some(places)` when the step is 10**-places ("1", "0.01"): rounding is then a plain
    /// round to places, without the division the general case needs.
    power_of_ten_places: Option<u32>,
}

impl MoneyRounding {
    /// `step` > 0 (validated with the config).
    pub fn new(step: Decimal) -> Self {
        let normalized = step.normalize();
        let power_of_ten_places = (normalized.mantissa() == 1).then(|| normalized.scale());
        MoneyRounding {
            step,
            power_of_ten_places,
        }
    }

    pub fn round(&self, value: Decimal) -> CalcResult<Decimal> {
        self.from_steps(self.round_to_steps(value)?)
    }

    /// `value` rounded half-up to the step, as a number of steps. Money that has been rounded
    /// once is kept as steps: allocation and the clamp are then exact integer arithmetic.
    pub fn round_to_steps(&self, value: Decimal) -> CalcResult<i128> {
        let mut steps = match self.power_of_ten_places {
            Some(places) => {
                let mut rounded =
                    value.round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero);
                rounded.rescale(places);
                if rounded.scale() != places {
                    return Err(overflow("money rounding"));
                }
                return Ok(rounded.mantissa());
            }
            None => div(value, self.step, "money rounding")?
                .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero),
        };
        // An integral value after round_dp(0): its mantissa at scale 0 is the count.
        steps.rescale(0);
        Ok(steps.mantissa())
    }

    /// A number of steps as money, with the step's number of decimal places.
    pub fn from_steps(&self, steps: i128) -> CalcResult<Decimal> {
        let mut value = match self.power_of_ten_places {
            Some(places) => {
                let value = Decimal::try_from_i128_with_scale(steps, places)
                    .map_err(|_| overflow("money"))?;
                if places == self.step.scale() {
                    return Ok(value);
                }
                value
            }
            None => {
                let count =
                    Decimal::try_from_i128_with_scale(steps, 0).map_err(|_| overflow("money"))?;
                mul(count, self.step, "money")?
            }
        };
        value.rescale(self.step.scale());
        Ok(value)
    }
}

/// Checked integer helpers for money held as steps.
pub fn add_steps(a: i128, b: i128, context: &'static str) -> CalcResult<i128> {
    a.checked_add(b).ok_or_else(|| overflow(context))
}

pub fn sub_steps(a: i128, b: i128, context: &'static str) -> CalcResult<i128> {
    a.checked_sub(b).ok_or_else(|| overflow(context))
}

pub fn mul_steps(a: i128, b: i128, context: &'static str) -> CalcResult<i128> {
    a.checked_mul(b).ok_or_else(|| overflow(context))
}

pub fn sum_steps(
    values: impl IntoIterator<Item = i128>,
    context: &'static str,
) -> CalcResult<i128> {
    values
        .into_iter()
        .try_fold(0_i128, |acc, value| add_steps(acc, value, context))
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
        let tens = MoneyRounding::new(d("10.0"));
        assert_eq!(tens.round(d("15")).unwrap().to_string(), "20.0");
        assert_eq!(tens.round(d("-14.9")).unwrap().to_string(), "-10.0");
        let nickels = MoneyRounding::new(d("0.05"));
        assert_eq!(nickels.round(d("1.025")).unwrap().to_string(), "1.05");
    }

    #[test]
    fn steps_round_trip() {
        let cents = MoneyRounding::new(d("0.01"));
        assert_eq!(cents.round_to_steps(d("1.005")).unwrap(), 101);
        assert_eq!(cents.from_steps(101).unwrap().to_string(), "1.01");
        let hundreds = MoneyRounding::new(d("100"));
        assert_eq!(hundreds.round_to_steps(d("250")).unwrap(), 3);
        assert_eq!(hundreds.from_steps(3).unwrap().to_string(), "300");
        let nickels = MoneyRounding::new(d("0.05"));
        assert_eq!(nickels.round_to_steps(d("1.024")).unwrap(), 20);
        assert_eq!(nickels.from_steps(21).unwrap().to_string(), "1.05");
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
