//! Points a refund gives back (docs/spec.md §4.12, "Refunds give back spent
//! points"), in exact arithmetic.
//!
//! Each redemption's give-back is cumulative (it counts earlier refunds through
//! `refunded_qty`), and what earlier refunds gave back is subtracted: a sequence of partial
//! refunds never gives back more than the sale spent, and the one completing it gives the rest.
use crate::error::CalcResult;
use crate::exact;
use crate::money::{self, add_steps, MoneyRounding};
use crate::original::{Original, OriginalRedemption};
use rust_decimal::Decimal;

const CONTEXT: &str = "points returned";

/// `max(0, Σ back_R - original.returned)`, rounded toward zero to `precision` places.
pub fn returned(original: &Original, step: Decimal, precision: u32) -> CalcResult<Decimal> {
    let rounding = MoneyRounding::new(step);
    let fully_refunded = original.fully_refunded();
    let mut total = Decimal::ZERO;
    for redemption in &original.redemptions {
        let back = if redemption.amount > Decimal::ZERO {
            given_back(original, redemption, step, rounding, precision)?
        } else if fully_refunded {
            // A redemption that gave nothing sat on no line: it comes back with the last unit.
            redemption.points
        } else {
            Decimal::ZERO
        };
        total = exact::add(total, back, CONTEXT)?;
    }
    let net = exact::sub(total, original.returned, CONTEXT)?.max(Decimal::ZERO);
    Ok(money::points_down(net, precision))
}

/// back_R = round_down(points x part / amount), part = Σ_L floor_to_rounding(share_L x c_L /
/// qty_L), with c_L the quantity of L refunded once this refund is done.
fn given_back(
    original: &Original,
    redemption: &OriginalRedemption,
    step: Decimal,
    rounding: MoneyRounding,
    precision: u32,
) -> CalcResult<Decimal> {
    let mut part_steps = 0_i128;
    for &(index, share) in &redemption.lines {
        let refunded = exact::mul(share, original.refunded_after[index], CONTEXT)?;
        let sold = exact::mul(original.lines[index].qty, step, CONTEXT)?;
        part_steps = add_steps(
            part_steps,
            exact::floor_div(refunded, sold, CONTEXT)?,
            CONTEXT,
        )?;
    }
    let part = rounding.from_steps(part_steps)?;
    // Multiply first, divide last: points x part x 10**precision / amount, floored.
    let scale = Decimal::from_i128_with_scale(10_i128.pow(precision), 0);
    let numerator = exact::mul(
        exact::mul(redemption.points, part, CONTEXT)?,
        scale,
        CONTEXT,
    )?;
    let units = exact::floor_div(numerator, redemption.amount, CONTEXT)?;
    Decimal::try_from_i128_with_scale(units, precision).map_err(|_| {
        crate::error::CalcError::Overflow {
            path: crate::error::ErrorPath::root(),
            context: CONTEXT,
        }
    })
}
