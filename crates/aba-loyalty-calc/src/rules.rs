//! Rules (docs/spec.md §4.3 and 4.10): qualifying lines, whether a rule holds, and the basis
//! it contributes to points.
use crate::config::{PointsBasis, ProductFilter, Rule, RuleMode};
use crate::error::CalcResult;
use crate::money::{self, add_steps, sub_steps, MoneyRounding};
use crate::order::Line;
use rust_decimal::Decimal;

/// Indexes of the lines matching `filter`, in line order.
pub fn matching_lines<'a>(
    filter: &'a ProductFilter,
    lines: &'a [Line],
) -> impl Iterator<Item = usize> + 'a {
    lines
        .iter()
        .enumerate()
        .filter(|(_, line)| filter.matches(line.product_id, &line.category_ids))
        .map(|(index, _)| index)
}

/// A rule holds when at least one line qualifies, Σ qty >= min_qty and Σ base >= min_amount.
/// `bases` are in currency steps.
pub fn holds(
    rule: &Rule,
    lines: &[Line],
    bases: &[i128],
    rounding: MoneyRounding,
) -> CalcResult<bool> {
    let mut any = false;
    let mut qty = Decimal::ZERO;
    let mut base = 0;
    for index in matching_lines(&rule.filter, lines) {
        any = true;
        qty = money::add(qty, lines[index].qty, "rule quantity")?;
        base = add_steps(base, bases[index], "rule amount")?;
    }
    Ok(any && qty >= rule.min_qty && rounding.from_steps(base)? >= rule.min_amount)
}

/// What a rule multiplies its amount by for points: 1 per order, Σ qty per unit, Σ base (or
/// Σ paid) per money, over its qualifying lines. In a refund the conditions are not checked
/// and order rules give nothing; in a sale a rule that does not hold gives nothing.
pub fn points_basis(
    rule: &Rule,
    basis: PointsBasis,
    lines: &[Line],
    bases: &[i128],
    line_discounts: &[i128],
    refund: bool,
    rounding: MoneyRounding,
) -> CalcResult<Decimal> {
    if !refund && !holds(rule, lines, bases, rounding)? {
        return Ok(Decimal::ZERO);
    }
    let qualifying = matching_lines(&rule.filter, lines);
    match rule.mode {
        RuleMode::Order if refund => Ok(Decimal::ZERO),
        RuleMode::Order => Ok(Decimal::ONE),
        RuleMode::Unit => money::sum(qualifying.map(|i| lines[i].qty), "rule quantity"),
        RuleMode::Money => {
            let mut steps = 0;
            for index in qualifying {
                let amount = match basis {
                    PointsBasis::Base => bases[index],
                    PointsBasis::Paid => sub_steps(bases[index], line_discounts[index], "paid")?,
                };
                steps = add_steps(steps, amount, "rule amount")?;
            }
            rounding.from_steps(steps)
        }
    }
}
