//! Rewards (docs/spec.md §4.4-4.5): which lines a reward covers and how much it gives,
//! always from base amounts (no compounding).
use crate::config::{Applicability, Reward, RewardMode};
use crate::error::CalcResult;
use crate::money::{self, MoneyRounding};
use crate::order::Line;
use crate::rules::matching_lines;
use rust_decimal::Decimal;

/// Indexes of the lines a reward covers, in line order: every line (order), the eligible
/// lines (specific), or the eligible line with the lowest price_unit, first on ties (cheapest).
pub fn covered_lines(reward: &Reward, lines: &[Line]) -> Vec<usize> {
    match reward.applicability {
        Applicability::Order => (0..lines.len()).collect(),
        Applicability::Specific => matching_lines(&reward.filter, lines).collect(),
        Applicability::Cheapest => {
            let mut cheapest: Option<usize> = None;
            for index in matching_lines(&reward.filter, lines) {
                if cheapest.is_none_or(|best| lines[index].price_unit < lines[best].price_unit) {
                    cheapest = Some(index);
                }
            }
            cheapest.into_iter().collect()
        }
    }
}

/// The reward's amount before allocation, in currency steps: computed, capped at max_amount
/// (when > 0), rounded half-up. `points` is what a per_point redemption requested; `bases`
/// are in steps.
pub fn reward_amount(
    reward: &Reward,
    covered: &[usize],
    lines: &[Line],
    bases: &[i128],
    points: Decimal,
    rounding: MoneyRounding,
) -> CalcResult<i128> {
    let raw = match reward.mode {
        RewardMode::Percent => {
            // Multiply first, divide last.
            let of = match reward.applicability {
                Applicability::Cheapest => covered
                    .first()
                    .map_or(Decimal::ZERO, |&index| lines[index].price_unit),
                _ => rounding.from_steps(money::sum_steps(
                    covered.iter().map(|&i| bases[i]),
                    "reward base",
                )?)?,
            };
            money::div(
                money::mul(reward.value, of, "percent reward")?,
                Decimal::ONE_HUNDRED,
                "percent reward",
            )?
        }
        RewardMode::Fixed => reward.value,
        RewardMode::PerPoint => money::mul(reward.value, points, "per_point reward")?,
    };
    let capped = if reward.max_amount > Decimal::ZERO && raw > reward.max_amount {
        reward.max_amount
    } else {
        raw
    };
    rounding.round_to_steps(capped)
}
